"""Turning typed values into what a run record holds, and back.

Inline types (numbers, text, lists…) are stored as JSON in the record. Others (DATASET,
MODEL, ARRAY) go into artifact files; the record keeps ``{"$artifact": uri, "hash": …}``.
A DATASET given as a path or URI is recorded as that reference, not copied.
"""

from __future__ import annotations

import json
from typing import Any

from flowlab.store.artifacts import ArtifactStore
from flowlab.types import FlowType, type_named


def dump_value(flow_type: FlowType | None, value: Any, artifacts: ArtifactStore) -> Any:
    """The record's form of ``value``."""
    if value is None:
        return None
    if flow_type is None or flow_type.inline:
        return _jsonable(value)
    if flow_type.name == "DATASET" and isinstance(value, str):
        return {"$uri": value, "type": "DATASET"}
    ref = artifacts.put(flow_type.serialise(value), flow_type.extension)
    summary = _summary(value)
    return {
        "$artifact": ref["uri"],
        "hash": ref["hash"],
        "size": ref["size"],
        "type": flow_type.name,
        **summary,
    }


def load_value(data: Any, artifacts: ArtifactStore) -> Any:
    """The value a record entry stands for (reads the artifact file)."""
    if isinstance(data, dict) and "$artifact" in data:
        flow_type = type_named(data["type"])
        return flow_type.deserialise(
            artifacts.get({"uri": data["$artifact"], "hash": data.get("hash", "")})
        )
    if isinstance(data, dict) and "$uri" in data:
        return data["$uri"]
    return data


def is_reference(data: Any) -> bool:
    return isinstance(data, dict) and ("$artifact" in data or "$uri" in data)


def _summary(value: Any) -> dict:
    if hasattr(value, "columns") and hasattr(value, "shape"):
        try:
            rows = int(value.shape[0])
        except TypeError:  # a dask DataFrame has no known length
            rows = None
        return {"rows": rows, "columns": [str(c) for c in value.columns]}
    meta = getattr(value, "meta", None)
    if callable(meta):
        return {"meta": meta()}
    return {}


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return json.loads(json.dumps(value, default=_fallback))


def _fallback(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "value"):
        return value.value
    return repr(value)
