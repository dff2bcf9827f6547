"""A store outage never leaves a run stuck: a run that ends while its PostgreSQL is down is
recorded once the server is back; one whose store stays away past the retries is kept in
FLOWLAB_HOME and written by the next process that opens the store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from flowlab.core.engine import tracker
from flowlab.core.record.records import TERMINAL_RUN
from flowlab.store import open_store
from tests.core import ops
from tests.polling import poll_for
from tests.store.own_postgres import own_postgres

# real servers, clusters and processes: on a busy machine they take minutes, not seconds
pytestmark = pytest.mark.timeout(900)

ROOT = Path(__file__).resolve().parents[2]


def _ended_on_the_workers(run) -> bool:
    """The tracker's own copy of the record says the run ended (the store may not know)."""
    return run.record["status"] in TERMINAL_RUN


def test_a_run_ending_while_postgresql_is_down_is_recorded_when_it_is_back(
    client, tmp_path, monkeypatch
):
    with own_postgres() as pg:
        monkeypatch.setenv("FLOWLAB_STORE", pg.url)
        run = ops.two_sleepers.launch(seconds=4, cache=False)
        poll_for(lambda: run.record["status"] == "running", what="the run to start")
        pg.stop()
        poll_for(lambda: _ended_on_the_workers(run), timeout=120, what="the run to end")
        pg.start()
        run.wait(timeout=300)
        stored = open_store(pg.url).get_run(run.id)
        assert stored["status"] == "succeeded"
        assert {op["state"] for op in stored["operators"].values()} == {"succeeded"}


def test_a_run_end_the_store_never_took_is_written_by_the_next_process(
    client, tmp_path, monkeypatch, flowlab_home
):
    monkeypatch.setattr(tracker, "FINAL_WRITE_SECONDS", 1.0)
    with own_postgres() as pg:
        monkeypatch.setenv("FLOWLAB_STORE", pg.url)
        run = ops.two_sleepers.launch(seconds=3, cache=False)
        poll_for(lambda: run.record["status"] == "running", what="the run to start")
        pg.stop()
        run.wait(timeout=300)  # returns: the end is kept, not waited for forever
        spilled = list((flowlab_home / "spill").glob(f"*-{run.id}.json"))
        assert len(spilled) == 1 and oct(spilled[0].stat().st_mode & 0o777) == oct(0o600)
        pg.start()
        reader = "import flowlab, sys; print(flowlab.get_run(sys.argv[1]).status)"
        env = {**os.environ, "FLOWLAB_STORE": pg.url, "FLOWLAB_HOME": str(flowlab_home)}
        done = subprocess.run(
            [sys.executable, "-c", reader, run.id],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "succeeded"
        assert not spilled[0].exists()
