"""Turning typed values into what a run record holds, and back.

Each type encodes its values itself (``FlowType.encode`` / ``decode``): inline types (numbers,
text, lists…) as JSON in the record; others (DATASET, MODEL, ARRAY) in artifact files, the
record keeping ``{"$artifact": uri, "hash": …, "type": name}``. A DATASET given as a path or
URI is recorded as that reference, not copied. These two functions are the store's entry.
"""

from __future__ import annotations

import json
from typing import Any

from flowlab.store.artifacts import ArtifactStore
from flowlab.types import ANY, FlowType, type_named

#: An inline value whose JSON is bigger than this goes to an artifact file, so that a run
#: record (read by every query and view) stays small.
INLINE_BYTES = 256 * 1024


def dump_value(
    flow_type: FlowType | None, value: Any, artifacts: ArtifactStore, exact: bool = False
) -> Any:
    """The record's form of ``value``, as its type encodes it (``FlowType.encode``); inline
    JSON over ``INLINE_BYTES`` goes to an artifact file instead."""
    encoded = (flow_type or ANY).encode(value, artifacts, exact=exact)
    if not isinstance(encoded, (dict, list)) or is_reference(encoded) or _holds_reference(encoded):
        return encoded  # a number or short text, or already in files
    text = json.dumps(encoded)
    if len(text) <= INLINE_BYTES:
        return encoded
    ref = artifacts.put(text.encode(), "json")
    return {
        "$artifact": ref["uri"],
        "hash": ref["hash"],
        "size": ref["size"],
        "type": (flow_type or ANY).name,
        "format": "json",
    }


def load_value(data: Any, artifacts: ArtifactStore) -> Any:
    """The value a record entry stands for (reads the artifact file), by the type it names."""
    if isinstance(data, dict) and "$artifact" in data and data.get("format") == "json":
        return json.loads(artifacts.get({"uri": data["$artifact"], "hash": data.get("hash", "")}))
    if isinstance(data, dict) and ("$artifact" in data or "$uri" in data) and "type" in data:
        return type_named(data["type"]).decode(data, artifacts)
    if isinstance(data, dict) and "$uri" in data:
        return data["$uri"]
    if isinstance(data, list):  # LIST(DATASET)…: each item is its own reference
        return [load_value(v, artifacts) for v in data] if _holds_reference(data) else data
    if isinstance(data, dict) and _holds_reference(data):
        return {k: load_value(v, artifacts) for k, v in data.items()}
    return data


def _holds_reference(data: Any) -> bool:
    items = data.values() if isinstance(data, dict) else data
    return any(
        is_reference(v) or isinstance(v, (list, dict)) and _holds_reference(v) for v in items
    )


def is_reference(data: Any) -> bool:
    return isinstance(data, dict) and ("$artifact" in data or "$uri" in data)
