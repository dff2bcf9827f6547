"""What every backend keeps of a run to search it: the summary (shared by all stores)."""

from __future__ import annotations

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
