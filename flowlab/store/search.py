"""Finding runs: ``flowlab.runs(query)`` and saved searches.

Example::

    good = flowlab.runs('workflow = "iris" and outputs.logloss < 0.3', order_by="outputs.logloss",
                        limit=20)
    len(good), good[0].id, good.to_pandas()
    flowlab.searches.save("good iris", 'workflow = "iris" and outputs.logloss < 0.3')
    flowlab.searches.run("good iris")
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from flowlab.store.query import BoolOp, Compare, Query, check_count, parse, parse_order


def register_run_handle(handle: Callable[..., Any]) -> None:
    """What each run found becomes: ``handle(record, store=store)``.

    The core registers ``flowlab.Run`` when it is imported (always, with ``flowlab``); the
    store sits below the core and does not import it.

    Example::

        register_run_handle(Run)      # flowlab.core.runs.run does this
        flowlab.runs("status = 'failed'")[0].rerun()
    """
    global _HANDLE
    _HANDLE = handle


_HANDLE: Callable[..., Any] | None = None


def _run_handle(record: dict, store) -> Any:
    if _HANDLE is None:
        raise RuntimeError("no run handle registered; import flowlab (it registers flowlab.Run)")
    return _HANDLE(record, store=store)


class RunList(Sequence):
    """The runs a search found, in order; each item is a ``flowlab.Run`` read from the store."""

    def __init__(self, summaries: list[dict], store):
        self._summaries = summaries
        self._store = store
        self._runs: dict[int, object] = {}

    @property
    def store(self):
        """The store these runs were found in."""
        return self._store

    def __len__(self) -> int:
        return len(self._summaries)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return RunList(self._summaries[index], self._store)
        if index < 0:
            index += len(self)
        if index not in self._runs:
            record = self._store.get_run(self._summaries[index]["id"])
            self._runs[index] = _run_handle(record, store=self._store)
        return self._runs[index]

    def __iter__(self) -> Iterator:
        for i in range(len(self)):
            yield self[i]

    @property
    def ids(self) -> list[str]:
        return [s["id"] for s in self._summaries]

    def to_pandas(self):
        """One row per run: id, workflow, status, times, user, tags, then inputs.* and
        outputs.*."""
        import pandas as pd

        rows = []
        for s in self._summaries:
            row = {
                k: s.get(k)
                for k in (
                    "id",
                    "workflow",
                    "status",
                    "created",
                    "ended",
                    "parent",
                    "version",
                    "user",
                )
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
    query: str | Query = "",
    order_by: str | None = None,
    limit: int | None = None,
    descending: bool | None = None,
    store=None,
    offset: int | None = None,
) -> RunList:
    """Search the run store. ``order_by``, ``limit`` and ``offset`` may also be in the query.

    ``order_by="-outputs.accuracy"`` sorts descending. Newest first when no order is given.
    ``store`` is any ``RunStore`` (``flowlab.store.open_store(url)``); the configured one by
    default. Every backend gives the same runs in the same order. A page of a long list:
    ``runs(q, limit=50, offset=100)``, with ``count(q)`` for the total.

    Example::

        flowlab.runs('tags = "baseline"', order_by="-outputs.accuracy", limit=10).ids
    """
    from flowlab.store import get_store

    store = store or get_store()
    return RunList(store.search(make_query(query, order_by, limit, descending, offset)), store)


def count(query: str = "", store=None) -> int:
    """How many runs match ``query`` (its limit and offset ignored), counted by the store.

    Example::

        flowlab.store.search.count('status = "failed"')
    """
    from flowlab.store import get_store

    return (store or get_store()).count(parse(query))


def make_query(query, order_by=None, limit=None, descending=None, offset=None):
    """Parse ``query`` (text, or a parsed ``Query``, left unchanged) and apply ``order_by``
    (``-path`` descending), ``limit``, ``offset``.

    Example::

        store.search(make_query('status = "failed"', order_by="-created", limit=50, offset=100))
    """
    parsed = dataclasses.replace(query) if isinstance(query, Query) else parse(query)
    if order_by:
        parsed.order_by, minus = parse_order(order_by)
        parsed.descending = minus if descending is None else descending
    elif descending is not None and parsed.order_by:
        parsed.descending = descending
    if limit is not None:
        parsed.limit = check_count(limit, "limit")
    if offset is not None:
        parsed.offset = check_count(offset, "offset")
    return parsed


def of_user(query: str | Query, user: str) -> Query:
    """``query`` (its order and page kept) narrowed to the runs ``user`` launched: what
    ``flowlab runs --mine``, the dashboard's and the sidebar's *mine* search. A run recorded
    before flowlab kept its user is nobody's (``user = null``).

    Example::

        flowlab.runs(of_user('status = "failed" order by created limit 5', "ada"))
    """
    parsed = dataclasses.replace(query) if isinstance(query, Query) else parse(query)
    mine = Compare(("user",), "=", user)
    parsed.where = mine if parsed.where is None else BoolOp("and", (parsed.where, mine))
    parsed.paths = [*parsed.paths, mine.path]
    return parsed


class SavedSearches:
    """Named queries, kept in the run store (entries of kind ``searches``), so everyone who
    shares a store shares its searches.

    Example::

        flowlab.searches.save("good iris", 'workflow = "iris" and outputs.logloss < 0.3')
        flowlab.searches.run("good iris")
        SavedSearches(flowlab.store.open_store("sqlite:///team.db")).list()
    """

    KIND = "searches"

    def __init__(self, store=None):
        self._store = store

    @property
    def store(self):
        from flowlab.store import get_store

        return self._store or get_store()

    def save(
        self, name: str, query: str, order_by: str | None = None, limit: int | None = None
    ) -> dict:
        """Check the query parses, then store it under ``name`` (replacing one of that name)."""
        if not name or not isinstance(name, str):
            raise ValueError("a saved search needs a non-empty name")
        make_query(query, order_by, limit, None, None)  # refuses what runs() would refuse
        entry = {"name": name, "query": query, "order_by": order_by, "limit": limit}
        return self.store.put_entry(self.KIND, name, entry)

    def list(self) -> list[dict]:
        """Every saved search, by name."""
        return self.store.list_entries(self.KIND)

    def get(self, name: str) -> dict:
        entry = self.store.get_entry(self.KIND, name)
        if entry is None:
            known = ", ".join(e["name"] for e in self.list()) or "none"
            raise KeyError(f"no saved search {name!r}; saved: {known}")
        return entry

    def run(self, name: str) -> RunList:
        entry = self.get(name)
        return runs(
            entry["query"],
            order_by=entry.get("order_by"),
            limit=entry.get("limit"),
            store=self.store,
        )

    def delete(self, name: str) -> None:
        if not self.store.delete_entry(self.KIND, name):
            self.get(name)  # raises, naming what is saved


searches = SavedSearches()
