"""The embedded default store: one small JSON file per run, and a TinyDB index to search.

Layout under FLOWLAB_HOME::

    runs/<run id>.json   the whole run record (operators, logs, graph); rewritten as it runs
    index.json           TinyDB table of run summaries (what searches read)

A run's progress rewrites only its own file, never the others, so writing stays fast
however many runs the store holds. Every write goes to a temporary file that then replaces
the target in one rename, so a process killed mid-write leaves the old, whole file behind.
The index is changed under a file lock and read afresh each time, so two kernels and a CLI
see each other's writes and lose none.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from pathlib import Path

from filelock import FileLock
from tinydb import TinyDB
from tinydb.storages import Storage

from flowlab.errors import RunNotFound, StoreError

SUMMARY_KEYS = (
    "id",
    "workflow",
    "version",
    "status",
    "created",
    "started",
    "ended",
    "tags",
    "notes",
    "parent",
    "seed",
)


def atomic_write_json(path: Path, data) -> None:
    """Write JSON to ``path`` via a temporary file, fsync and rename."""
    atomic_write_text(path, json.dumps(data, default=str))


def atomic_write_text(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(temporary, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


def read_json(path: Path, what: str):
    """Read a JSON file; a corrupt one raises StoreError naming it and how to recover."""
    text = path.read_text()
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise StoreError(
            f"{what} '{path}' is corrupt ({e}). Nothing was changed. Move it aside "
            f"(mv {path} {path}.bad) and run flowlab.store.get_store().reindex() to rebuild "
            "the index from the run files, or restore a backup made with "
            "flowlab.store.export_runs."
        ) from None


class AtomicJSONStorage(Storage):
    """TinyDB storage that writes atomically and refuses to read a corrupt file as empty."""

    def __init__(self, path: str):
        self.path = Path(path)

    def read(self):
        if not self.path.exists():
            return None
        return read_json(self.path, "run index")

    def write(self, data) -> None:
        atomic_write_json(self.path, data)

    def close(self) -> None:
        pass


def summary_of(record: dict) -> dict:
    """What the index keeps of a run: identity, state, and the inline inputs and outputs."""
    summary = {k: record.get(k) for k in SUMMARY_KEYS}
    for part in ("inputs", "outputs"):
        summary[part] = {
            k: v
            for k, v in (record.get(part) or {}).items()
            if not isinstance(v, (dict, list))
            or isinstance(v, list)
            and all(not isinstance(i, (dict, list)) for i in v)
        }
    return summary


class TinyDBRunStore:
    """Run records under a directory: one file per run, a TinyDB index of summaries.

    The index is a TinyDB file (``index.json``) plus a journal (``index.journal``, one
    summary per line) that each write appends to under the lock; when the journal grows past
    ``COMPACT_AFTER`` lines it is folded into the TinyDB file. So a write costs one appended
    line, not a rewrite of every summary, and a reader parses the big file only when it
    changed (compactions are rare). A line cut short by a killed process is skipped.

    Example::

        store = TinyDBRunStore("/tmp/flowlab")
        store.put_run({"id": "r1", "status": "queued"})
        store.get_run("r1")["status"]
    """

    COMPACT_AFTER = 5000

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.runs_dir = self.root / "runs"
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.index_path = self.root / "index.json"
        self.journal_path = self.root / "index.journal"
        self.cache_path = self.root / "cache.journal"
        self._cache: dict[str, dict] = {}
        self._cache_offset = 0
        self._lock = FileLock(str(self.index_path) + ".lock")
        # summaries this process last wrote, so unchanged ones skip the index
        self._summaries: dict[str, dict] = {}
        self._summary_lock = threading.Lock()
        # parsed index, reused while the files are unchanged: (base stamp, journal offset)
        self._base_stamp: tuple | None = None
        self._base: dict[str, dict] = {}
        self._journal_offset = 0
        self._journal: dict[str, dict] = {}
        self._journal_lines = 0

    def _index(self) -> TinyDB:
        return TinyDB(str(self.index_path), storage=AtomicJSONStorage)

    def _run_path(self, run_id: str) -> Path:
        if not run_id or "/" in run_id or run_id.startswith("."):
            raise RunNotFound(f"{run_id!r} is not a run id")
        return self.runs_dir / f"{run_id}.json"

    # -- the index ----------------------------------------------------------------------------
    def _append(self, summaries: list[dict]) -> None:
        """Append summaries to the journal (caller holds the lock); compact when it is long."""
        text = "".join(json.dumps(s, default=str) + "\n" for s in summaries)
        with open(self.journal_path, "ab+") as f:
            f.seek(0, os.SEEK_END)
            if f.tell():
                f.seek(-1, os.SEEK_END)
                if f.read(1) != b"\n":  # a writer was killed mid-line: close that line
                    text = "\n" + text
            f.write(text.encode())
            f.flush()
            os.fsync(f.fileno())
        self._load()
        if self._journal_lines > self.COMPACT_AFTER:
            self._compact()

    def _compact(self) -> None:
        merged = {**self._base, **self._journal}
        with self._index() as db:
            db.drop_table("runs")
            db.table("runs").insert_multiple(merged.values())
        self.journal_path.write_text("")
        self._base_stamp = None
        self._load()

    def _load(self) -> dict[str, dict]:
        """The current summaries by id: the TinyDB base, then the journal's lines over it."""
        stamp = None
        if self.index_path.exists():
            info = self.index_path.stat()
            stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
        if stamp != self._base_stamp:
            base = {}
            if stamp is not None:
                with self._index() as db:
                    base = {r["id"]: dict(r) for r in db.table("runs").all()}
            self._base, self._base_stamp = base, stamp
            self._journal_offset, self._journal, self._journal_lines = 0, {}, 0
        if self.journal_path.exists():
            size = self.journal_path.stat().st_size
            if size < self._journal_offset:  # compacted by another process
                self._journal_offset, self._journal, self._journal_lines = 0, {}, 0
            if size > self._journal_offset:
                with open(self.journal_path, "rb") as f:
                    f.seek(self._journal_offset)
                    chunk = f.read()
                complete = chunk[: chunk.rfind(b"\n") + 1]
                for line in complete.splitlines():
                    self._journal_lines += 1
                    try:
                        summary = json.loads(line)
                    except json.JSONDecodeError:
                        continue  # cut short by a killed writer; its run file still holds it
                    self._journal[summary["id"]] = summary
                self._journal_offset += len(complete)
        return {**self._base, **self._journal}

    # -- records ------------------------------------------------------------------------------
    def put_run(self, record: dict) -> None:
        """Insert or replace a run record; the index changes only when its summary does."""
        self.put_run_json(record["id"], json.dumps(record, default=str))

    def put_run_json(self, run_id: str, text: str, summary: dict | None = None) -> None:
        """Like put_run, for a record already serialised (the run tracker's batched writes)."""
        path = self._run_path(run_id)
        summary = summary if summary is not None else summary_of(json.loads(text))
        atomic_write_text(path, text)
        with self._summary_lock:
            unchanged = self._summaries.get(run_id) == summary
            self._summaries[run_id] = summary
        if not unchanged:
            with self._lock:
                self._append([summary])

    def put_runs(self, records: list[dict]) -> None:
        """Insert many records with one index write (imports and migrations)."""
        for record in records:
            atomic_write_json(self._run_path(record["id"]), record)
        with self._lock:
            self._append([summary_of(r) for r in records])

    def update_run(self, run_id: str, change) -> dict:
        """Read, change and write one record under its own lock (tags, notes from anywhere)."""
        with FileLock(str(self._run_path(run_id)) + ".lock"):
            record = self.get_run(run_id)
            change(record)
            self.put_run(record)
        return record

    def get_run(self, run_id: str) -> dict:
        path = self._run_path(run_id)
        if not path.exists():
            raise RunNotFound(f"no run {run_id!r} in the store {self.root}")
        return read_json(path, "run record")

    def list_runs(self) -> list[dict]:
        """Summaries of every run (id, workflow, status, times, tags, inline inputs/outputs)."""
        with self._lock:
            return list(self._load().values())

    def all_records(self):
        """Every full record, oldest first (exports and migrations)."""
        records = [read_json(p, "run record") for p in self.runs_dir.glob("*.json")]
        yield from sorted((r for r in records if r), key=lambda r: r.get("created") or "")

    def count(self) -> int:
        return len(self.list_runs())

    def search(self, query) -> list[dict]:
        """Summaries matching a parsed query, sorted and limited."""
        return query.apply(self.list_runs())

    # -- operator cache -----------------------------------------------------------------------
    def cache_put(self, entries: list[dict]) -> None:
        """Record cache entries (key -> the run and outputs it points at): appended lines."""
        text = "".join(json.dumps(e, default=str) + "\n" for e in entries)
        with FileLock(str(self.cache_path) + ".lock"):
            with open(self.cache_path, "ab+") as f:
                f.seek(0, os.SEEK_END)
                if f.tell():
                    f.seek(-1, os.SEEK_END)
                    if f.read(1) != b"\n":  # a writer was killed mid-line
                        text = "\n" + text
                f.write(text.encode())
                f.flush()
                os.fsync(f.fileno())

    def cache_get(self, keys: list[str]) -> dict[str, dict]:
        """The newest cache entry of each key that has one."""
        with self._summary_lock:
            if self.cache_path.exists():
                size = self.cache_path.stat().st_size
                if size < self._cache_offset:
                    self._cache, self._cache_offset = {}, 0
                if size > self._cache_offset:
                    with open(self.cache_path, "rb") as f:
                        f.seek(self._cache_offset)
                        chunk = f.read()
                    complete = chunk[: chunk.rfind(b"\n") + 1]
                    for line in complete.splitlines():
                        try:
                            entry = json.loads(line)
                        except json.JSONDecodeError:
                            continue  # cut short by a killed writer
                        self._cache[entry["key"]] = entry
                    self._cache_offset += len(complete)
            return {k: self._cache[k] for k in keys if k in self._cache}

    def reindex(self) -> int:
        """Rebuild the index from the run files (after moving a corrupt index aside)."""
        summaries = []
        for path in sorted(self.runs_dir.glob("*.json")):
            try:
                summaries.append(summary_of(read_json(path, "run record")))
            except StoreError:
                continue
        with self._lock:
            with self._index() as db:
                db.drop_table("runs")
                db.table("runs").insert_multiple(summaries)
            self.journal_path.write_text("")
            self._base_stamp = None
        return len(summaries)

    def __repr__(self) -> str:
        return f"TinyDBRunStore({str(self.root)!r})"
