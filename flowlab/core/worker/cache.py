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

from flowlab.core.definition.graph import Graph
from flowlab.types import FlowType


def content_hash(value: Any, flow_type=None) -> str:
    """A stable hash of a workflow input's content, as its type sees it (a DataFrame's data,
    a file's bytes, a CSV's read options…): see ``FlowType.content_hash``."""
    from flowlab.types import ANY

    return (flow_type or ANY).content_hash(value)


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
            "inputs": {
                name: _typed_hash(graph, node, name, value) or canon(value)
                for name, value in node.inputs.items()
            },
        }
        text = json.dumps(payload, sort_keys=True, default=str)
        keys[node_id] = hashlib.sha256(text.encode()).hexdigest()[:32]
    return keys


def _typed_hash(graph: Graph, node, name: str, value: Any) -> dict | None:
    """An input known while compiling (a literal, a workflow input), hashed by the type the
    operator declares for it: a FILE path given inline is keyed by the file's content."""
    from flowlab.types import from_json

    type_json = node.input_types.get(name)
    if not type_json:
        return None
    if isinstance(value, dict) and len(value) == 1 and "$literal" in value:
        concrete = graph.literals[value["$literal"]]
    elif isinstance(value, str):
        concrete = value  # a path given inline (FILE, DATASET): its content counts
    else:
        return None  # JSON, a workflow input by reference (hashed once), or references
    flow_type = from_json(type_json)
    if type(flow_type).content_hash is FlowType.content_hash:
        return None  # hashed as JSON anyway
    return {"$content": flow_type.content_hash(concrete)}


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
