"""The run query language: parsed and checked once here, then run by each backend.

Grammar (case-insensitive keywords)::

    query      := [expr] ["order by" path ["asc"|"desc"]] ["limit" N] ["offset" N]
    expr       := expr "or" expr | expr "and" expr | "not" expr | "(" expr ")" | comparison
    comparison := path ("=" | "!=" | "<" | "<=" | ">" | ">=") value
                | path "contains" "text"
    path       := id | workflow | version | status | parent | created | started | ended
                | seed | tag | tags | notes | inputs.NAME | outputs.NAME
    value      := "text" | 'text' | number | true | false | null

What a query means (every backend, the same runs in the same order; see the README):

- A run without the field (or with null) never matches a comparison, ``!=`` included, as in
  SQL; ``x = null`` / ``x != null`` test whether the run has the field.
- Numbers compare with numbers, text with text; a run whose value is of the other kind does
  not match (``!=`` included). ``true``/``false`` are the numbers 1 and 0. Text compares by
  code point (case-sensitive).
- ``not e`` matches exactly the runs ``e`` does not match (two-valued: ``not parent = "r1"``
  matches runs without a parent, ``parent != "r1"`` does not).
- ``tag`` and ``tags`` are the run's list of tags (never missing: empty when none):
  ``tags = "x"`` has tag x, ``tags != "x"`` has no tag x, ``tags contains "x"`` has a tag
  containing the text x. ``notes`` is a list of texts with the same rules.
- ``contains`` is case-sensitive substring search, literal (``%``, ``_``, quotes and
  backslashes are plain characters); on a list it matches when any text element contains it.
- ``created``, ``started``, ``ended`` take ISO dates or times (``"2026-11-01"``,
  ``"2026-11-01T10:00Z"``), compared as ISO text (UTC, as stored); anything else is an error.
- ``order by``: numbers before text, each in the asked direction; runs without the value
  (or with a list) come last; ties are broken by run id in the same direction. Newest first
  when no order is given.

Example::

    q = parse('workflow = "iris" and outputs.logloss < 0.3 order by outputs.logloss limit 5')
    q.matches(record)
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from flowlab.errors import FlowlabError

GRAMMAR = r"""
    start: expr? order? limit? offset?
    order: ORDER_BY path DIRECTION?
    limit: LIMIT INT
    offset: OFFSET INT
    ?expr: or_expr
    ?or_expr: and_expr (OR and_expr)*
    ?and_expr: not_expr (AND not_expr)*
    ?not_expr: NOT not_expr -> negation
             | atom
    ?atom: comparison | "(" expr ")"
    comparison: path OP value
              | path CONTAINS value -> contains
    path: NAME ("." NAME)*
    value: ESCAPED_STRING -> string
         | SINGLE_STRING -> single_string
         | SIGNED_NUMBER -> number
         | TRUE -> true
         | FALSE -> false
         | NULL -> null
    OP: "!=" | "<=" | ">=" | "=" | "<" | ">"
    ORDER_BY.2: /order\s+by/i
    LIMIT.2: /limit\b/i
    OFFSET.2: /offset\b/i
    DIRECTION.2: /(asc|desc)\b/i
    OR.2: /or\b/i
    AND.2: /and\b/i
    NOT.2: /not\b/i
    CONTAINS.2: /contains\b/i
    TRUE.2: /true\b/i
    FALSE.2: /false\b/i
    NULL.2: /null\b/i
    NAME: /[A-Za-z_][A-Za-z0-9_\-]*/
    SINGLE_STRING: /'[^']*'/
    %import common.ESCAPED_STRING
    %import common.SIGNED_NUMBER
    %import common.INT
    %import common.WS
    %ignore WS
