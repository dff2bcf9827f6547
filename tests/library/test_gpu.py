"""On a GPU worker, the GPU twins train on CUDA; without a GPU these tests skip."""

from __future__ import annotations

import pytest

import flowlab
from flowlab.library import data, workflows
from flowlab.library.neural import torch_available

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(flowlab.cluster.gpu_count() == 0, reason="no NVIDIA GPU here"),
]


@pytest.fixture(scope="module")
def gpu_client():
    from distributed import Client

    cluster = flowlab.cluster.start_local_cluster()
    with Client(cluster, set_as_default=False) as client:
        yield client
    cluster.close()


@pytest.mark.skipif(not torch_available(), reason="torch is not installed")
def test_neural_net_gpu_twin_trains_on_cuda(gpu_client):
    import torch

    if not torch.cuda.is_available():
        pytest.skip("this torch build has no CUDA")
    run = workflows.classification.launch(
        dataset=data.iris(),
        label="species",
        algorithm="neural_net",
        gpu=True,
        hyperparameters={"epochs": 60, "learning_rate": 0.01},
        client=gpu_client,
    )
    out = run.result(timeout=300)
    assert out.model.params["device"] == "cuda" and out.accuracy >= 0.9
    assert run.operators["TrainNeuralNetGPUOperator"].state == "succeeded"


def test_xgboost_gpu_twin_uses_cuda_when_built_with_it(gpu_client):
    from flowlab.library.boosting import xgboost_has_cuda

    if not xgboost_has_cuda():
        pytest.skip("the installed XGBoost has no CUDA (xgboost-cpu)")
    out = workflows.classification.launch(
        dataset=data.iris(),
        label="species",
        algorithm="xgboost",
        gpu=True,
        hyperparameters={"n_estimators": 20},
        client=gpu_client,
    ).result(timeout=300)
    assert out.model.params["device"] == "cuda" and out.accuracy >= 0.9
