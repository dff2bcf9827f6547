"""A full disk: writing a run record or an artifact fails with an error naming the place and
"disk full", leaves no partial or temporary file, and keeps what was there readable.

On a real 1 MiB tmpfs (skipped where mounting is not permitted)."""

from __future__ import annotations

import errno
import os

import pytest

from flowlab.errors import StoreError
from flowlab.store import ArtifactStore, TinyDBRunStore
from tests.store.mounts import tmpfs

BIG = 2 * 1024 * 1024  # more than the whole disk


def _temporary_files(root) -> list[str]:
    return sorted(str(p) for p in root.rglob("*") if p.name.endswith(".tmp"))


def test_an_artifact_bigger_than_the_free_space(tmp_path):
    with tmpfs(tmp_path / "disk", size="1m") as disk:
        artifacts = ArtifactStore(str(disk / "artifacts"))
        kept = artifacts.put(b"small and kept", "bin")
        with pytest.raises(OSError) as info:
            artifacts.put(os.urandom(BIG), "bin")
        error = info.value
        assert isinstance(error, StoreError) and error.errno == errno.ENOSPC
        assert "disk full" in str(error) and str(disk / "artifacts") in str(error)
        assert _temporary_files(disk) == []
        assert artifacts.get(kept) == b"small and kept"
        artifacts.put(b"x" * 1000, "bin")  # the space is free again: a small one fits


def test_a_run_record_bigger_than_the_free_space(tmp_path):
    with tmpfs(tmp_path / "disk", size="1m") as disk:
        store = TinyDBRunStore(disk / "home")
        store.put_run({"id": "r1", "status": "running", "operators": {}})
        big = {"id": "r1", "status": "succeeded", "operators": {"a": {"logs": "x" * BIG}}}
        with pytest.raises(StoreError) as info:
            store.put_run(big)
        error = info.value
        assert isinstance(error, OSError) and error.errno == errno.ENOSPC
        assert "disk full" in str(error) and "run record r1" in str(error)
        assert str(disk / "home" / "runs") in str(error)
        assert _temporary_files(disk) == []
        assert store.get_run("r1")["status"] == "running"  # the old record is whole
        with pytest.raises(StoreError, match="disk full"):
            store.put_run({**big, "id": "r2"})
        assert _temporary_files(disk) == []
        assert [s["id"] for s in store.list_runs()] == ["r1"]
        assert [s["id"] for s in TinyDBRunStore(disk / "home").list_runs()] == ["r1"]
