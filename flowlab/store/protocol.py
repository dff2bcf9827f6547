"""``RunStore``: the one contract every run store implements (TinyDB, SQLite, PostgreSQL).

Everything above the store (runs, searches, the catalog, the tracker, the CLI, dashboards)
talks to a store through these methods only, so a query, a page of runs or a saved search
means the same thing whatever the backend. The meaning of queries is written once, in
``flowlab.store.query`` and docs/queries.md's grammar; ``tests/store/test_conformance.py`` runs
every case on all three backends and demands the same runs in the same order.

Besides runs, a store keeps **entries**: small named JSON documents grouped by ``kind``
(``"datasets"`` for the catalog, ``"searches"`` for saved searches). A new feature that needs
shared state (a model registry: ``"models"``, ``"model_aliases"``…) adds a kind, not a table
per backend; ``update_entry`` reads and writes one entry atomically (a version counter, an
alias move), and ``flowlab.store.migrate`` copies every kind.

Example::

    store = flowlab.store.open_store("sqlite:///runs.db")
    isinstance(store, flowlab.store.RunStore)                 # True
    page = store.search(parse('status = "succeeded" order by outputs.loss limit 50 offset 100'))
    total = store.count(parse('status = "succeeded"'))
    store.put_entry("searches", "good", {"name": "good", "query": "outputs.loss < 0.3"})
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator

_KIND = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def check_kind(kind: str) -> str:
    """An entry kind is a short lower-case name (it becomes a file or a key)."""
    if not isinstance(kind, str) or not _KIND.match(kind):
        raise ValueError(
            f"entry kind {kind!r}: use lower-case letters, digits and '_', starting with a letter"
        )
    return kind


class RunStore(ABC):
    """Where runs, their searchable summaries, the operator cache and named entries live.

    Implementations: ``TinyDBRunStore`` (files under a directory, the default) and
    ``SQLRunStore`` (SQLite or PostgreSQL through SQLAlchemy). ``flowlab.store.open_store(url)``
    picks one from a URL.
    """

    url: str

    # -- run records --------------------------------------------------------------------------
    def put_run(self, record: dict) -> None:
        """Insert or replace one run record (a dict with at least ``id``)."""
        self.put_runs([record])

    @abstractmethod
    def put_runs(self, records: list[dict]) -> None:
        """Insert or replace many records at once (imports, migrations): one index write."""

    @abstractmethod
    def put_run_json(self, run_id: str, text: str, summary: dict | None = None) -> None:
        """Like ``put_run`` for a record already serialised to JSON ``text``.

        ``summary`` (``summary_of`` the record, when the caller already has it) saves the
        store from parsing ``text`` again; the run tracker writes this way in batches."""

    @abstractmethod
    def update_run(self, run_id: str, change: Callable[[dict], None]) -> dict:
        """Read a record, call ``change(record)`` to edit it in place, write it back, with no
        other writer of that run in between (tags and notes from several processes); the new
        record. ``RunNotFound`` when there is no such run."""

    @abstractmethod
    def get_run(self, run_id: str) -> dict:
        """The whole record of one run; ``RunNotFound`` naming the id and the store if absent."""

    @abstractmethod
    def get_summary(self, run_id: str) -> dict | None:
        """The searchable summary of one run (``summary_of``), or None; cheaper than get_run."""

    @abstractmethod
    def list_runs(self) -> list[dict]:
        """The summaries of every run, in no particular order."""

    @abstractmethod
    def all_records(self) -> Iterator[dict]:
        """Every whole record, oldest first (exports and migrations)."""

    # -- searching ----------------------------------------------------------------------------
    @abstractmethod
    def search(self, query) -> list[dict]:
        """Summaries matching a parsed ``Query``, in its order, from ``query.offset``, at most
        ``query.limit``. Ties in the order are broken by run id, in the same direction, so a
        page never repeats or skips a run. The meaning of every query is in
        ``flowlab.store.query``; all backends give the same runs in the same order."""

    @abstractmethod
    def count(self, query=None) -> int:
        """How many runs match ``query`` (its limit and offset ignored); all runs when None.
        With ``search`` this pages a table: ``count(q)`` rows, ``search(q)`` one page."""

    # -- operator cache -----------------------------------------------------------------------
    @abstractmethod
    def cache_put(self, entries: list[dict]) -> None:
        """Record cache entries (``key`` → the run and outputs it points at); newest wins."""

    @abstractmethod
    def cache_get(self, keys: list[str]) -> dict[str, dict]:
        """The newest entry of each key that has one (keys without are left out)."""

    # -- named entries (catalog, saved searches, later the model registry) --------------------
    @abstractmethod
    def update_entry(
        self, kind: str, name: str, change: Callable[[dict | None], dict | None]
    ) -> dict | None:
        """Atomically replace entry ``name`` of ``kind`` by ``change(current)``.

        ``current`` is None when there is no such entry; returning None deletes it (or
        leaves it absent). No other writer of the same kind lands in between, in this or
        another process. Returns what ``change`` returned."""

    @abstractmethod
    def get_entry(self, kind: str, name: str) -> dict | None:
        """The entry ``name`` of ``kind``, or None."""

    @abstractmethod
    def list_entries(self, kind: str) -> list[dict]:
        """Every entry of ``kind``, sorted by name."""

    @abstractmethod
    def entry_kinds(self) -> list[str]:
        """The kinds that hold at least one entry, sorted (what ``migrate`` copies)."""

    def put_entry(self, kind: str, name: str, entry: dict) -> dict:
        """Insert or replace entry ``name`` of ``kind``."""
        return self.update_entry(kind, name, lambda _current: entry)

    def delete_entry(self, kind: str, name: str) -> bool:
        """Remove entry ``name`` of ``kind``; whether there was one."""
        existed = []
        self.update_entry(kind, name, lambda current: existed.append(current) or None)
        return existed[0] is not None

    # -- lifetime -----------------------------------------------------------------------------
    def close(self) -> None:  # noqa: B027 - a store without connections has nothing to close
        """Release connections and file handles (the store may be opened again)."""
