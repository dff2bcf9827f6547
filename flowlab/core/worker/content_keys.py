"""Cache keys that depend on what a non-cached operator produced, not on its key.

A node's key is normally known before anything runs (core/worker/cache.py): it covers the keys of the
nodes it reads from. That is right for cached parents (same key, same outputs) and wrong for an
operator declared ``cache=False`` (it reads a clock, a live table, a file outside flowlab's
view): the same key can give a new result. So a node downstream of such an operator is
*content-keyed*: its key is finished on the worker, from its launch-time key and the
*identity* of each such parent (the content hash of a non-cached operator's outputs, or the
finished key of a content-keyed cached one), and it is looked up in the cache there.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def content_keyed_nodes(graph) -> dict[str, list[str]]:
    """Node -> the parents whose identity finishes its key (only nodes that have such)."""
    found: dict[str, list[str]] = {}
    for node_id, node in graph.nodes.items():  # nodes are in execution order
        parents = [p for p in node.parents if not graph.operators[p].cache or p in found]
        if parents:
            found[node_id] = parents
    return found


def runtime_key(launch_key: str, identities: dict[str, str]) -> str:
    """A content-keyed node's key: its launch-time key plus its parents' identities."""
    text = json.dumps({"key": launch_key, "parents": identities}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def output_identity(outputs: dict[str, Any], declared) -> str:
    """The content hash of an operator's outputs (what its children's keys are made of)."""
    from flowlab.core.worker.cache import content_hash

    parts = {
        name: content_hash(value, declared.get(name)) for name, value in sorted(outputs.items())
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]


def lookup(store_url: str, artifacts_root: str, key: str) -> dict | None:
    """The usable cache entry for ``key`` in the run store, read from the worker."""
    from flowlab.core.worker.cache import usable
    from flowlab.store import open_store
    from flowlab.store.artifacts import ArtifactStore

    entry = open_store(store_url).cache_get([key]).get(key)
    if entry is not None and usable(entry, ArtifactStore(artifacts_root)):
        return entry
    return None
