"""On a machine with NVIDIA GPUs the default cluster is dask-cuda's, one worker per GPU."""

from __future__ import annotations

import pytest
from distributed import Client

import flowlab
from tests.core import ops

pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module")
def gpu_cluster():
    if flowlab.cluster.gpu_count() == 0:
        pytest.skip("no NVIDIA GPU on this machine")
    cluster = flowlab.cluster.start_local_cluster()
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()


def test_default_cluster_on_gpus_is_local_cuda_cluster_with_gpu_resources(gpu_cluster):
    from dask_cuda import LocalCUDACluster

    assert isinstance(gpu_cluster.cluster, LocalCUDACluster)
    resources = flowlab.cluster.worker_resources(gpu_cluster)
    assert len(resources) == flowlab.cluster.gpu_count()
    assert all(r.get("GPU") == 1 and r.get("CPU") >= 1 for r in resources.values())


def test_gpu_operator_sees_its_device(gpu_cluster):
    @flowlab.workflow(returns=flowlab.types.Schema(devices=flowlab.types.TEXT))
    def on_gpu():
        return flowlab.Output(devices=ops.needs_gpu().devices)

    out = on_gpu.launch(client=gpu_cluster, cache=False).result(timeout=120)
    assert out.devices != ""
