"""A crash at any point of a write never hides a run: the TinyDB store's run files are the
truth, and a reader indexes what a killed writer left unindexed (or indexed as it was).

Writers are real processes SIGKILLed at random points (a seeded RNG) while they write."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flowlab.errors import StoreError
from flowlab.store import TinyDBRunStore
from flowlab.store.query import parse
from tests.polling import poll_for

# real servers, clusters and processes: on a busy machine they take minutes, not seconds
pytestmark = pytest.mark.timeout(900)

ROOT = Path(__file__).resolve().parents[2]

# A process that imports the store once, then forks a writer per "write PREFIX" line: each
# writer puts new runs in a loop, and ends each, until it is killed; the forker reaps it and
# says so. Forking a single-threaded process spares each writer the seconds that importing
# flowlab takes.
FORKER = r"""
import os, sys
from flowlab.store import TinyDBRunStore

root = sys.argv[1]
for line in sys.stdin:
    prefix = line.split()[1]
    pid = os.fork()
    if pid == 0:
        try:
            store = TinyDBRunStore(root)
            i = 0
            while True:
                record = {
                    "id": f"{prefix}-{i:05d}", "workflow": "crash", "status": "running",
                    "operators": {"a": {"state": "running", "logs": "x" * 100}},
                }
                store.put_run(record)
                store.put_run({**record, "status": "succeeded"})
                i += 1
        finally:
            os._exit(1)  # a writer never goes on as the forker
    print("pid", pid, flush=True)
    os.waitpid(pid, 0)
    print("reaped", pid, flush=True)
