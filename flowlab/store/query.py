"""The run query language: parsed and checked once here, then run by each backend.

Grammar (case-insensitive keywords)::

    query      := [expr] ["order by" path ["asc"|"desc"]] ["limit" N] ["offset" N]
    expr       := expr "or" expr | expr "and" expr | "not" expr | "(" expr ")" | comparison
    comparison := path ("=" | "!=" | "<" | "<=" | ">" | ">=") value
                | path "contains" "text"
    path       := id | workflow | version | status | parent | user | created | started
                | ended | seed | tag | tags | notes | inputs.NAME | outputs.NAME
    value      := "text" | 'text' | number | true | false | null

What a query means (every backend, the same runs in the same order; see docs/queries.md):

- A run without the field (or with null) never matches a comparison, ``!=`` included, as in
  SQL; ``x = null`` / ``x != null`` test whether the run has the field.
- Numbers compare with numbers, text with text; a run whose value is of the other kind does
  not match (``!=`` included). ``true``/``false`` are the numbers 1 and 0. Text compares by
  code point (case-sensitive).
- ``user`` is text: who launched the run (``FLOWLAB_USER``, else the OS login); runs
  recorded before flowlab kept it have none (``user = null``).
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
- Parentheses and ``not`` nest at most :data:`MAX_NESTING` levels deep (``not (a or not
  (b))`` is 3); a deeper query is a ``QueryError`` naming the limit, before it is parsed.

Example::

    q = parse('workflow = "iris" and outputs.logloss < 0.3 order by outputs.logloss limit 5')
    q.matches(record)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from flowlab.store.fields import (
    FIELDS,
    LIST_FIELDS,
    BoolOp,
    Compare,
    Not,
    QueryError,
    check_comparison,
    check_count,
    check_order,
    check_path,
    parse_order,
)

__all__ = [
    "FIELDS",
    "LIST_FIELDS",
    "BoolOp",
    "Compare",
    "Not",
    "Query",
    "QueryError",
    "check_count",
    "parse",
    "parse_order",
]

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

#: How deep parentheses and ``not`` may nest. Every layer is a level of recursion in the
#: tree transformer, the Python matcher and SQLAlchemy's compiler, and of SQLite's parser,
#: whose fixed stack overflowed at 45 nested ``not`` (measured): a query nested past this
#: would fail there as a server error (or a RecursionError in Python), not as a QueryError.
MAX_NESTING = 20
# the tokens that change nesting; strings are matched whole so a "(" or "not" inside one
# is text, not structure
_NESTING_TOKENS = re.compile(
    r""""(?:[^"\\]|\\.)*"|'[^']*'|(?P<open>\()|(?P<close>\))|\b(?P<not>not)\b"""
    r"|\b(?P<join>and|or)\b",
    re.IGNORECASE,
)


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
        return self.where is None or self.predicate(record)

    @property
    def predicate(self):
        """``where`` compiled once (``flowlab.store.matching.predicate``); None matches all."""
        where, compiled = self.__dict__.get("_predicate", (None, None))
        if compiled is None or where is not self.where:  # compiled again if where was replaced
            from flowlab.store.matching import predicate

            compiled = (lambda record: True) if self.where is None else predicate(self.where)
            self.__dict__["_predicate"] = (self.where, compiled)
        return compiled

    def apply(self, records: list[dict]) -> list[dict]:
        """Filter, sort and page ``records`` in Python (the TinyDB backend's way)."""
        from flowlab.store.matching import order

        path, descending = self.ordering
        if self.where is not None:
            matches = self.predicate
            records = [r for r in records if matches(r)]
        found = order(records, path, descending)
        end = None if self.limit is None else self.offset + self.limit
        return found[self.offset : end]


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
    check_nesting(text)
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
    except RecursionError:  # check_nesting should make this unreachable; never a server error
        raise QueryError(text, None, _too_deep(None)) from None
    except Exception as e:
        inner = getattr(e, "orig_exc", e)
        if isinstance(inner, QueryError):
            raise inner from None
        if isinstance(inner, RecursionError):
            raise QueryError(text, None, _too_deep(None)) from None
        raise


def nesting(text: str) -> tuple[int, int]:
    """(depth, column): how deep parentheses and ``not`` nest in ``text`` and the 1-based
    column where that depth is first reached; one pass over the text, no parsing.

    ``not`` binds tighter than ``and``/``or``, so a run of ``not`` nests only up to the next
    ``and``, ``or`` or ``)``; text in quotes is skipped.

    Example::

        nesting('not (status = "failed" or not tags = "x")')   # (3, 27)
    """
    depth, column = 0, 0
    outer: list[tuple[int, int]] = []  # (base, pending) of each enclosing parenthesis
    base = pending = 0  # levels of the enclosing parentheses; `not`s waiting for an operand
    for match in _NESTING_TOKENS.finditer(text):
        kind = match.lastgroup
        if kind == "open":
            outer.append((base, pending))
            base, pending = base + pending + 1, 0
        elif kind == "close":
            base, pending = outer.pop() if outer else (0, 0)
            pending = 0  # the parenthesis was the operand of its `not`s
        elif kind == "not":
            pending += 1
        elif kind == "join":
            pending = 0
        else:
            continue
        if base + pending > depth:
            depth, column = base + pending, match.start() + 1
    return depth, column


def check_nesting(text: str) -> None:
    """Refuse ``text`` when parentheses and ``not`` nest deeper than :data:`MAX_NESTING`.

    Example::

        check_nesting("not " * 100 + 'status = "x"')   # QueryError: … at most 20 levels …
    """
    depth, column = nesting(text)
    if depth > MAX_NESTING:
        if len(text) <= 200:  # short enough to show with a pointer to the deepest level
            raise QueryError(text, column, _too_deep(depth))
        raise QueryError(text, None, f"{_too_deep(depth)} (deepest at column {column})")


def _too_deep(depth: int | None) -> str:
    found = f"{depth} levels" if depth is not None else "too deeply"
    return (
        f"the query nests parentheses and `not` {found}; at most {MAX_NESTING} levels "
        f"(MAX_NESTING) are allowed: write `not (a or b)` as `not a and not b`, or split it"
    )


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
