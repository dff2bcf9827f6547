"""Operator caching: a key per node from its code version and its inputs' content.

Entries live in the run store (``cache_get`` / ``cache_put``), written by the run's tracker in
batches. Keys are computed before anything runs, Merkle-style: a node's key covers its operator's
name and code version, its seed, its literal inputs, the content hash of the workflow inputs
it reads, and the keys of the nodes it reads from. So an unchanged workflow re-run with the
same inputs finds every key, and changing one input changes exactly the keys downstream of it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flowlab.core.graph import Graph


def content_hash(value: Any, flow_type=None) -> str:
    """A stable hash of a workflow input's content (a DataFrame's data, a file's bytes…)."""
    digest = hashlib.sha256()
    if hasattr(value, "dtypes") and hasattr(value, "columns") and not hasattr(value, "dask"):
        import pandas as pd

        digest.update(json.dumps([[str(c), str(t)] for c, t in value.dtypes.items()]).encode())
        digest.update(pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes())
    elif isinstance(value, str) and flow_type is not None and flow_type.name in ("DATASET", "FILE"):
        _hash_file(value, digest)
    else:
        try:
            digest.update(json.dumps(value, sort_keys=True).encode())
        except (TypeError, ValueError):
            from dask.base import tokenize

            digest.update(tokenize(value).encode())
    return "sha256:" + digest.hexdigest()


def _hash_file(path: str, digest) -> None:
    import fsspec

    from flowlab.types.dataset import resolve_name

    uri = resolve_name(path)
    digest.update(uri.encode())
    with fsspec.open(uri, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)


def default_seed(workflow: str) -> int:
    """The seed of a run launched without one: fixed per workflow, so runs reproduce by
    default and a changed input leaves the seeds, and so the cache keys, of the operators
    that do not depend on it unchanged. Pass ``seed=`` to launch for another draw."""
    return int.from_bytes(hashlib.sha256(workflow.encode()).digest()[:4], "big") & 0x7FFFFFFF


def node_keys(graph: Graph, input_hashes: dict[str, str], seeds: dict[str, int]) -> dict:
    """The cache key of every node (nodes are in execution order)."""
    from dask.base import tokenize

    keys: dict[str, str] = {}

    def canon(value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1 and "$ref" in value:
                node, output = value["$ref"]
                return {"$ref": [keys[node], output]}
            if len(value) == 1 and "$input" in value:
                return {"$input": input_hashes[value["$input"]]}
            if len(value) == 1 and "$literal" in value:
                return {"$literal": tokenize(graph.literals[value["$literal"]])}
            return {k: canon(v) for k, v in value.items()}
        if isinstance(value, list):
            return [canon(v) for v in value]
        return value

    for node_id, node in graph.nodes.items():
        payload = {
            "operator": node.operator,
            "version": node.version,
            "seed": seeds[node_id],
            "inputs": canon(node.inputs),
        }
        text = json.dumps(payload, sort_keys=True, default=str)
        keys[node_id] = hashlib.sha256(text.encode()).hexdigest()[:32]
    return keys


def usable(entry: dict, artifacts) -> bool:
    """A cache entry can be reused while every artifact file it points at still exists."""
    for ref in (entry.get("outputs") or {}).values():
        if isinstance(ref, dict) and "$artifact" in ref:
            if not artifacts.fs.exists(artifacts.fs._strip_protocol(ref["$artifact"])):
                return False
    return True


class CachedOutputs(dict):
    """A cached node's outputs as children see them: artifact files read on first access."""

    def __init__(self, refs: dict, artifacts_root: str):
        super().__init__()
        self._refs = refs
        self._root = artifacts_root

    def __getitem__(self, name: str) -> Any:
        if not dict.__contains__(self, name):
            from flowlab.store.artifacts import ArtifactStore
            from flowlab.store.values import load_value

            dict.__setitem__(self, name, load_value(self._refs[name], ArtifactStore(self._root)))
        return dict.__getitem__(self, name)
