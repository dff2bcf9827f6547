"""A worker dies holding an operator's finished result: Dask computes it again on another
worker, and the run's record says so (``attempts``, ``workers``, ``recomputed``).

These tests kill workers, so they run on a small cluster of their own, never the session's.
"""

from __future__ import annotations

import os
import signal

import dask
import pytest
from distributed import Client, Nanny, Scheduler, SpecCluster

import flowlab
from flowlab import types
from tests.polling import poll_for

# real servers, clusters and processes: on a busy machine they take minutes, not seconds
pytestmark = pytest.mark.timeout(900)


@flowlab.operator(returns=types.Schema(value=types.INTEGER))
def produce(marker: str):
    """Succeeds on its first execution; on a later one, fails if ``marker`` says so."""
    if os.path.exists(marker) and open(marker).read() == "fail":
        raise RuntimeError("the second execution fails on purpose")
    return {"value": 7}


@flowlab.operator(returns=types.Schema(done=types.BOOL))
def hold(marker: str):
    """Runs until the test writes ``marker``: its sibling's child waits for it meanwhile."""
    poll_for(lambda: os.path.exists(marker), timeout=300, what=f"{marker} to be written")
    return {"done": True}


@flowlab.operator(returns=types.Schema(total=types.INTEGER))
def consume(value: int, done: bool):
    return {"total": value + 1}


@flowlab.workflow(returns=types.Schema(total=types.INTEGER))
def lost_result(marker: str, release: str):
    produced = produce(marker=marker)
    held = hold(marker=release)
    return flowlab.Output(total=consume(value=produced.value, done=held.done).total)


@pytest.fixture(scope="module")
def own_client():
    """Two one-thread workers under nannies (a killed worker is restarted). The cluster
    object closes the nanny of a worker gone longer than ``lost-worker-timeout`` (15 s), as
    long as a busy machine can take to start one again: not here."""
    specs = {
        name: {
            "cls": Nanny,
            "options": {"nthreads": 1, "resources": {"CPU": 1}, "host": "127.0.0.1"},
        }
        for name in ("w1", "w2")
    }
    with (
        dask.config.set({"distributed.deploy.lost-worker-timeout": "1 hour"}),
        SpecCluster(
            scheduler={
                "cls": Scheduler,
                "options": {"dashboard_address": ":0", "host": "127.0.0.1"},
            },
            workers=specs,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def _workers(client) -> set[str]:
    return set(client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.workers)))


def _lose_produce_result(client, tmp_path, second: str = "succeed"):
    """Launch ``lost_result``; once ``produce`` finished, kill the worker holding its result
    before ``consume`` (held back by ``hold``) read it, then let ``hold`` end. Returns the run,
    the killed worker's address and its pid."""
    marker, release = tmp_path / "marker", tmp_path / "release"
    poll_for(lambda: len(_workers(client)) == 2, what="both workers to be connected")
    run = lost_result.launch(client=client, cache=False, marker=str(marker), release=str(release))
    first = poll_for(
        lambda: (op := run.operators["produce"])["state"] == "succeeded" and op["ended"] and op,
        timeout=120,
        what="produce to succeed",
    )
    assert first["attempts"] == 1 and first["workers"] == [first["worker"]]
    marker.write_text(second)
    os.kill(first["pid"], signal.SIGKILL)
    poll_for(
        lambda: first["worker"] not in _workers(client),
        timeout=120,
        what=f"the scheduler to drop {first['worker']}",
    )
    release.write_text("go")
    return run, first["worker"], first["pid"]


def test_a_result_lost_with_its_worker_is_recomputed_and_recorded(own_client, store, tmp_path):
    run, dead, dead_pid = _lose_produce_result(own_client, tmp_path)
    assert run.result(timeout=300).total == 8
    record = store.get_run(run.id)
    assert record["status"] == "succeeded"
    op = record["operators"]["produce"]
    assert op["state"] == "succeeded"
    assert op["attempts"] == 2 and op["recomputed"] == 1
    assert len(op["workers"]) == 2 and op["workers"][0] == dead
    assert op["worker"] == op["workers"][1] and op["pid"] != dead_pid
    assert op["ended"] and op["duration"] is not None and op["ended"] >= op["started"]
    consume = record["operators"]["consume"]  # ran once, after the worker died
    assert consume["attempts"] == 1 and consume["workers"] == [consume["worker"]]
    for other in record["operators"].values():
        assert len(other["workers"]) == other["attempts"]


def test_a_recomputation_that_fails_fails_the_run_naming_it(own_client, store, tmp_path):
    run, dead, _ = _lose_produce_result(own_client, tmp_path, second="fail")
    run.wait(timeout=300)
    record = store.get_run(run.id)
    assert record["status"] == "failed"
    assert record["error"]["operator"] == "produce"
    op = record["operators"]["produce"]
    assert op["state"] == "failed" and "fails on purpose" in op["error"]
    assert op["attempts"] == 2 and op["recomputed"] == 1 and op["workers"][0] == dead
    assert record["operators"]["consume"]["state"] == "cancelled"
