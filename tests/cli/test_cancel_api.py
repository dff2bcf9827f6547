"""`run.cancel()` in Python: futures cancelled, the worker freed, finished outputs kept."""

from __future__ import annotations

import time

from tests.cli import flows


def test_run_cancel_records_cancelled_keeps_outputs_and_frees_the_worker(client):
    run = flows.sleeper.launch(x=2, seconds=300.0)
    deadline = time.monotonic() + 60
    while run.operators["slow"].state != "running":
        assert time.monotonic() < deadline, run.operators
        time.sleep(0.1)
    run.cancel()
    run.wait(timeout=60)
    assert run.status == "cancelled"
    assert run.operators["add"].state == "succeeded"
    assert run.operators["slow"].state == "cancelled"
    assert run.outputs.first == 2
    assert not any(client.processing().values())
    assert flows.adder.launch(a=1).result(timeout=60).total == 2  # the workers take work again
