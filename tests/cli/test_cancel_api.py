"""`run.cancel()` in Python: futures cancelled, the worker freed, finished outputs kept."""

from __future__ import annotations

from tests.cli import flows
from tests.polling import poll_for


def test_run_cancel_records_cancelled_keeps_outputs_and_frees_the_worker(client):
    run = flows.sleeper.launch(x=2, seconds=300.0)
    poll_for(lambda: run.operators["slow"].state == "running", 60, what="slow to start")
    run.cancel()
    run.wait(timeout=60)
    assert run.status == "cancelled"
    assert run.operators["add"].state == "succeeded"
    assert run.operators["slow"].state == "cancelled"
    assert run.outputs.first == 2
    poll_for(lambda: not any(client.processing().values()), 30, what="the workers to be free")
    assert flows.adder.launch(a=1).result(timeout=60).total == 2  # the workers take work again
