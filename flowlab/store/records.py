"""What every backend keeps of a run to search it: the summary (shared by all stores)."""

from __future__ import annotations

import math
from typing import Any

SUMMARY_KEYS = (
    "id",
    "workflow",
    "version",
    "status",
    "created",
    "started",
    "ended",
    "tags",
    "notes",
    "parent",
    "seed",
    "user",
    "lease",
)


def summary_of(record: dict) -> dict:
    """What a store indexes of a run: identity, state, and the inline inputs and outputs.

    Inputs and outputs keep their scalars and lists of scalars (what a query can compare);
    mappings and artifact references stay in the full record only.

    Example::

        summary_of({"id": "r1", "outputs": {"loss": 0.2, "model": {"$uri": "..."}}})
        # {"id": "r1", ..., "outputs": {"loss": 0.2}}
    """
    summary = {k: record.get(k) for k in SUMMARY_KEYS}
    for part in ("inputs", "outputs"):
        summary[part] = {
            k: v
            for k, v in (record.get(part) or {}).items()
            if not isinstance(v, (dict, list))
            or isinstance(v, list)
            and all(not isinstance(i, (dict, list)) for i in v)
        }
    return summary


#: what a JSON summary of a run (REST API, JupyterLab sidebar, dashboard) identifies it by
JSON_SUMMARY_KEYS = ("id", "workflow", "status", "created", "ended", "parent", "tags", "user")


def json_summary(record: dict) -> dict:
    """Identity, state and the scalar outputs of a run record (or summary), JSON-ready.

    Example::

        json_summary({"id": "r1", "outputs": {"loss": float("nan")}})["outputs"]  # {"loss": None}
    """
    result = {key: record.get(key) for key in JSON_SUMMARY_KEYS}
    result["tags"] = list(record.get("tags") or [])
    result["outputs"] = {
        name: json_number(value)
        for name, value in (record.get("outputs") or {}).items()
        if isinstance(value, (str, int, float, bool)) or value is None
    }
    return result


def json_number(value: Any) -> Any:
    """A number JSON can carry: NaN and infinities (a metric that came out so) become None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def jsonable(value: Any) -> Any:
    """``value`` as JSON-ready data: containers kept, numbers checked, anything else as text."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, bool)):
        return value
    if isinstance(value, float):
        return json_number(value)
    return str(value)
