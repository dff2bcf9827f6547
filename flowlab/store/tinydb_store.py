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
from tinydb import Query as TinyQuery
from tinydb import TinyDB
from tinydb.storages import Storage

from flowlab.errors import RunNotFound, StoreError
from flowlab.store.journal import Journal
from flowlab.store.leases import effective
from flowlab.store.protocol import RunStore, check_kind
from flowlab.store.records import SUMMARY_KEYS, summary_of

__all__ = ["SUMMARY_KEYS", "TinyDBRunStore", "summary_of"]

#: entry kinds kept in the files they had before entries joined the store contract
_ENTRY_FILES = {"datasets": "catalog.json", "searches": "saved_searches.json"}


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


class TinyDBRunStore(RunStore):
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
        self.url = f"tinydb://{self.root}"
        self.runs_dir = self.root / "runs"
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.locks_dir = self.root / "locks"  # one lock file per run, kept out of runs/
        self.locks_dir.mkdir(exist_ok=True)
        self.index_path = self.root / "index.json"
        self.journal = Journal(self.root / "index.journal")
        self.cache_journal = Journal(self.root / "cache.journal")
        self._cache: dict[str, dict] = {}
        self._lock = FileLock(str(self.index_path) + ".lock")
        # summaries this process last wrote, so unchanged ones skip the index
        self._summaries: dict[str, dict] = {}
        self._summary_lock = threading.Lock()
        # parsed index, reused while the files are unchanged: (base stamp, journal offset)
        self._base_stamp: tuple | None = None
        self._base: dict[str, dict] = {}
        self._journal: dict[str, dict] = {}

    def _index(self) -> TinyDB:
        return TinyDB(str(self.index_path), storage=AtomicJSONStorage)

    def _run_path(self, run_id: str) -> Path:
        if not run_id or "/" in run_id or run_id.startswith("."):
            raise RunNotFound(f"{run_id!r} is not a run id")
        return self.runs_dir / f"{run_id}.json"

    # -- the index ----------------------------------------------------------------------------
    def _append(self, summaries: list[dict]) -> None:
        """Append summaries to the journal (caller holds the lock); compact when it is long."""
        self.journal.append(summaries)
        self._load()
        if self.journal.lines > self.COMPACT_AFTER:
            self._compact()

    def _compact(self) -> None:
        merged = {**self._base, **self._journal}
        with self._index() as db:
            db.drop_table("runs")
            db.table("runs").insert_multiple(merged.values())
        self.journal.clear()
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
            self.journal.offset = self.journal.lines = 0
            self._journal = {}
        reset, summaries = self.journal.read_new()
        if reset:
            self._journal = {}
        self._journal.update((summary["id"], summary) for summary in summaries)
        return {**self._base, **self._journal}

    # -- records ------------------------------------------------------------------------------
    def put_run(self, record: dict) -> None:
        """Insert or replace a run record; the index changes only when its summary does."""
        summary = json.loads(json.dumps(summary_of(record), default=str))
        self.put_run_json(record["id"], json.dumps(record, default=str), summary)

    def put_run_json(self, run_id: str, text: str, summary: dict | None = None) -> None:
        """Like put_run, for a record already serialised (the run tracker's batched writes).

        Takes the run's own lock, so it never lands between another process's read and
        write of the same record (``update_run``)."""
        with self._run_lock(run_id):
            self._write_run(run_id, text, summary)

    def _run_lock(self, run_id: str) -> FileLock:
        self._run_path(run_id)  # refuses ids that are not plain names
        return FileLock(str(self.locks_dir / f"{run_id}.lock"))

    def _write_run(self, run_id: str, text: str, summary: dict | None = None) -> None:
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
        with self._run_lock(run_id):
            record = self.get_run(run_id)
            change(record)
            self._write_run(run_id, json.dumps(record, default=str))
        return record

    def get_summary(self, run_id: str) -> dict | None:
        """The indexed summary of one run (tags, notes, status…), without reading its record."""
        with self._lock:
            return self._load().get(run_id)

    def get_run(self, run_id: str) -> dict:
        path = self._run_path(run_id)
        if not path.exists():
            raise RunNotFound(f"no run {run_id!r} in the store {self.root}")
        return read_json(path, "run record")

    def list_runs(self) -> list[dict]:
        """Summaries of every run (id, workflow, status, times, tags, inline inputs/outputs)."""
        with self._lock:
            summaries = list(self._load().values())
        # a live run whose tracker's lease lapsed reads failed, for every query and count
        return [effective(s) for s in summaries]

    def all_records(self):
        """Every full record, oldest first (exports and migrations)."""
        records = [read_json(p, "run record") for p in self.runs_dir.glob("*.json")]
        yield from sorted((r for r in records if r), key=lambda r: r.get("created") or "")

    def count(self, query=None) -> int:
        """How many runs match ``query`` (all runs when None)."""
        summaries = self.list_runs()
        if query is None or query.where is None:
            return len(summaries)
        return sum(1 for s in summaries if query.matches(s))

    def search(self, query) -> list[dict]:
        """Summaries matching a parsed query, sorted and paged (in Python: ``matching``)."""
        return query.apply(self.list_runs())

    # -- named entries ------------------------------------------------------------------------
    def _entry_file(self, kind: str) -> Path:
        check_kind(kind)
        if kind in _ENTRY_FILES:
            return self.root / _ENTRY_FILES[kind]
        return self.root / "entries" / f"{kind}.json"

    def _entries(self, kind: str) -> tuple[TinyDB, FileLock]:
        path = self._entry_file(kind)
        path.parent.mkdir(exist_ok=True)
        return TinyDB(str(path), storage=AtomicJSONStorage), FileLock(str(path) + ".lock")

    def update_entry(self, kind: str, name: str, change):
        """Change one entry under the kind's file lock (TinyDB table ``kind`` of its file)."""
        db, lock = self._entries(kind)
        with lock, db:
            table = db.table(kind)
            found = table.get(TinyQuery().name == name)
            entry = change(dict(found) if found is not None else None)
            if entry is None:
                table.remove(TinyQuery().name == name)
            else:
                entry = {**entry, "name": name}
                table.upsert(entry, TinyQuery().name == name)
        return entry

    def get_entry(self, kind: str, name: str) -> dict | None:
        if not self._entry_file(kind).exists():
            return None
        db, lock = self._entries(kind)
        with lock, db:
            found = db.table(kind).get(TinyQuery().name == name)
        return dict(found) if found is not None else None

    def list_entries(self, kind: str) -> list[dict]:
        if not self._entry_file(kind).exists():
            return []
        db, lock = self._entries(kind)
        with lock, db:
            return sorted((dict(e) for e in db.table(kind).all()), key=lambda e: e["name"])

    def entry_kinds(self) -> list[str]:
        kinds = set(_ENTRY_FILES) | {p.stem for p in (self.root / "entries").glob("*.json")}
        return sorted(k for k in kinds if self.list_entries(k))

    # -- operator cache -----------------------------------------------------------------------
    def cache_put(self, entries: list[dict]) -> None:
        """Record cache entries (key -> the run and outputs it points at): appended lines."""
        with FileLock(str(self.cache_journal.path) + ".lock"):
            self.cache_journal.append(entries)

    def cache_get(self, keys: list[str]) -> dict[str, dict]:
        """The newest cache entry of each key that has one."""
        with self._summary_lock:
            _, entries = self.cache_journal.read_new()
            self._cache.update((entry["key"], entry) for entry in entries)
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
            self.journal.clear()
            self._base_stamp = None
        return len(summaries)

    def __repr__(self) -> str:
        return f"TinyDBRunStore({str(self.root)!r})"
