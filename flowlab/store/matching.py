"""Queries run in Python over run summaries (the TinyDB store): the reference semantics.

The SQL store compiles the same queries to SQL (``flowlab.store.sql_query``); the rules both
follow are in ``flowlab.store.query``'s docstring and docs/queries.md, and
``tests/store/test_conformance.py`` holds them to the same answers.
"""

from __future__ import annotations

from typing import Any

from flowlab.store.query import LIST_FIELDS, BoolOp, Compare, Not


def lookup(record: dict, path: tuple[str, ...]) -> Any:
    """The value at ``path`` in a summary, None when absent."""
    value: Any = record
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def evaluate(node, record: dict) -> bool:
    """Whether a summary matches a query node (always True or False: two-valued ``not``)."""
    if isinstance(node, BoolOp):
        results = (evaluate(i, record) for i in node.items)
        return all(results) if node.op == "and" else any(results)
    if isinstance(node, Not):
        return not evaluate(node.item, record)
    return _compare(node, record)


def _kind(value: Any) -> str | None:
    """number (booleans are 0 and 1), text, or None for missing, lists and mappings."""
    if isinstance(value, (bool, int, float)):
        return "number"
    if isinstance(value, str):
        return "text"
    return None


def _compare(node: Compare, record: dict) -> bool:
    op, target = node.op, node.value
    value = lookup(record, node.path)
    if node.path[0] in LIST_FIELDS:
        texts = [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
        if op == "contains":
            return any(target in v for v in texts)
        return (target in texts) == (op == "=")
    if target is None:  # a presence test
        return (value is None) == (op == "=")
    if op == "contains":
        if isinstance(value, list):
            return any(isinstance(v, str) and target in v for v in value)
        return isinstance(value, str) and target in value
    kind = _kind(value)
    if kind is None or kind != _kind(target):
        return False  # missing, a list, or the other kind: never a match, != included
    return {
        "=": value == target,
        "!=": value != target,
        "<": value < target,
        "<=": value <= target,
        ">": value > target,
        ">=": value >= target,
    }[op]


def order(records: list[dict], path: tuple[str, ...], descending: bool) -> list[dict]:
    """Numbers first, then text, each in the direction asked; runs without a single value
    last; ties by run id in the same direction (the SQL store's ``ORDER BY num, text, id``)."""
    by_kind: dict[str | None, list] = {"number": [], "text": [], None: []}
    for record in records:
        value = lookup(record, path)
        kind = _kind(value)
        by_kind[kind].append(((value if kind else 0), str(record.get("id") or ""), record))
    ordered = []
    for kind in ("number", "text", None):
        group = sorted(by_kind[kind], key=lambda item: (item[0], item[1]), reverse=descending)
        ordered.extend(item[2] for item in group)
    return ordered
