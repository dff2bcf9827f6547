"""A FLOWLAB_HOME this process cannot write is still read (flowlab.runs, get_run, counts), and
a write says in one sentence which directory refused it.

Root ignores modes, so the home is a tmpfs remounted read-only (skipped where mounting is not
permitted); another user gets a home without write permission."""

from __future__ import annotations

import errno

import pytest

import flowlab
from flowlab.errors import StoreError
from flowlab.store import TinyDBRunStore, open_store
from flowlab.store.query import parse
from tests.store.mounts import read_only_later


def _fill(home) -> None:
    store = TinyDBRunStore(home)
    store.COMPACT_AFTER = 2  # an index file and a journal, as a long-used home has
    for i in range(4):
        store.put_run({"id": f"r{i}", "workflow": "w", "status": "succeeded", "operators": {}})
    # a run file the index lacks (its writer was killed): shown, though it cannot be indexed
    (home / "runs" / "r9.json").write_text('{"id": "r9", "status": "failed", "operators": {}}')


def test_reading_a_read_only_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    with read_only_later(home) as seal:
        _fill(home)
        seal()
        with pytest.raises(OSError) as sealed:
            (home / "probe").write_text("")
        assert sealed.value.errno in (errno.EROFS, errno.EACCES)
        monkeypatch.setenv("FLOWLAB_HOME", str(home))
        found = flowlab.runs(order_by="id")
        assert found.ids == ["r0", "r1", "r2", "r3", "r9"]
        assert found[4].status == "failed"
        assert flowlab.get_run("r2").status == "succeeded"
        store = open_store(f"tinydb://{home}")
        assert store.count(parse('status = "succeeded"')) == 4
        assert store.get_summary("r9")["status"] == "failed"
        assert TinyDBRunStore(home).count() == 5


def test_writing_a_read_only_home_names_the_directory(tmp_path):
    home = tmp_path / "home"
    with read_only_later(home) as seal:
        _fill(home)
        seal()
        store = TinyDBRunStore(home)
        with pytest.raises(StoreError) as info:
            store.put_run({"id": "new", "status": "queued"})
        assert isinstance(info.value, OSError)
        assert info.value.errno in (errno.EROFS, errno.EACCES)
        message = str(info.value)
        assert str(home) in message and "could not write run record new" in message
        assert "read-only" in message or "not writable" in message
        with pytest.raises(StoreError, match=str(home)):
            store.update_run("r1", lambda record: record.update(status="failed"))
        with pytest.raises(StoreError, match=str(home)):
            store.put_entry("cancels", "r1", {"name": "r1"})
        assert store.get_run("r1")["status"] == "succeeded"
        assert store.count() == 5
