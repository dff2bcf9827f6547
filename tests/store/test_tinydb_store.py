"""The TinyDB run store keeps records safely on disk."""

from __future__ import annotations

import pytest

from flowlab.errors import RunNotFound, StoreError
from flowlab.store import TinyDBRunStore


def test_put_get_and_upsert(tmp_path):
    store = TinyDBRunStore(tmp_path / "runs.json")
    store.put_run({"id": "r1", "status": "queued"})
    store.put_run({"id": "r1", "status": "running"})
    assert store.get_run("r1")["status"] == "running"
    assert len(store.list_runs()) == 1
    with pytest.raises(RunNotFound, match="r2"):
        store.get_run("r2")


def test_corrupt_store_file_gives_clear_error_and_is_left_untouched(tmp_path):
    path = tmp_path / "runs.json"
    store = TinyDBRunStore(path)
    store.put_run({"id": "r1", "status": "queued"})
    truncated = path.read_text()[:-7]
    path.write_text(truncated)
    with pytest.raises(StoreError) as info:
        store.list_runs()
    assert str(path) in str(info.value) and "corrupt" in str(info.value)
    with pytest.raises(StoreError):
        store.put_run({"id": "r2"})
    assert path.read_text() == truncated
