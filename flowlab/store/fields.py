"""The fields of a run a query can name, and what each may be compared with.

Checked once, when a query is parsed, so a query that can mean nothing (``inputs = 3``,
``created > "yesterday"``, ``status < 3``) is a ``QueryError`` naming the field, never a
silent empty answer, and backends only ever see comparisons that mean something.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flowlab.errors import FlowlabError

TEXT_FIELDS = ("id", "workflow", "version", "status", "parent", "user")
DATE_FIELDS = ("created", "started", "ended")
NUMBER_FIELDS = ("seed",)
LIST_FIELDS = ("tags", "tag", "notes")
MAPPING_FIELDS = ("inputs", "outputs")
#: the record keys a query may start with (what a run record shows)
FIELDS = (*TEXT_FIELDS, *DATE_FIELDS, *NUMBER_FIELDS, *LIST_FIELDS, *MAPPING_FIELDS)


class QueryError(FlowlabError, ValueError):
    """A malformed query; ``column`` is where the mistake is (1-based), None for an argument."""

    def __init__(self, query: str, column: int | None, message: str):
        if column is None:
            super().__init__(message)
        else:
            pointer = " " * (column - 1) + "^"
            super().__init__(f"{message} at column {column}:\n  {query}\n  {pointer}")
        self.query, self.column = query, column


@dataclass(frozen=True)
class Compare:
    path: tuple[str, ...]  # ``tag`` is read as ``tags``
    op: str  # = != < <= > >= contains
    value: Any


@dataclass(frozen=True)
class BoolOp:
    op: str  # and / or
    items: tuple


@dataclass(frozen=True)
class Not:
    item: Any


# -- checking what a comparison or an order means ---------------------------------------------------
def check_path(path: tuple[str, ...], query: str, column: int) -> tuple[str, ...]:
    """The path as backends read it; a QueryError for a field that is not there."""
    head = path[0]
    if head not in FIELDS:
        raise QueryError(query, column, f"unknown field {head!r}; use one of {', '.join(FIELDS)}")
    dotted = ".".join(path)
    if head in MAPPING_FIELDS:
        if len(path) == 1:
            raise QueryError(
                query,
                column,
                f"{head!r} is the mapping of a run's {head}; compare one of them, "
                f"e.g. {head}.{'max_depth' if head == 'inputs' else 'logloss'}",
            )
        if len(path) > 2:
            raise QueryError(
                query,
                column,
                f"{dotted!r}: {head} are searched one level deep ({head}.NAME); "
                "nested values are kept in the run record only",
            )
    elif len(path) > 1:
        raise QueryError(query, column, f"{dotted!r}: the field {head!r} has no parts")
    return path


def check_comparison(path: tuple[str, ...], op: str, value: Any, query: str, column: int):
    """The Compare node for ``path op value``; a QueryError when it can mean nothing."""
    head, dotted = path[0], ".".join(path)
    canonical = ("tags",) if path == ("tag",) else path  # one field, two spellings
    if op == "contains":
        if not isinstance(value, str):
            raise QueryError(
                query, column, f"{dotted} contains: expected a text value, found {value!r}"
            )
        if head in NUMBER_FIELDS:
            raise QueryError(query, column, f"{dotted} is a number; use = < > with a number")
        return Compare(canonical, op, value)
    if value is None and op not in ("=", "!="):
        raise QueryError(query, column, f"{dotted} {op} null: null only goes with = or !=")
    if head in LIST_FIELDS:
        if op not in ("=", "!=") or not isinstance(value, str):
            raise QueryError(
                query,
                column,
                f'{dotted} is a list of texts: use {dotted} = "x" (has x), '
                f'!= "x" (has not) or contains "x"; found {op} {value!r}',
            )
        return Compare(canonical, op, value)
    if value is None:
        return Compare(canonical, op, None)
    if head in TEXT_FIELDS and not isinstance(value, str):
        raise QueryError(query, column, f"{dotted} is text; expected a quoted value, found {value}")
    if head in NUMBER_FIELDS and (isinstance(value, (bool, str))):
        raise QueryError(query, column, f"{dotted} is a number; expected a number, found {value!r}")
    if head in DATE_FIELDS:
        return Compare(canonical, op, _iso_date(value, dotted, query, column))
    return Compare(canonical, op, value)


def _iso_date(value: Any, field_name: str, query: str, column: int) -> str:
    """A date or time as the store writes it: ISO text; times with an offset turned to UTC."""
    problem = (
        f'{field_name} is a date: expected an ISO date or time such as "2026-11-01" or '
        f'"2026-11-01T10:00Z", found {value!r}'
    )
    if not isinstance(value, str):
        raise QueryError(query, column, problem)
    try:
        if len(value) == 10:
            dt.date.fromisoformat(value)
            return value
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(query, column, problem) from None
    if moment.tzinfo is None:
        return value
    moment = moment.astimezone(dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def check_order(path: tuple[str, ...], query: str, column: int) -> tuple[str, ...]:
    """A path runs can be sorted by (one value per run); a QueryError otherwise."""
    path = check_path(path, query, column)
    if path[0] in LIST_FIELDS:
        raise QueryError(
            query, column, f"cannot order by {path[0]!r}: it is a list; order by a single value"
        )
    return path


def parse_order(order_by: str) -> tuple[tuple[str, ...], bool]:
    """``"-outputs.accuracy"`` → (("outputs", "accuracy"), True); a QueryError naming it."""
    text = order_by.strip() if isinstance(order_by, str) else order_by
    if not isinstance(text, str) or not text.lstrip("-"):
        raise QueryError(
            str(order_by), None, f"order_by {order_by!r}: expected a field such as 'created'"
        )
    descending = text.startswith("-")
    body = text.lstrip("-").strip()
    offset = len(text) - len(text.lstrip("-").lstrip()) + 1
    parts = body.split(".")
    if not all(_NAME_OK(p) for p in parts):
        raise QueryError(
            text, offset, f"order_by {order_by!r}: expected a field path such as outputs.loss"
        )
    try:
        return check_order(tuple(parts), text, offset), descending
    except QueryError as e:
        message = str(e).split(" at column ")[0]
        raise QueryError(text, offset, f"order_by {order_by!r}: {message}") from None


def _NAME_OK(part: str) -> bool:  # noqa: N802 - reads as the grammar's NAME
    return (
        bool(part)
        and (part[0].isalpha() or part[0] == "_")
        and all(c.isalnum() or c in "_-" for c in part)
    )


def check_count(value: Any, what: str) -> int:
    """``limit`` / ``offset`` arguments: whole numbers ≥ 0, else a QueryError naming them."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise QueryError(
            f"{what}={value!r}", None, f"{what}: expected a whole number ≥ 0, found {value!r}"
        )
    return value
