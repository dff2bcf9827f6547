"""Resource-aware placement, fast failure for impossible requests, and workers that die."""

from __future__ import annotations

import os
import signal
import time

import pytest
from distributed import Client, Nanny, Scheduler, SpecCluster

import flowlab
from flowlab.errors import ResourceUnavailable
from tests.core import ops
from tests.polling import poll_for


def _cluster(workers: dict) -> SpecCluster:
    specs = {
        name: {
            "cls": Nanny,
            "options": {"nthreads": 1, "resources": resources, "host": "127.0.0.1"},
        }
        for name, resources in workers.items()
    }
    return SpecCluster(
        scheduler={"cls": Scheduler, "options": {"dashboard_address": ":0", "host": "127.0.0.1"}},
        workers=specs,
    )


@flowlab.workflow(returns=flowlab.types.Schema(devices=flowlab.types.TEXT))
def gpu_job():
    return flowlab.Output(devices=ops.needs_gpu().devices)


def test_gpu_operator_lands_on_the_worker_that_advertises_a_gpu():
    with (
        _cluster(
            {"cpu-a": {"CPU": 1}, "cpu-b": {"CPU": 1}, "gpu": {"CPU": 1, "GPU": 1}}
        ) as cluster,
        Client(cluster) as client,
    ):
        client.wait_for_workers(3)
        gpu_worker = next(
            addr
            for addr, info in client.scheduler_info(n_workers=-1)["workers"].items()
            if info["resources"].get("GPU")
        )
        runs = [gpu_job.launch(client=client, cache=False) for _ in range(3)]
        for run in runs:
            run.result(timeout=60)
            assert run.operators["needs_gpu"].worker == gpu_worker


def test_gpu_operator_without_gpu_worker_fails_fast_listing_offers(store):
    with _cluster({"cpu-a": {"CPU": 1}}) as cluster, Client(cluster) as client:
        client.wait_for_workers(1)
        started = time.monotonic()
        with pytest.raises(ResourceUnavailable) as info:
            gpu_job.launch(client=client, cache=False)
        assert time.monotonic() - started < 10
    message = str(info.value)
    assert "needs_gpu" in message and "GPU=1" in message and "CPU=1" in message
    assert info.value.operator == "needs_gpu"
    record = store.get_run(info.value.run_id)
    assert record["status"] == "failed" and "GPU=1" in record["error"]["message"]


def test_memory_request_larger_than_any_worker_fails_fast(client):
    @flowlab.operator(resources=flowlab.Resources(memory="10TB"))
    def hungry():
        return None

    @flowlab.workflow
    def hungry_job():
        hungry()

    with pytest.raises(ResourceUnavailable, match=r"MEMORY=.*TiB"):
        hungry_job.launch()


def test_run_survives_a_worker_killed_mid_operator(tmp_path, store):
    marker = tmp_path / "slow-once"

    @flowlab.workflow(returns=flowlab.types.Schema(pid=flowlab.types.INTEGER))
    def survivor():
        return flowlab.Output(pid=ops.slow_once(marker=str(marker)).pid)

    with _cluster({"a": {"CPU": 1}, "b": {"CPU": 1}}) as cluster, Client(cluster) as client:
        client.wait_for_workers(2)
        run = survivor.launch(client=client, cache=False)
        victim = int(
            poll_for(
                lambda: marker.exists() and marker.read_text(),
                30,
                what="slow_once to write its worker's pid",
            )
        )
        os.kill(victim, signal.SIGKILL)
        out = run.result(timeout=90)
    assert out.pid != victim
    record = store.get_run(run.id)
    assert record["status"] == "succeeded"
    assert record["operators"]["slow_once"]["attempts"] >= 1
    assert record["operators"]["slow_once"]["pid"] != victim


SCHEDULER_SCRIPT = """
import json, sys
from tests.core import ops
run = ops.add_twice.launch(a=7, b=8, cache=False)
out = run.result(timeout=60)
print(json.dumps({"total": out.total, "workers": [op.worker for op in run.operators.values()]}))
"""


def test_flowlab_scheduler_moves_runs_onto_that_cluster(client, tmp_path):
    import json
    import subprocess
    import sys

    env = {
        **os.environ,
        "FLOWLAB_SCHEDULER": client.scheduler.address,
        "FLOWLAB_HOME": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-c", SCHEDULER_SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=os.getcwd(),
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["total"] == 23
    ours = set(flowlab.cluster.worker_resources(client))
    assert set(result["workers"]) <= ours  # ran on the given cluster, started none of its own


ORPHAN_SCRIPT = """
import sys
from tests.core import ops
run = ops.two_sleepers.launch(seconds=8, cache=False)
print(run.id, flush=True)
sys.stdin.read()  # wait to be killed
"""


def test_run_whose_launcher_dies_is_recorded_failed_not_running_forever(client, tmp_path):
    import subprocess
    import sys

    env = {
        **os.environ,
        "FLOWLAB_SCHEDULER": client.scheduler.address,
        "FLOWLAB_HOME": os.environ["FLOWLAB_HOME"],
        # a run the launching process follows (a kernel's, on its own LocalCluster); runs the
        # scheduler keeps outlive their launcher (tests/cli/test_cluster_runs.py)
        "FLOWLAB_TRACKING": "launcher",
    }
    launcher = subprocess.Popen(
        [sys.executable, "-c", ORPHAN_SCRIPT],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    run_id = launcher.stdout.readline().strip()
    assert flowlab.get_run(run_id).status in ("queued", "running")
    launcher.kill()
    launcher.wait()
    orphan = flowlab.get_run(run_id)
    assert orphan.status == "failed"
    assert "ended before the run did" in orphan.error["message"]
    assert {op.state for op in orphan.operators.values()} <= {"cancelled", "succeeded"}

    def executing(dask_worker=None) -> int:
        return len(dask_worker.state.executing)

    # a running thread cannot be stopped: the sleepers end by themselves, and the next test
    # needs the shared cluster's workers
    poll_for(
        lambda: not any(client.run(executing).values()),
        30,
        what="the shared cluster's workers to be idle",
        every=0.2,
    )