"""

_PARSER: Lark | None = None  # built on first use: building it costs ~60 ms at import

TEXT_FIELDS = ("id", "workflow", "version", "status", "parent")
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


@dataclass
class Query:
    """A parsed query: ``where`` (None matches all), ``order_by`` (None: newest first),
    ``descending``, ``limit`` and ``offset`` (a page of the ordered matches)."""

    text: str = ""
    where: Any = None
    order_by: tuple[str, ...] | None = None
    descending: bool = False
    limit: int | None = None
    offset: int = 0
    paths: list = field(default_factory=list)

    @property
    def ordering(self) -> tuple[tuple[str, ...], bool]:
        """(path, descending) actually used: ``created`` descending when none is given."""
        if self.order_by is None:
            return ("created",), True
        return self.order_by, self.descending

    def matches(self, record: dict) -> bool:
        from flowlab.store.matching import evaluate

        return self.where is None or evaluate(self.where, record)

    def apply(self, records: list[dict]) -> list[dict]:
        """Filter, sort and page ``records`` in Python (the TinyDB backend's way)."""
        from flowlab.store.matching import order

        path, descending = self.ordering
        found = order([r for r in records if self.matches(r)], path, descending)
        end = None if self.limit is None else self.offset + self.limit
        return found[self.offset : end]


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


class _Build(Transformer):
    def __init__(self, text: str):
        super().__init__()
        self.text = text
        self.paths: list = []

    def start(self, items):
        query = Query(text=self.text)
        for item in items:
            if isinstance(item, tuple) and item and item[0] == "$order":
                query.order_by, query.descending = item[1], item[2]
            elif isinstance(item, tuple) and item and item[0] == "$limit":
                query.limit = item[1]
            elif isinstance(item, tuple) and item and item[0] == "$offset":
                query.offset = item[1]
            else:
                query.where = item
        query.paths = self.paths
        return query

    def order(self, items):
        direction = str(items[2]).lower() if len(items) > 2 else "asc"
        path, column = items[1]
        return ("$order", check_order(path, self.text, column), direction == "desc")

    def limit(self, items):
        return ("$limit", int(items[1]))

    def offset(self, items):
        return ("$offset", int(items[1]))

    @v_args(meta=True)
    def path(self, meta, names):
        parts = tuple(str(n) for n in names)
        if parts[0] not in FIELDS:
            raise QueryError(
                self.text,
                meta.column,
                f"unknown field {parts[0]!r}; use one of {', '.join(FIELDS)}",
            )
        self.paths.append(parts)
        return parts, meta.column

    def comparison(self, items):
        (path, column), op, value = items
        path = check_path(path, self.text, column)
        return check_comparison(path, str(op), value, self.text, column)

    def contains(self, items):
        (path, column), _, value = items
        path = check_path(path, self.text, column)
        return check_comparison(path, "contains", value, self.text, column)

    def or_expr(self, items):
        return BoolOp("or", tuple(i for i in items if not isinstance(i, Token)))

    def and_expr(self, items):
        return BoolOp("and", tuple(i for i in items if not isinstance(i, Token)))

    def negation(self, items):
        return Not(items[-1])

    def string(self, items):
        return json.loads(items[0])

    def single_string(self, items):
        return str(items[0])[1:-1]

    def number(self, items):
        text = str(items[0])
        return float(text) if any(c in text for c in ".eE") else int(text)

    def true(self, _):
        return True

    def false(self, _):
        return False

    def null(self, _):
        return None


def _parser() -> Lark:
    global _PARSER
    if _PARSER is None:
        _PARSER = Lark(GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=False)
    return _PARSER


def parse(text: str | None) -> Query:
    """Parse a query; a malformed one raises QueryError pointing at the column of the mistake.

    Example::

        parse('tags = "baseline" and outputs.loss < 0.3 order by outputs.loss limit 10')
    """
    text = (text or "").strip()
    if not text:
        return Query()
    try:
        tree = _parser().parse(text)
    except UnexpectedCharacters as e:
        raise QueryError(
            text, e.column, f"unexpected character {text[e.pos_in_stream]!r}"
        ) from None
    except UnexpectedEOF:
        raise QueryError(text, len(text) + 1, "unexpected end of query") from None
    except UnexpectedToken as e:
        column = e.column if isinstance(e.column, int) and e.column > 0 else len(text) + 1
        if e.token.type == "$END":
            column = len(text) + 1
        found = "end of query" if e.token.type == "$END" else repr(str(e.token))
        expected = _expected(e.expected)
        raise QueryError(text, column, f"unexpected {found}; expected {expected}") from None
    except UnexpectedInput as e:  # pragma: no cover - other lark errors
        raise QueryError(text, getattr(e, "column", 1), str(e)) from None
    try:
        return _Build(text).transform(tree)
    except Exception as e:
        inner = getattr(e, "orig_exc", e)
        if isinstance(inner, QueryError):
            raise inner from None
        raise


def _expected(names) -> str:
    friendly = {
        "OP": "a comparison (= != < <= > >=)",
        "NAME": "a field name",
        "ESCAPED_STRING": "a value",
        "SIGNED_NUMBER": "a value",
        "RPAR": "')'",
        "SINGLE_STRING": "a value",
        "TRUE": "a value",
        "FALSE": "a value",
        "NULL": "a value",
        "DIRECTION": "asc or desc",
        "$END": "end of query",
        "LPAR": "'('",
        "CONTAINS": "contains",
        "AND": "and",
        "OR": "or",
        "INT": "a number",
        "ORDER_BY": "order by",
        "LIMIT": "limit",
        "OFFSET": "offset",
    }
    words = sorted({friendly.get(n, n.lower()) for n in names})
    return ", ".join(words[:6])
