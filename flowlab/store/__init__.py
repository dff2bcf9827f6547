"""Run records and artifacts: where every run is kept.

Example::

    from flowlab import store
    store.get_store().get_run(run.id)["status"]
"""

from __future__ import annotations

from flowlab.store.artifacts import ArtifactStore
from flowlab.store.config import artifacts_url, home, store_url
from flowlab.store.tinydb_store import TinyDBRunStore

__all__ = ["ArtifactStore", "TinyDBRunStore", "get_artifacts", "get_store", "home"]


def get_store() -> TinyDBRunStore:
    """The run store chosen by FLOWLAB_STORE / FLOWLAB_HOME (TinyDB under .flowlab by default)."""
    url = store_url()
    if url.startswith("tinydb://"):
        return TinyDBRunStore(url.removeprefix("tinydb://"))
    raise ValueError(f"FLOWLAB_STORE={url!r}: only tinydb:// stores are supported so far")


def get_artifacts() -> ArtifactStore:
    """The artifact store chosen by FLOWLAB_ARTIFACTS (FLOWLAB_HOME/artifacts by default)."""
    return ArtifactStore(artifacts_url())
