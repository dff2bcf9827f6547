"""The embedded default store: one small JSON file per run, and a TinyDB index to search.

Layout under FLOWLAB_HOME::

    runs/<run id>.json   the whole run record (operators, logs, graph); rewritten as it runs
    index.json           TinyDB table of run summaries (what searches read)
    index.journal        summaries appended since index.json was written
    writing/<tag>        one marker per write under way, naming its runs

A run's progress rewrites only its own file, never the others, so writing stays fast
however many runs the store holds. Every write goes to a temporary file that then replaces
the target in one rename, so a process killed mid-write leaves the old, whole file behind.
The index is changed under a file lock and read afresh each time, so two kernels and a CLI
see each other's writes and lose none.

The run files are the truth and the index a summary of them. A write marks itself in
``writing/`` before it replaces a run's file and unmarks itself once the index has the
summary, so a writer killed in between leaves its marker: the next reader (``writing/``
changed, a small directory) indexes those runs from their files, whether the index lacked
them or had them as they were, and removes the temporary files the writer left. A reader
also lists ``runs/`` when it opens the store (and at most every ``RELIST_SECONDS`` when it
changed): run files put there by hand are indexed, indexed runs whose file is gone are not
shown.

A home this process cannot write (a read-only mount, another user's directory) is still read:
reads take no lock where no lock file can be opened. A write that the disk or the directory
refuses (full, read-only) raises :class:`StoreWriteError` naming the directory and leaves no
partial file.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import re
import socket
import threading
import time
import uuid
from pathlib import Path

from filelock import FileLock
from tinydb import Query as TinyQuery
from tinydb import TinyDB
from tinydb.storages import Storage

from flowlab.errors import RunNotFound, StoreError
from flowlab.store.journal import Journal
from flowlab.store.leases import LIVE, effective
from flowlab.store.protocol import RunStore, check_kind
from flowlab.store.records import SUMMARY_KEYS, summary_of

__all__ = ["SUMMARY_KEYS", "StoreWriteError", "TinyDBRunStore", "summary_of"]

log = logging.getLogger(__name__)

#: entry kinds kept in the files they had before entries joined the store contract
_ENTRY_FILES = {"datasets": "catalog.json", "searches": "saved_searches.json"}


#: errno values meaning the place cannot take a write: the disk is full, or it is read-only
#: (a read-only mount, or a directory this user may not write)
FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
READ_ONLY = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})


class StoreWriteError(StoreError, OSError):
    """A write refused by where the store or the artifacts live: a full disk, or a read-only
    (or another user's) directory. Both a :class:`~flowlab.errors.StoreError` and an
    ``OSError`` whose ``errno`` (ENOSPC, EROFS, EACCES…) and ``filename`` are the refused
    write's; the message names the directory. Nothing half-written is left behind.

    Example::

        try:
            store.put_run(record)
        except StoreWriteError as e:
            print(e)   # disk full: could not write run record r1 (2.1 MB) in /data/.flowlab/runs …
            e.errno    # errno.ENOSPC
    """

    def __init__(self, message: str, code: int | None = None, filename: str | None = None):
        super().__init__(message)
        self.errno, self.strerror, self.filename = code, message, filename

    def __str__(self) -> str:
        return self.args[0]

    def __reduce__(self):
        return (type(self), (self.args[0], self.errno, self.filename))


def write_refused(error: OSError, what: str, where) -> StoreWriteError | None:
    """The :class:`StoreWriteError` to raise for ``error`` (writing ``what`` under ``where``),
    or None when ``error`` is not a full disk nor a read-only place.

    Example::

        except OSError as e:
            raise write_refused(e, "artifact (3 MB)", "/data/artifacts") or e
    """
    if isinstance(error, StoreWriteError):
        return error
    if error.errno not in FULL | READ_ONLY:
        return None
    directory = os.path.dirname(error.filename) if isinstance(error.filename, str) else None
    directory = directory or str(where)
    if error.errno in FULL:
        full = "disk full" if error.errno == errno.ENOSPC else "disk full (quota exceeded)"
        message = (
            f"{full}: could not write {what} in {directory} ({os.strerror(error.errno)}); "
            "nothing was half-written. Free some space there, or point FLOWLAB_HOME "
            "(FLOWLAB_STORE, FLOWLAB_ARTIFACTS) at another disk"
        )
    else:
        why = "read-only" if error.errno == errno.EROFS else "not writable by this user"
        message = (
            f"{directory} is {why} ({os.strerror(error.errno)}): could not write {what}. "
            "Runs can still be read there; writing needs a writable FLOWLAB_HOME "
            "(or FLOWLAB_STORE, FLOWLAB_ARTIFACTS)"
        )
    return StoreWriteError(message, error.errno, error.filename)


@contextlib.contextmanager
def refused_writes(what: str, where):
    """Raise a full disk or a read-only place met inside as :class:`StoreWriteError`."""
    try:
        yield
    except OSError as error:
        refused = write_refused(error, what, where)
        if refused is None or refused is error:
            raise
        raise refused from error


def size_text(size: int) -> str:
    """``1.2 MB``, ``340 B``: a size for a message."""
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return ""


#: a write's tag, ``<pid>@<host>.<token>``, names the temporary files (``.<name>.<tag>.tmp``)
#: and the marker (``writing/<tag>``) of one write: what a writer left is known for its own
#: once the process is gone, and never taken from a writer still writing
_TAG = r"(?P<pid>\d+)@(?P<host>[^/]*)\.(?P<token>[0-9a-f]{32})"
_TEMPORARY = re.compile(rf"^\.(?P<target>.+)\.{_TAG}\.tmp$")
_MARKER = re.compile(rf"^{_TAG}$")
#: a temporary file of unknown origin (older versions name no process) is removed past this age
ABANDONED_AFTER_SECONDS = 3600
#: a write takes milliseconds: one marked this long ago (on another host, where its process
#: cannot be asked) has stopped
STOPPED_AFTER_SECONDS = 10


def write_tag() -> str:
    """A new write's tag: this process, this host, a random token."""
    return f"{os.getpid()}@{socket.gethostname()}.{uuid.uuid4().hex}"


def temporary_path(path: Path, tag: str | None = None) -> Path:
    """Where ``path`` is written before being renamed into place (ignored by every reader)."""
    return path.with_name(f".{path.name}.{tag or write_tag()}.tmp")


def _process_gone(pid: str, host: str) -> bool:
    """Whether process ``pid`` of ``host`` is known to be gone (only this host's can be)."""
    if host != socket.gethostname():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # another user's live process
        return False
    return False


def _age(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0


def abandoned(path: Path) -> bool:
    """Whether a temporary file was left by a writer that is gone (killed mid-write)."""
    found = _TEMPORARY.match(path.name)
    if found and _process_gone(found["pid"], found["host"]):
        return True
    return _age(path) > ABANDONED_AFTER_SECONDS


def atomic_write_json(path: Path, data) -> None:
    """Write JSON to ``path`` via a temporary file, fsync and rename."""
    atomic_write_text(path, json.dumps(data, default=str))


def atomic_write_text(path: Path, text: str, tag: str | None = None) -> None:
    """Write ``text`` to ``path`` whole or not at all: a temporary file, fsync, then one rename.

    On a failure (a full disk: the store's methods raise it as :class:`StoreWriteError`) the
    temporary file is removed and ``path`` keeps its old content.

    Example::

        atomic_write_text(Path("/tmp/flowlab/runs/r1.json"), '{"id": "r1"}')
    """
    temporary = temporary_path(path, tag)
    try:
        with open(temporary, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(OSError):  # gone (renamed), or never made
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
    #: a directory changed this recently may change again within the same clock tick (file
    #: times are coarse), unseen by its time: it is listed again until this old
    SETTLED_NS = 2_000_000_000
    #: a long-lived reader lists runs/ again (run files put or removed by hand) at most this
    #: often, when it changed; what a killed writer left is found at once (``writing/``)
    RELIST_SECONDS = 30.0

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.url = f"tinydb://{self.root}"
        self.runs_dir = self.root / "runs"
        self.locks_dir = self.root / "locks"  # one lock file per run, kept out of runs/
        self.writing_dir = self.root / "writing"  # one marker per write under way
        try:
            self.runs_dir.mkdir(parents=True, exist_ok=True)
            self.locks_dir.mkdir(exist_ok=True)
            self.writing_dir.mkdir(exist_ok=True)
        except OSError as error:
            if error.errno not in READ_ONLY:
                raise
            # a read-only home is still read; a write says why it cannot be (refused_writes)
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
        # what runs/ and writing/ held when last listed (stamps, when), the summaries of run
        # files the index lacks or has out of date (kept here only while they cannot be
        # written to it), and indexed ids whose file is gone
        self._runs_stamp: tuple | None = None
        self._listed_at: float | None = None
        self._writing_stamp: tuple | None = None
        self._healed_missing: dict[str, dict] = {}
        self._healed_stale: dict[str, dict] = {}
        self._gone: set[str] = set()
        self._unreadable: set[str] = set()

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

    def _index_stamp(self) -> tuple | None:
        try:
            info = self.index_path.stat()
        except FileNotFoundError:
            return None
        return (info.st_mtime_ns, info.st_size, info.st_ino)

    def _load(self) -> dict[str, dict]:
        """The current summaries by id: the TinyDB base, then the journal's lines over it."""
        for _ in range(10):
            stamp = self._index_stamp()
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
            # under the lock nothing moves; a reader without it (a read-only home) may have
            # read the journal of another compaction than the base's: read both again
            if self._index_stamp() == stamp:
                break
            self._base_stamp = None
        return {**self._base, **self._journal}

    @contextlib.contextmanager
    def _reading(self, lock: FileLock):
        """Hold ``lock`` to read, or read without it where its file cannot be opened (a
        read-only home, another user's): yields whether it is held, so writing may follow."""
        try:
            lock.acquire()
            held = True
        except OSError as error:
            if error.errno not in READ_ONLY:
                raise
            held = False
        try:
            yield held
        finally:
            if held:
                lock.release()

    def _current(self, writable: bool) -> dict[str, dict]:
        """The summaries of the runs whose files exist, by id: ``_load`` healed of what killed
        writers left; ``writable``: the index lock is held, so what is healed is written."""
        summaries = self._heal_stopped_writes(self._load(), writable)
        try:
            info = os.stat(self.runs_dir)
        except FileNotFoundError:
            return {}  # a read-only home where no run was ever written
        stamp = (info.st_ino, info.st_mtime_ns, info.st_ctime_ns, info.st_size)
        due = self._listed_at is None or time.monotonic() - self._listed_at > self.RELIST_SECONDS
        if stamp != self._runs_stamp and due:
            summaries = self._reconcile(summaries, writable)
            self._listed_at = time.monotonic()
            settled = time.time_ns() - info.st_mtime_ns > self.SETTLED_NS
            self._runs_stamp = stamp if settled else None
        if self._healed_missing:  # only while they cannot be written to the index
            summaries = {**self._healed_missing, **summaries}
        if self._healed_stale:
            summaries = {**summaries, **self._healed_stale}
        if self._gone:  # a run written again since is back
            self._gone = {i for i in self._gone if not (self.runs_dir / f"{i}.json").exists()}
            summaries = {k: v for k, v in summaries.items() if k not in self._gone}
        return summaries

    def _begin_write(self, run_ids: list[str]) -> tuple[str, Path]:
        """Mark a write of ``run_ids`` under way: ``writing/<tag>`` names them. A writer killed
        before it ends the write leaves the marker, and the next reader indexes those runs
        from their files (the index lacks them, or has them as they were before)."""
        tag = write_tag()
        marker = self.writing_dir / tag
        text = json.dumps(run_ids).encode()
        try:
            descriptor = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileNotFoundError:  # a home made before markers were
            self.writing_dir.mkdir(exist_ok=True)
            descriptor = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(descriptor, text)  # no fsync: a killed process's writes are kept
        finally:
            os.close(descriptor)
        return tag, marker

    @staticmethod
    def _end_write(marker: Path) -> None:
        with contextlib.suppress(OSError):  # a reader took it as stopped: it indexed the same
            marker.unlink()

    def _heal_stopped_writes(self, summaries: dict[str, dict], writable: bool) -> dict:
        """Index the runs of writes that stopped before their end (their writer was killed):
        their markers in ``writing/``; the temporary files they left are removed. Cheap:
        ``writing/`` holds the writes under way, and is listed only when it changed."""
        try:
            info = os.stat(self.writing_dir)
        except FileNotFoundError:
            return summaries
        stamp = (info.st_ino, info.st_mtime_ns, info.st_ctime_ns)
        if stamp == self._writing_stamp:
            return summaries
        stopped, under_way = [], False
        for name in os.listdir(self.writing_dir):
            found = _MARKER.match(name)
            if found is None:
                continue
            path = self.writing_dir / name
            if _process_gone(found["pid"], found["host"]) or _age(path) > STOPPED_AFTER_SECONDS:
                stopped.append((path, name, self._marked_ids(path)))
            else:
                under_way = True  # its writer ends it, or is killed: look again next time
        healed = {}
        for _, _, run_ids in stopped:
            for run_id in run_ids:
                summary = self._summary_of_file(run_id)
                if summary is not None and summary != summaries.get(run_id):
                    healed[run_id] = summary
        self._healed_stale = healed
        if writable and stopped:
            try:
                if healed:
                    self._append(list(healed.values()))
                    log.info("indexed %d run(s) of writes killed in %s", len(healed), self.root)
                    summaries = self._load()
                self._healed_stale = {}
                for path, tag, run_ids in stopped:
                    for run_id in run_ids:
                        self._end_write(self.runs_dir / f".{run_id}.json.{tag}.tmp")
                    self._end_write(path)
            except OSError:  # a full disk: shown all the same, written by a later reader
                under_way = True
        # markers removed just now changed writing/ after its stamp: it is listed once more
        settled = time.time_ns() - info.st_mtime_ns > self.SETTLED_NS
        self._writing_stamp = stamp if settled and not under_way else None
        return summaries

    def _marked_ids(self, marker: Path) -> list[str]:
        """The run ids a marker names (none when its writer was killed before naming them)."""
        try:
            run_ids = json.loads(marker.read_text() or "[]")
        except (OSError, ValueError):
            return []
        if not isinstance(run_ids, list):
            return []
        return [i for i in run_ids if isinstance(i, str) and i and "/" not in i and i[0] != "."]

    def _reconcile(self, summaries: dict[str, dict], writable: bool) -> dict[str, dict]:
        """List ``runs/``: index the run files the index lacks (put there by hand, or by a
        version without markers), note indexed ids whose file is gone, remove the temporary
        files of writers that are gone. Returns the summaries, healed ones in.

        The index is read before the directory is listed, and every writer writes a run's
        file before its index line, so an id indexed but not listed really has no file."""
        present, temporaries = set(), []
        for name in os.listdir(self.runs_dir):
            if name[0] == ".":
                if name[-4:] == ".tmp":
                    temporaries.append(name)
            elif name[-5:] == ".json":
                present.add(name[:-5])
        self._gone = set(summaries.keys() - present)
        healed = {}
        for run_id in present - summaries.keys():
            summary = self._summary_of_file(run_id)
            if summary is not None:
                healed[run_id] = summary
        self._healed_missing = healed
        if not writable:
            return summaries
        if healed:
            try:
                self._append(list(healed.values()))
                self._healed_missing = {}
                log.info("indexed %d run file(s) the index of %s lacked", len(healed), self.root)
            except OSError:  # a full disk: shown all the same, written by a later reader
                pass
            summaries = self._load()
        # the index's own temporary files (a compaction killed) lie beside it
        temporaries = [self.runs_dir / name for name in temporaries] + [
            path for path in self.root.glob(".*.tmp") if path.is_file()
        ]
        for path in temporaries:
            if abandoned(path):
                with contextlib.suppress(OSError):
                    path.unlink()
        return summaries

    def _summary_of_file(self, run_id: str) -> dict | None:
        """The summary of ``runs/<run_id>.json``; None (said once) when it cannot be read."""
        path = self.runs_dir / f"{run_id}.json"
        try:
            record = read_json(path, "run record")
        except FileNotFoundError:
            return None  # its writer was killed before it was written
        except (StoreError, OSError, UnicodeDecodeError) as error:
            record = error
        if isinstance(record, dict) and record.get("id") == run_id:
            return json.loads(json.dumps(summary_of(record), default=str))
        if run_id not in self._unreadable:
            self._unreadable.add(run_id)
            log.warning("run file %s is not a run record: not listed (%s)", path, record)
        return None

    # -- records ------------------------------------------------------------------------------
    def put_run(self, record: dict) -> None:
        """Insert or replace a run record; the index changes only when its summary does."""
        summary = json.loads(json.dumps(summary_of(record), default=str))
        self.put_run_json(record["id"], json.dumps(record, default=str), summary)

    def put_run_json(self, run_id: str, text: str, summary: dict | None = None) -> None:
        """Like put_run, for a record already serialised (the run tracker's batched writes).

        Takes the run's own lock, so it never lands between another process's read and
        write of the same record (``update_run``)."""
        with refused_writes(f"run record {run_id} ({size_text(len(text))})", self.runs_dir):
            with self._run_lock(run_id):
                self._write_run(run_id, text, summary)

    def _run_lock(self, run_id: str) -> FileLock:
        self._run_path(run_id)  # refuses ids that are not plain names
        return FileLock(str(self.locks_dir / f"{run_id}.lock"))

    def _write_run(self, run_id: str, text: str, summary: dict | None = None) -> None:
        path = self._run_path(run_id)
        summary = summary if summary is not None else summary_of(json.loads(text))
        tag, marker = self._begin_write([run_id])
        try:
            atomic_write_text(path, text, tag)
        except BaseException:
            self._end_write(marker)  # nothing changed
            raise
        with self._summary_lock:
            unchanged = self._summaries.get(run_id) == summary
            self._summaries[run_id] = summary
        try:
            if not unchanged:
                with self._lock:
                    self._append([summary])
        except BaseException:
            with self._summary_lock:  # not indexed: the next write of it must be
                self._summaries.pop(run_id, None)
            raise  # the marker stays: a reader indexes the file once this write is over
        self._end_write(marker)

    def put_runs(self, records: list[dict]) -> None:
        """Insert many records with one index write (imports and migrations)."""
        with refused_writes(f"{len(records)} run records", self.runs_dir):
            paths = [self._run_path(record["id"]) for record in records]
            tag, marker = self._begin_write([record["id"] for record in records])
            for path, record in zip(paths, records, strict=True):
                atomic_write_text(path, json.dumps(record, default=str), tag)
            with self._lock:
                self._append([summary_of(r) for r in records])
            self._end_write(marker)

    def update_run(self, run_id: str, change) -> dict:
        """Read, change and write one record under its own lock (tags, notes from anywhere)."""
        with refused_writes(f"run record {run_id}", self.runs_dir):
            with self._run_lock(run_id):
                record = self.get_run(run_id)
                change(record)
                self._write_run(run_id, json.dumps(record, default=str))
        return record

    def get_summary(self, run_id: str) -> dict | None:
        """The indexed summary of one run (tags, notes, status…), without reading its record
        (unless the index lacks it: a writer killed before indexing it); None when it has no
        file.

        Example::

            store.get_summary("r1")["tags"]   # ['baseline']
        """
        path = self._run_path(run_id)
        with self._reading(self._lock):
            # one run's file is looked at, not all of runs/: a tracker asks before each write
            summary = self._load().get(run_id)
        if not path.exists():
            return None
        return summary if summary is not None else self._summary_of_file(run_id)

    def get_run(self, run_id: str) -> dict:
        path = self._run_path(run_id)
        if not path.exists():
            raise RunNotFound(f"no run {run_id!r} in the store {self.root}")
        return read_json(path, "run record")

    def list_runs(self) -> list[dict]:
        """Summaries of every run (id, workflow, status, times, tags, inline inputs/outputs)."""
        with self._reading(self._lock) as writable:
            summaries = list(self._current(writable).values())
        # a live run whose tracker's lease lapsed reads failed, for every query and count
        return [effective(s) if s.get("status") in LIVE else s for s in summaries]

    def all_records(self):
        """Every full record, oldest first (exports and migrations)."""
        # glob's "*" leaves out the hidden temporary files of writers
        records = [read_json(p, "run record") for p in self.runs_dir.glob("*.json")]
        yield from sorted((r for r in records if r), key=lambda r: r.get("created") or "")

    def count(self, query=None) -> int:
        """How many runs match ``query`` (all runs when None)."""
        summaries = self.list_runs()
        if query is None or query.where is None:
            return len(summaries)
        matches = query.predicate
        return sum(1 for s in summaries if matches(s))

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
        with refused_writes(f"the {kind} entry {name!r}", self.root):
            return self._update_entry(kind, name, change)

    def _update_entry(self, kind: str, name: str, change):
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
        with self._reading(lock), db:
            found = db.table(kind).get(TinyQuery().name == name)
        return dict(found) if found is not None else None

    def list_entries(self, kind: str) -> list[dict]:
        if not self._entry_file(kind).exists():
            return []
        db, lock = self._entries(kind)
        with self._reading(lock), db:
            return sorted((dict(e) for e in db.table(kind).all()), key=lambda e: e["name"])

    def entry_kinds(self) -> list[str]:
        kinds = set(_ENTRY_FILES) | {p.stem for p in (self.root / "entries").glob("*.json")}
        return sorted(k for k in kinds if self.list_entries(k))

    # -- operator cache -----------------------------------------------------------------------
    def cache_put(self, entries: list[dict]) -> None:
        """Record cache entries (key -> the run and outputs it points at): appended lines."""
        with refused_writes("operator cache entries", self.root):
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
        with refused_writes("the run index", self.root), self._lock:
            with self._index() as db:
                db.drop_table("runs")
                db.table("runs").insert_multiple(summaries)
            self.journal.clear()
            self._base_stamp = self._runs_stamp = self._listed_at = None
        return len(summaries)

    def __repr__(self) -> str:
        return f"TinyDBRunStore({str(self.root)!r})"
