"""The embedded default store: run records in a TinyDB file, safe across processes.

Every operation takes a file lock and reads the file afresh, so two kernels and a CLI see
each other's writes and never hand out the same id; each write goes to a temporary file
that then replaces the store in one rename, so a process killed mid-write leaves the old,
whole file behind.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

from filelock import FileLock
from tinydb import Query, TinyDB
from tinydb.storages import Storage

from flowlab.errors import RunNotFound, StoreError


class AtomicJSONStorage(Storage):
    """TinyDB storage that writes via temp file + fsync + rename and refuses corrupt files."""

    def __init__(self, path: str):
        self.path = Path(path)

    def read(self):
        if not self.path.exists():
            return None
        text = self.path.read_text()
        if not text.strip():
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            raise StoreError(
                f"run store '{self.path}' is corrupt ({e}). Nothing was changed. Move it "
                f"aside (mv {self.path} {self.path}.bad) to start an empty store, or restore a "
                "backup made with flowlab.store.export_runs."
            ) from None

    def write(self, data) -> None:
        temporary = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}.tmp")
        with open(temporary, "w") as f:
            json.dump(data, f, default=str)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, self.path)

    def close(self) -> None:
        pass


class TinyDBRunStore:
    """Run records keyed by run id in one TinyDB JSON file.

    Example::

        store = TinyDBRunStore("/tmp/runs.json")
        store.put_run({"id": "r1", "status": "queued"})
        store.get_run("r1")["status"]
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(str(self.path) + ".lock")

    def _db(self) -> TinyDB:
        return TinyDB(str(self.path), storage=AtomicJSONStorage)

    def put_run(self, record: dict) -> None:
        with self._lock, self._db() as db:
            db.table("runs").upsert(record, Query().id == record["id"])

    def get_run(self, run_id: str) -> dict:
        with self._lock, self._db() as db:
            found = db.table("runs").get(Query().id == run_id)
        if found is None:
            raise RunNotFound(f"no run {run_id!r} in the store {self.path}")
        return dict(found)

    def list_runs(self) -> list[dict]:
        with self._lock, self._db() as db:
            return [dict(r) for r in db.table("runs").all()]

    def __repr__(self) -> str:
        return f"TinyDBRunStore({str(self.path)!r})"