"""


def _run_files(root: Path) -> set[str]:
    return {p.stem for p in (root / "runs").glob("*.json")}


def _statuses(root: Path) -> dict[str, str]:
    return {p.stem: json.loads(p.read_text())["status"] for p in (root / "runs").glob("*.json")}


def _temporary_files(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob("*.tmp"))


def test_a_writer_killed_at_any_point_never_hides_a_run(tmp_path):
    root = tmp_path / "home"
    reader = TinyDBRunStore(root)  # one long-lived reader, as a dashboard is
    everything = parse("")
    forker = subprocess.Popen(
        [sys.executable, "-c", FORKER, str(root)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    rng = random.Random(20261207)
    try:
        for kill in range(30):
            prefix = f"k{kill:02d}"
            forker.stdin.write(f"write {prefix}\n")
            forker.stdin.flush()
            word, pid = forker.stdout.readline().split()
            assert word == "pid"
            poll_for(
                lambda p=prefix: any(name.startswith(p) for name in _run_files(root)),
                what=f"writer {prefix} to write its first run",
            )
            time.sleep(rng.uniform(0, 0.05))  # a random point of its writes, not a wait
            os.kill(int(pid), signal.SIGKILL)
            assert forker.stdout.readline().split() == ["reaped", pid]

            files = _statuses(root)
            for store in (reader, TinyDBRunStore(root)):  # known, and a fresh process's
                listed = {s["id"]: s["status"] for s in store.search(everything)}
                assert listed.keys() == files.keys(), (
                    f"after kill {kill}: files not listed {sorted(files.keys() - listed)}, "
                    f"listed without a file {sorted(listed.keys() - files.keys())}"
                )
                assert listed == files, f"after kill {kill}: listed as the files do not say"
                assert store.count() == len(files)
                assert store.count(parse('status = "succeeded"')) == sum(
                    status == "succeeded" for status in files.values()
                )
            # what the killed writer left half-written is never read, and is removed
            assert _temporary_files(root) == []
    finally:
        forker.kill()
        forker.wait()
    assert len(_run_files(root)) >= 30


def test_an_indexed_run_whose_file_is_gone_is_not_listed(tmp_path):
    store = TinyDBRunStore(tmp_path)
    store.put_run({"id": "kept", "status": "succeeded"})
    store.put_run({"id": "removed", "status": "succeeded"})
    assert store.count() == 2
    (tmp_path / "runs" / "removed.json").unlink()
    store = TinyDBRunStore(tmp_path)  # another process: runs/ is listed when it opens
    assert [s["id"] for s in store.list_runs()] == ["kept"]
    assert store.get_summary("removed") is None
    store.put_run({"id": "removed", "status": "failed"})  # written again: listed again
    assert {s["id"]: s["status"] for s in store.list_runs()} == {
        "kept": "succeeded",
        "removed": "failed",
    }


def test_a_run_file_the_index_lacks_is_listed_and_indexed(tmp_path):
    store = TinyDBRunStore(tmp_path)
    store.put_run({"id": "r1", "status": "succeeded"})
    assert store.count() == 1
    # put there by hand, or by a writer of a version without markers killed before indexing
    (tmp_path / "runs" / "r2.json").write_text('{"id": "r2", "status": "failed", "tags": ["x"]}')
    assert store.get_summary("r2")["status"] == "failed"  # one run: its file is read
    store = TinyDBRunStore(tmp_path)  # another process: runs/ is listed when it opens
    assert store.count(parse('tag = "x"')) == 1
    assert '"r2"' in (tmp_path / "index.journal").read_text()  # written, for every reader
    assert TinyDBRunStore(tmp_path)._load()["r2"]["status"] == "failed"


def test_a_long_lived_reader_lists_runs_again_when_they_changed(tmp_path, monkeypatch):
    store = TinyDBRunStore(tmp_path)
    monkeypatch.setattr(store, "RELIST_SECONDS", 0.0)
    store.put_run({"id": "r1", "status": "succeeded"})
    assert store.count() == 1
    (tmp_path / "runs" / "r2.json").write_text('{"id": "r2", "status": "failed"}')
    (tmp_path / "runs" / "r1.json").unlink()
    assert [s["id"] for s in store.list_runs()] == ["r2"]


def test_unreadable_and_half_written_files_never_break_listing(tmp_path, caplog):
    store = TinyDBRunStore(tmp_path)
    store.put_run({"id": "r1", "status": "succeeded"})
    runs = tmp_path / "runs"
    (runs / "torn.json").write_text('{"id": "torn", "sta')  # a torn file put by hand
    (runs / "empty.json").write_text("")
    (runs / "other.json").write_text('{"id": "not-other"}')
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    pid = int(dead.stdout)
    host = os.uname().nodename
    half = runs / f".r9.json.{pid}@{host}.{'0' * 32}.tmp"  # its writer is gone
    half.write_text('{"id": "r9", "st')
    old = runs / ".r8.json.0123456789abcdef0123456789abcdef.tmp"  # an older version's
    old.write_text('{"id": "r8"')
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    live = runs / f".r7.json.{os.getpid()}@{host}.{'1' * 32}.tmp"  # a live writer's: kept
    live.write_text('{"id": "r7"')
    assert [s["id"] for s in store.list_runs()] == ["r1"]
    assert store.count() == 1
    assert "torn.json" in caplog.text
    assert not half.exists() and not old.exists() and live.exists()
    with pytest.raises(StoreError, match="torn.json"):
        store.get_run("torn")


def test_a_reader_of_a_quiet_store_does_not_list_its_runs_again(tmp_path, monkeypatch):
    store = TinyDBRunStore(tmp_path)
    store.put_runs([{"id": f"r{i}", "status": "succeeded"} for i in range(10)])
    past = time.time() - 60  # the directories last changed a minute ago
    for directory in ("runs", "writing"):
        os.utime(tmp_path / directory, (past, past))
    assert store.count() == 10
    listed = []
    real = os.listdir
    monkeypatch.setattr(os, "listdir", lambda p: listed.append(p) or real(p))
    assert store.count() == 10 and store.search(parse("limit 3"))
    assert listed == []
    store.put_run({"id": "r10", "status": "queued"})  # a write: its marker is looked for
    assert store.count() == 11
    assert tmp_path / "runs" not in listed and tmp_path / "writing" in listed
