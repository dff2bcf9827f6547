"""The run query language: parsed once, then run by each backend (Python filter or SQL).

Grammar (case-insensitive keywords)::

    query      := [expr] ["order by" path ["asc"|"desc"]] ["limit" N]
    expr       := expr "or" expr | expr "and" expr | "not" expr | "(" expr ")" | comparison
    comparison := path ("=" | "!=" | "<" | "<=" | ">" | ">=") value
                | path "contains" value
    path       := name ("." name)*     e.g. status, outputs.logloss, inputs.max_depth, tag
    value      := "text" | 'text' | number | true | false | null

``tag = "x"`` is true when the run has tag x. Dates compare as ISO text:
``created > "2026-11-01"``.

Example::

    q = parse('workflow = "iris" and outputs.logloss < 0.3 order by outputs.logloss limit 5')
    q.matches(record)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lark import Lark, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from flowlab.errors import FlowlabError

GRAMMAR = r"""
    start: expr? order? limit?
    order: ORDER_BY path DIRECTION?
    limit: LIMIT INT
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

#: the record keys a query may start with (what a run record shows)
FIELDS = (
    "id",
    "workflow",
    "version",
    "status",
    "inputs",
    "outputs",
    "tags",
    "tag",
    "notes",
    "parent",
    "created",
    "started",
    "ended",
    "seed",
)


class QueryError(FlowlabError, ValueError):
    """A malformed query; ``column`` is where the mistake is (1-based)."""

    def __init__(self, query: str, column: int, message: str):
        pointer = " " * (column - 1) + "^"
        super().__init__(f"{message} at column {column}:\n  {query}\n  {pointer}")
        self.query, self.column = query, column


@dataclass(frozen=True)
class Compare:
    path: tuple[str, ...]
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
    """A parsed query: ``where`` (None matches all), ``order_by``, ``descending``, ``limit``."""

    text: str = ""
    where: Any = None
    order_by: tuple[str, ...] | None = None
    descending: bool = False
    limit: int | None = None
    paths: list = field(default_factory=list)

    def matches(self, record: dict) -> bool:
        return self.where is None or _evaluate(self.where, record)

    def apply(self, records: list[dict]) -> list[dict]:
        """Filter, sort and limit ``records`` in Python (the TinyDB backend's way)."""
        found = [r for r in records if self.matches(r)]
        return order_and_limit(
            found,
            self.order_by or ("created",),
            self.descending if self.order_by else True,
            self.limit,
        )


def order_and_limit(
    records: list[dict], path: tuple[str, ...], descending: bool, limit: int | None
) -> list[dict]:
    present = [r for r in records if lookup(r, path) is not None]
    missing = [r for r in records if lookup(r, path) is None]
    present.sort(key=lambda r: _sort_key(lookup(r, path)), reverse=descending)
    ordered = present + missing  # runs without the value come last either way
    return ordered[:limit] if limit is not None else ordered


def _sort_key(value: Any):
    if isinstance(value, bool):
        return (0, int(value), "")
    if isinstance(value, (int, float)):
        return (0, value, "")
    return (1, 0, str(value))


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
            else:
                query.where = item
        query.paths = self.paths
        return query

    def order(self, items):
        direction = str(items[2]).lower() if len(items) > 2 else "asc"
        return ("$order", items[1], direction == "desc")

    def limit(self, items):
        return ("$limit", int(items[1]))

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
        return parts

    def comparison(self, items):
        path, op, value = items
        return Compare(path, str(op), value)

    def contains(self, items):
        return Compare(items[0], "contains", items[2])

    def or_expr(self, items):
        return BoolOp("or", tuple(i for i in items if not _is_token(i)))

    def and_expr(self, items):
        return BoolOp("and", tuple(i for i in items if not _is_token(i)))

    def negation(self, items):
        return Not(items[-1])

    def string(self, items):
        import json

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


def _is_token(item) -> bool:
    from lark import Token

    return isinstance(item, Token)


def _parser() -> Lark:
    global _PARSER
    if _PARSER is None:
        _PARSER = Lark(GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=False)
    return _PARSER


def parse(text: str | None) -> Query:
    """Parse a query; a malformed one raises QueryError pointing at the column of the mistake."""
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
    }
    words = sorted({friendly.get(n, n.lower()) for n in names})
    return ", ".join(words[:6])


# -- evaluation in Python (TinyDB backend) ---------------------------------------------------------
def lookup(record: dict, path: tuple[str, ...]) -> Any:
    value: Any = record
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _evaluate(node, record: dict) -> bool:
    if isinstance(node, BoolOp):
        results = (_evaluate(i, record) for i in node.items)
        return all(results) if node.op == "and" else any(results)
    if isinstance(node, Not):
        return not _evaluate(node.item, record)
    if node.path == ("tag",):
        tags = record.get("tags") or []
        if node.op == "=":
            return node.value in tags
        if node.op == "!=":
            return node.value not in tags
        if node.op == "contains":
            return any(str(node.value) in str(t) for t in tags)
        return False
    value = lookup(record, node.path)
    return compare(value, node.op, node.value)


def compare(value: Any, op: str, target: Any) -> bool:
    if op == "contains":
        if isinstance(value, list):
            return any(target == v or str(target) in str(v) for v in value)
        return value is not None and str(target) in str(value)
    if op == "=":
        return value == target
    if op == "!=":
        return value != target
    if value is None or target is None:
        return False
    if isinstance(target, (int, float)) != isinstance(value, (int, float)):
        return False
    try:
        return {
            "<": value < target,
            "<=": value <= target,
            ">": value > target,
            ">=": value >= target,
        }[op]
    except TypeError:
        return False
