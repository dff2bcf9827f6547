"""The TinyDB run store keeps records safely on disk."""

from __future__ import annotations

import pytest

from flowlab.errors import RunNotFound, StoreError
from flowlab.store import TinyDBRunStore


def test_put_get_and_upsert(tmp_path):
    store = TinyDBRunStore(tmp_path)
    store.put_run({"id": "r1", "status": "queued"})
    store.put_run({"id": "r1", "status": "running", "operators": {"a": {"state": "running"}}})
    assert store.get_run("r1")["status"] == "running"
    assert [r["status"] for r in store.list_runs()] == ["running"]
    with pytest.raises(RunNotFound, match="r2"):
        store.get_run("r2")


def test_corrupt_index_gives_clear_error_and_reindex_recovers(tmp_path):
    store = TinyDBRunStore(tmp_path)
    store.COMPACT_AFTER = 1  # fold the journal into the TinyDB file at once
    store.put_run({"id": "r1", "status": "queued"})
    store.put_run({"id": "r2", "status": "succeeded"})
    index = tmp_path / "index.json"
    assert '"r2"' in index.read_text()
    store = TinyDBRunStore(tmp_path)  # a new process: nothing parsed yet
    truncated = index.read_text()[:-7]
    index.write_text(truncated)
    with pytest.raises(StoreError) as info:
        store.list_runs()
    assert str(index) in str(info.value) and "corrupt" in str(info.value)
    assert "reindex" in str(info.value)
    assert index.read_text() == truncated  # nothing was overwritten
    index.rename(tmp_path / "index.json.bad")
    assert store.reindex() == 2
    assert {r["id"] for r in store.list_runs()} == {"r1", "r2"}


def test_corrupt_run_file_names_the_file(tmp_path):
    store = TinyDBRunStore(tmp_path)
    store.put_run({"id": "r1", "status": "queued"})
    (tmp_path / "runs" / "r1.json").write_text('{"id": "r1", "sta')
    with pytest.raises(StoreError, match="r1.json"):
        store.get_run("r1")
