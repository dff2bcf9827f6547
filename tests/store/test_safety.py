"""Several processes writing at once lose nothing; a writer killed mid-write corrupts nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from flowlab.store import TinyDBRunStore
from tests.polling import poll_for

WRITER = """
import sys
from flowlab.store import open_store
store = open_store(sys.argv[1])
name, count = sys.argv[2], int(sys.argv[3])
for i in range(count):
    store.put_run({"id": f"{name}-{i}", "workflow": "w", "status": "queued", "tags": [],
                   "created": "2026-11-23", "outputs": {"i": i}})
    store.update_run(sys.argv[4], lambda r: r.__setitem__("notes", r["notes"] + [f"{name}{i}"]))
"""


def _store_url(kind: str, tmp_path, request) -> str:
    if kind == "tinydb":
        return f"tinydb://{tmp_path / 'store'}"
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'runs.db'}"
    from tests.store.conftest import POSTGRES_URL

    request.getfixturevalue("postgres_schema")
    pytest.skip("the multi-process test uses file-based stores; PostgreSQL handles its own")
    return POSTGRES_URL


@pytest.mark.parametrize("kind", ["tinydb", "sqlite"])
def test_three_processes_writing_at_once_lose_no_update(kind, tmp_path, request):
    from flowlab.store import open_store

    url = _store_url(kind, tmp_path, request)
    store = open_store(url)
    store.put_run(
        {
            "id": "shared",
            "workflow": "w",
            "status": "queued",
            "notes": [],
            "tags": [],
            "created": "2026-11-23",
        }
    )
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, url, name, "40", "shared"])
        for name in ("kernel1", "kernel2", "cli")
    ]
    for writer in writers:
        assert writer.wait(timeout=120) == 0
    fresh = open_store(url) if kind != "tinydb" else TinyDBRunStore(tmp_path / "store")
    ids = {r["id"] for r in fresh.list_runs()}
    assert len(ids) == 121  # 3 x 40 + the shared one
    assert len(fresh.get_run("shared")["notes"]) == 120


KILLED_WRITER = """
import sys
from flowlab.store import TinyDBRunStore
store = TinyDBRunStore(sys.argv[1])
big = {"id": "victim", "workflow": "w", "status": "running", "tags": [], "created": "x",
       "operators": {f"op{i}": {"logs": "x" * 2000} for i in range(2000)}}
i = 0
while True:
    big["status"] = f"running-{i}"
    store.put_run(big)
    store.put_run({"id": f"small-{sys.argv[2]}-{i}", "workflow": "w", "status": "queued",
                   "tags": []})
    i += 1
"""


def test_writer_killed_mid_write_leaves_a_readable_store(tmp_path):
    root = tmp_path / "store"
    store = TinyDBRunStore(root)
    store.put_run({"id": "before", "workflow": "w", "status": "succeeded", "tags": []})
    for attempt in range(3):
        writer = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(root), str(attempt)])
        # kill it mid-write, once it has written (Python starts slowly when loaded): after a
        # number of its rounds that differs at each attempt, so that it dies at other points
        written = f"small-{attempt}-{1 + 2 * attempt}"
        poll_for(
            lambda written=written: written in {r["id"] for r in store.list_runs()},
            120,
            what=f"the writer to write {written}",
            every=0.05,
        )
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
    fresh = TinyDBRunStore(root)
    summaries = {r["id"]: r for r in fresh.list_runs()}
    assert summaries["before"]["status"] == "succeeded"
    assert fresh.get_run("victim")["status"].startswith("running-")  # whole, never torn
    for run_id in summaries:
        fresh.get_run(run_id)
    fresh.put_run({"id": "after", "workflow": "w", "status": "queued", "tags": []})
    assert "after" in {r["id"] for r in TinyDBRunStore(root).list_runs()}
