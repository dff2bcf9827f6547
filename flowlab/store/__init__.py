"""Run records and artifacts: where every run is kept.

Example::

    from flowlab import store
    store.get_store().get_run(run.id)["status"]
"""

from __future__ import annotations

from flowlab.store.artifacts import ArtifactStore
from flowlab.store.config import artifacts_url, home, redacted, store_url
from flowlab.store.portability import export_runs, import_runs, migrate
from flowlab.store.protocol import RunStore
from flowlab.store.records import summary_of
from flowlab.store.search import count
from flowlab.store.tinydb_store import TinyDBRunStore

__all__ = [
    "ArtifactStore",
    "RunStore",
    "TinyDBRunStore",
    "count",
    "export_runs",
    "get_artifacts",
    "get_store",
    "home",
    "import_runs",
    "migrate",
    "open_store",
    "redacted",
    "summary_of",
]


_STORES: dict = {}


def get_store() -> RunStore:
    """The run store chosen by FLOWLAB_STORE (TinyDB under FLOWLAB_HOME by default).

    ``FLOWLAB_STORE`` may be ``tinydb:///dir``, ``sqlite:///path/runs.db`` or
    ``postgresql://user@host/db`` (``?schema=name`` for a schema of its own); the same query
    language means the same on each.
    """
    return open_store(store_url())


def forget_store(store) -> None:
    """Drop ``store`` from the stores :func:`open_store` keeps open (it was destroyed).

    Example::

        store.destroy()   # calls forget_store(store): the next open_store(url) starts afresh
    """
    for url, kept in list(_STORES.items()):
        if kept is store:
            del _STORES[url]


def open_store(url: str) -> RunStore:
    """The store at ``url`` (one object per URL in this process), a ``RunStore``.

    Example::

        store = open_store("sqlite:///runs.db")
        flowlab.runs('status = "failed"', store=store)
    """
    if url not in _STORES:
        if url.startswith("tinydb://"):
            _STORES[url] = TinyDBRunStore(url.removeprefix("tinydb://"))
        elif url.split(":", 1)[0] in ("sqlite", "postgresql", "postgres") or url.startswith(
            ("sqlite+", "postgresql+")
        ):
            from flowlab.store.sql_store import SQLRunStore

            _STORES[url] = SQLRunStore(url)
        else:
            raise ValueError(
                f"store URL {redacted(url)!r}: use tinydb:///dir, sqlite:///file.db or "
                "postgresql://user@host/db"
            )
        _replay_spilled(_STORES[url])
    return _STORES[url]


def _replay_spilled(store: RunStore) -> None:
    """Write the run ends an earlier process could not (store.spill); never fails an open."""
    from flowlab.store.spill import replay

    try:
        replay(store)
    except Exception:  # noqa: BLE001 - a read-only home or a store still away: next time
        pass


def get_artifacts() -> ArtifactStore:
    """The artifact store chosen by FLOWLAB_ARTIFACTS (FLOWLAB_HOME/artifacts by default)."""
    return ArtifactStore(artifacts_url())
