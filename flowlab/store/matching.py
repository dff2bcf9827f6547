"""Queries run in Python over run summaries (the TinyDB store): the reference semantics.

The SQL store compiles the same queries to SQL (``flowlab.store.sql_query``); the rules both
follow are in ``flowlab.store.query``'s docstring and docs/queries.md, and
``tests/store/test_conformance.py`` holds them to the same answers.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from flowlab.store.query import LIST_FIELDS, BoolOp, Compare, Not

#: a compiled query node: whether a summary matches it
Predicate = Callable[[dict], bool]

_OPERATORS = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


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


def predicate(node) -> Predicate:
    """``node`` compiled once into a function of a summary, with :func:`evaluate`'s meaning:
    a search over 20,000 summaries walks the query tree once, not once per summary.

    Example::

        matches = predicate(parse('status = "failed"').where)
        [s for s in summaries if matches(s)]
    """
    if isinstance(node, BoolOp):
        items = [predicate(i) for i in node.items]
        combined = items[0]
        for item in items[1:]:  # nested closures: no generator per summary
            combined = _both(combined, item) if node.op == "and" else _either(combined, item)
        return combined
    if isinstance(node, Not):
        item = predicate(node.item)
        return lambda record: not item(record)
    return _compare_predicate(node)


def _both(first: Predicate, second: Predicate) -> Predicate:
    return lambda record: first(record) and second(record)


def _either(first: Predicate, second: Predicate) -> Predicate:
    return lambda record: first(record) or second(record)


def _getter(path: tuple[str, ...]) -> Callable[[dict], Any]:
    """:func:`lookup` for one path, unrolled for the one- and two-part paths queries use."""
    if len(path) == 1:
        (key,) = path
        return lambda record: record.get(key)
    if len(path) == 2:
        head, key = path

        def get(record: dict) -> Any:
            value = record.get(head)
            return value.get(key) if isinstance(value, dict) else None

        return get
    return lambda record: lookup(record, path)


def _compare_predicate(node: Compare) -> Predicate:
    op, target, get = node.op, node.value, _getter(node.path)
    if node.path[0] in LIST_FIELDS and op in ("=", "!=") and isinstance(target, str):
        wanted = op == "="

        def member(record: dict) -> bool:
            value = get(record)
            return (isinstance(value, list) and target in value) == wanted

        return member
    if node.path[0] in LIST_FIELDS or target is None or op == "contains":
        return lambda record: _compare(node, record)  # the rare kinds: as evaluate does
    if _kind(target) is None:
        return lambda record: _compare(node, record)
    if op == "=" and isinstance(target, str):
        return lambda record: get(record) == target  # only a text equals a text
    compare = _OPERATORS[op]
    if _kind(target) == "number":

        def number(record: dict) -> bool:
            value = get(record)
            # strings, None, lists and mappings never match a number (bool counts: 0 and 1)
            return isinstance(value, (int, float)) and compare(value, target)

        return number

    def text(record: dict) -> bool:
        value = get(record)
        return isinstance(value, str) and compare(value, target)

    return text


def order(records: list[dict], path: tuple[str, ...], descending: bool) -> list[dict]:
    """Numbers first, then text, each in the direction asked; runs without a single value
    last; ties by run id in the same direction (the SQL store's ``ORDER BY num, text, id``)."""
    get = _getter(path)
    numbers, texts, rest = [], [], []
    for record in records:
        value = get(record)
        if isinstance(value, str):
            texts.append((value, str(record.get("id") or ""), record))
        elif isinstance(value, (int, float)):
            numbers.append((value, str(record.get("id") or ""), record))
        else:
            rest.append((0, str(record.get("id") or ""), record))
    ordered = []
    for group in (numbers, texts, rest):
        group.sort(key=operator.itemgetter(0, 1), reverse=descending)
        ordered.extend(item[2] for item in group)
    return ordered
