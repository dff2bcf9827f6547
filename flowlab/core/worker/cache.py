"""Operator caching: a key per node from its code version and its inputs' content.

Entries live in the run store (``cache_get`` / ``cache_put``), written by the run's tracker in
batches. Keys are computed before anything runs, Merkle-style: a node's key covers its operator's
name and code version, its seed, its literal inputs, the content hash of the workflow inputs
it reads, and the keys of the nodes it reads from. So an unchanged workflow re-run with the
same inputs finds every key, and changing one input changes exactly the keys downstream of it.

What a key is made of is also kept apart (:func:`keys_and_parts`), in each operator's record
(``key_parts``), so that a later run can say why an operator ran again
(:mod:`flowlab.core.runs.cache_status`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from typing import Any

from flowlab.core.definition.graph import Graph
from flowlab.types import FlowType

#: artifacts up to this size are read and checked against their hash before a cache entry
#: pointing at them is reused (once per process and file); bigger ones by existence and size
VERIFY_BYTES = int(os.environ.get("FLOWLAB_CACHE_VERIFY_BYTES", str(64 << 20)))
#: hex digits of a hash kept in an operator's ``key_parts`` (to compare two runs, not to key)
PART_CHARS = 12
# (filesystem path, size, modification time) of artifact files whose content was checked
_VERIFIED: set[tuple] = set()


def content_hash(value: Any, flow_type=None) -> str:
    """A stable hash of a workflow input's content, as its type sees it (a DataFrame's data,
    a file's bytes, a CSV's read options…): see ``FlowType.content_hash``."""
    from flowlab.types import ANY

    return (flow_type or ANY).content_hash(value)


def node_keys(graph: Graph, input_hashes: dict[str, str], seeds: dict[str, int]) -> dict:
    """The cache key of every node (nodes are in execution order).

    Example::

        keys = node_keys(graph, {"data": content_hash(df)}, {"train": 7})
        keys["train"]      # 32 hex digits
    """
    return keys_and_parts(graph, input_hashes, seeds)[0]


def keys_and_parts(
    graph: Graph, input_hashes: dict[str, str], seeds: dict[str, int]
) -> tuple[dict[str, str], dict[str, dict]]:
    """Every node's cache key, and what each key is made of, part by part.

    A node's parts: ``version`` (its operator's code version), ``seed``, ``arguments`` (a hash
    of each argument as written: a literal's content, a reference's name), ``inputs`` (the
    workflow inputs it reads by reference; their content hashes are the run's
    ``input_hashes``) and ``upstream`` (the key of each node it reads from, its first
    ``PART_CHARS`` digits), and ``code`` (each function and constant in its version, hashed:
    which of them changed). Two runs whose parts for a node are equal give it the same key.

    Example::

        keys, parts = keys_and_parts(graph, input_hashes, seeds)
        parts["train"]["upstream"]     # {"split": "9f0c…"}: the key of what train reads
    """
    from dask.base import tokenize

    keys: dict[str, str] = {}
    parts: dict[str, dict] = {}
    tokens: dict[str, str] = {}  # a literal (a DataFrame…) is tokenized once

    def literal(key: str) -> str:
        if key not in tokens:
            tokens[key] = tokenize(graph.literals[key])
        return tokens[key]

    def canon(value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1 and "$ref" in value:
                node, output = value["$ref"]
                return {"$ref": [keys[node], output]}
            if len(value) == 1 and "$input" in value:
                return {"$input": input_hashes[value["$input"]]}
            if len(value) == 1 and "$literal" in value:
                return {"$literal": literal(value["$literal"])}
            return {k: canon(v) for k, v in value.items()}
        if isinstance(value, list):
            return [canon(v) for v in value]
        return value

    for node_id, node in graph.nodes.items():
        typed = {
            name: _typed_hash(graph, node.input_types.get(name), value)
            for name, value in node.inputs.items()
        }
        payload = {
            "operator": node.operator,
            "version": node.version,
            "seed": seeds[node_id],
            "inputs": {name: typed[name] or canon(value) for name, value in node.inputs.items()},
        }
        text = json.dumps(payload, sort_keys=True, default=str)
        keys[node_id] = hashlib.sha256(text.encode()).hexdigest()[:32]
        read: list[str] = []
        _walk_inputs(node.inputs, read.append)
        operator = graph.operators.get(node_id)
        parts[node_id] = {
            "version": node.version,
            # which function or constant a new version changed
            "code": {
                label: digest[:PART_CHARS]
                for label, digest in (operator.code.parts if operator else {}).items()
            },
            "seed": seeds[node_id],
            "arguments": {
                name: typed[name]["$content"][-PART_CHARS:]
                if typed[name]
                else _short_hash(_shape(value, literal))
                for name, value in node.inputs.items()
            },
            "inputs": sorted(set(read)),
            # a prefix is enough to tell two keys apart, and keeps big fan-ins' records small
            "upstream": {parent: keys[parent][:PART_CHARS] for parent in node.parents},
        }
    return keys, parts


def input_keys(graph: Graph) -> dict[str, str]:
    """A hash of each workflow input given inline (a number, a text, a path), made as
    :func:`keys_and_parts` hashes an operator's argument: an argument whose hash changed along
    with an input's was (most likely) given that input.

    Example::

        input_keys(diamond.compile(a=1, b=2))     # {"a": "6b86…", "b": "d473…"}
    """
    from dask.base import tokenize

    found = {}
    for name, value in graph.inputs.items():
        if isinstance(value, dict) and len(value) == 1 and "$input" in value:
            continue  # passed by reference: its content hash is the run's input_hashes
        typed = _typed_hash(graph, graph.input_types.get(name), value)
        found[name] = (
            typed["$content"][-PART_CHARS:]
            if typed
            else _short_hash(_shape(value, lambda key: tokenize(graph.literals[key])))
        )
    return found


def _shape(value: Any, literal) -> Any:
    """An argument as written: references by name, literals by content."""
    if isinstance(value, dict):
        if len(value) == 1 and "$literal" in value:
            return {"$literal": literal(value["$literal"])}
        if len(value) == 1 and ("$ref" in value or "$input" in value):
            return value
        return {k: _shape(v, literal) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v, literal) for v in value]
    return value


def _short_hash(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:PART_CHARS]


def _walk_inputs(value: Any, visit) -> None:
    """Call ``visit(name)`` for each workflow input ``value`` reads by reference."""
    if isinstance(value, dict):
        if len(value) == 1 and "$input" in value:
            visit(value["$input"])
            return
        for item in value.values():
            _walk_inputs(item, visit)
    elif isinstance(value, list):
        for item in value:
            _walk_inputs(item, visit)


def _typed_hash(graph: Graph, type_json: dict | None, value: Any) -> dict | None:
    """An input known while compiling (a literal, a workflow input), hashed by the type the
    operator declares for it: a FILE path given inline is keyed by the file's content."""
    from flowlab.types import from_json

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


