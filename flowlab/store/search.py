"""Finding runs: ``flowlab.runs(query)`` and saved searches.

Example::

    good = flowlab.runs('workflow = "iris" and outputs.logloss < 0.3', order_by="outputs.logloss",
                        limit=20)
    len(good), good[0].id, good.to_pandas()
    flowlab.searches.save("good iris", 'workflow = "iris" and outputs.logloss < 0.3')
    flowlab.searches.run("good iris")
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from filelock import FileLock
from tinydb import Query as TinyQuery
from tinydb import TinyDB

from flowlab.store.query import parse


class RunList(Sequence):
    """The runs a search found, in order; each item is a ``flowlab.Run`` read from the store."""

    def __init__(self, summaries: list[dict], store):
        self._summaries = summaries
        self._store = store
        self._runs: dict[int, object] = {}

    def __len__(self) -> int:
        return len(self._summaries)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return RunList(self._summaries[index], self._store)
        if index < 0:
            index += len(self)
        if index not in self._runs:
            from flowlab.core.run import Run

            record = self._store.get_run(self._summaries[index]["id"])
            self._runs[index] = Run(record, store=self._store)
        return self._runs[index]

    def __iter__(self) -> Iterator:
        for i in range(len(self)):
            yield self[i]

    @property
    def ids(self) -> list[str]:
        return [s["id"] for s in self._summaries]

    def to_pandas(self):
        """One row per run: id, workflow, status, times, tags, then inputs.* and outputs.*."""
        import pandas as pd

        rows = []
        for s in self._summaries:
            row = {
                k: s.get(k)
                for k in ("id", "workflow", "status", "created", "ended", "parent", "version")
            }
            row["tags"] = ", ".join(s.get("tags") or [])
            row.update({f"inputs.{k}": v for k, v in (s.get("inputs") or {}).items()})
            row.update({f"outputs.{k}": v for k, v in (s.get("outputs") or {}).items()})
            rows.append(row)
        return pd.DataFrame(rows)

    def _repr_html_(self) -> str:
        return self.to_pandas().to_html(index=False)

    def __repr__(self) -> str:
        return f"<RunList of {len(self)} runs>"


def runs(
    query: str = "",
    order_by: str | None = None,
    limit: int | None = None,
    descending: bool | None = None,
    store=None,
) -> RunList:
    """Search the run store. ``order_by`` and ``limit`` may also be written in the query.

    ``order_by="-outputs.accuracy"`` sorts descending. Newest first when no order is given.
    """
    from flowlab.store import get_store

    store = store or get_store()
    parsed = parse(query)
    if order_by:
        parsed.descending = order_by.startswith("-") if descending is None else descending
        parsed.order_by = tuple(order_by.lstrip("-").split("."))
        parse(order_by.lstrip("-") + " = 0")  # validates the path, pointing at mistakes
    elif descending is not None and parsed.order_by:
        parsed.descending = descending
    if limit is not None:
        parsed.limit = int(limit)
    return RunList(store.search(parsed), store)


class SavedSearches:
    """Named queries kept in the store's home (``saved_searches.json``, TinyDB)."""

    def _db(self):
        from flowlab.store.config import home
        from flowlab.store.tinydb_store import AtomicJSONStorage

        path = home() / "saved_searches.json"
        return TinyDB(str(path), storage=AtomicJSONStorage), FileLock(str(path) + ".lock")

    def save(
        self, name: str, query: str, order_by: str | None = None, limit: int | None = None
    ) -> dict:
        """Check the query parses, then store it under ``name`` (replacing one of that name)."""
        if not name or not isinstance(name, str):
            raise ValueError("a saved search needs a non-empty name")
        parse(query)
        entry = {"name": name, "query": query, "order_by": order_by, "limit": limit}
        db, lock = self._db()
        with lock, db:
            db.table("searches").upsert(entry, TinyQuery().name == name)
        return entry

    def list(self) -> list[dict]:
        db, lock = self._db()
        with lock, db:
            return [dict(e) for e in db.table("searches").all()]

    def get(self, name: str) -> dict:
        db, lock = self._db()
        with lock, db:
            entry = db.table("searches").get(TinyQuery().name == name)
        if entry is None:
            known = ", ".join(e["name"] for e in self.list()) or "none"
            raise KeyError(f"no saved search {name!r}; saved: {known}")
        return dict(entry)

    def run(self, name: str) -> RunList:
        entry = self.get(name)
        return runs(entry["query"], order_by=entry.get("order_by"), limit=entry.get("limit"))

    def delete(self, name: str) -> None:
        self.get(name)
        db, lock = self._db()
        with lock, db:
            db.table("searches").remove(TinyQuery().name == name)


searches = SavedSearches()