def entry_problem(entry: dict, artifacts, verify_bytes: int | None = None) -> str | None:
    """Why a cache entry cannot be reused, or None when it can.

    ``"artifact missing"``: a file it points at is gone (deleted, or outside the artifact
    locations); ``"artifact corrupt"``: a file's size, or its content, differs from what the
    entry recorded. The content of files up to ``verify_bytes`` (``VERIFY_BYTES``,
    ``FLOWLAB_CACHE_VERIFY_BYTES``) is read and hashed, once per process and file; bigger
    files are checked by existence and size only.

    Example::

        entry_problem(store.cache_get([key])[key], get_artifacts())   # None, or "artifact missing"
    """
    from flowlab.errors import Untrusted

    limit = VERIFY_BYTES if verify_bytes is None else verify_bytes
    for ref in _artifact_refs(entry.get("outputs")):
        try:
            fs, path = artifacts.located(ref["$artifact"])
            info = fs.info(path)
        except (FileNotFoundError, Untrusted):
            return "artifact missing"
        size = info.get("size")
        if ref.get("size") is not None and size is not None and size != ref["size"]:
            return "artifact corrupt"
        expected = str(ref.get("hash") or "").removeprefix("sha256:")
        if not expected or size is None or size > limit:
            continue
        seen = (fs.unstrip_protocol(path), size, str(_modified(info)))
        if seen in _VERIFIED:
            continue
        try:
            with fs.open(path, "rb") as f:
                digest = _sha256(f)
        except FileNotFoundError:
            return "artifact missing"
        if digest != expected:
            return "artifact corrupt"
        if len(_VERIFIED) > 10_000:
            _VERIFIED.clear()
        _VERIFIED.add(seen)
    return None


def drop_corrupt(entry: dict, artifacts) -> None:
    """Remove the artifact files of ``entry`` whose content does not match the hash their
    name is made of, so that computing the result again writes them anew (an artifact is
    written only where no file of its name exists). Files the process may not remove stay.

    Example::

        if entry_problem(entry, artifacts) == "artifact corrupt":
            drop_corrupt(entry, artifacts)
    """
    for ref in _artifact_refs(entry.get("outputs")):
        expected = str(ref.get("hash") or "").removeprefix("sha256:")
        with contextlib.suppress(Exception):  # gone already, or not ours to remove
            fs, path = artifacts.located(ref["$artifact"])
            if not expected or not path.rsplit("/", 1)[-1].startswith(expected):
                continue  # not named by its content: not ours to judge
            with fs.open(path, "rb") as f:
                if _sha256(f) == expected:
                    continue
            fs.rm(path)


def usable(entry: dict, artifacts) -> bool:
    """A cache entry can be reused while every artifact file it points at still exists with
    the size it had (a cheap check, for lookups on workers; :func:`entry_problem` reads)."""
    return entry_problem(entry, artifacts, verify_bytes=0) is None


def _artifact_refs(value: Any):
    if isinstance(value, dict):
        if "$artifact" in value:
            yield value
            return
        for item in value.values():
            yield from _artifact_refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _artifact_refs(item)


def _modified(info: dict) -> Any:
    for key in ("mtime", "LastModified", "updated", "last_modified", "created"):
        if info.get(key) is not None:
            return info[key]
    return None


def _sha256(f) -> str:
    digest = hashlib.sha256()
    for block in iter(lambda: f.read(1 << 20), b""):
        digest.update(block)
    return digest.hexdigest()


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
