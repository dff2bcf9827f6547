"""Queries compiled to SQL for the SQL store (SQLite and PostgreSQL), meaning exactly what
``flowlab.store.matching`` means in Python.

How each rule of ``flowlab.store.query`` becomes SQL:

- every comparison is written so that it is TRUE or FALSE, never NULL (``col IS NOT NULL AND
  col = v``; ``EXISTS``/``IN`` subqueries), so ``NOT`` is the plain complement and a missing
  value never matches, ``!=`` included;
- ``inputs.X`` / ``outputs.X`` read the indexed values table: numbers (and booleans, as 0/1)
  in ``num``, text in ``text``, so a comparison of the other kind finds no row;
- ``contains`` is ``instr`` (SQLite) / ``strpos`` (PostgreSQL): literal and case-sensitive,
  with no LIKE wildcards to escape; lists are searched element by element (``json_each`` /
  ``jsonb_array_elements``);
- text compares and sorts with the ``C`` collation on PostgreSQL (code points, as Python and
  SQLite's BINARY do), whatever the database's locale;
- ``ORDER BY num, text, id`` with NULLs last puts numbers before text and missing values last.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from flowlab.store.query import LIST_FIELDS, BoolOp, Compare, Not

#: fields kept as columns of the runs table
COLUMNS = ("workflow", "version", "status", "created", "started", "ended", "parent", "user")


class SQLQuery:
    """Compiles query nodes against a store's tables (``runs``, ``values``, ``tags``)."""

    def __init__(self, runs: sa.Table, values: sa.Table, tags: sa.Table, dialect: str):
        self.runs, self.values, self.tags, self.dialect = runs, values, tags, dialect

    # -- where --------------------------------------------------------------------------------
    def where(self, node) -> Any:
        if isinstance(node, BoolOp):
            parts = [self.where(i) for i in node.items]
            return sa.and_(*parts) if node.op == "and" else sa.or_(*parts)
        if isinstance(node, Not):
            return sa.not_(self.where(node.item))
        if node.path == ("tags",):
            return self._tags(node)
        if node.path[0] in LIST_FIELDS:
            return self._json_list(node.path, node.op, node.value)
        if len(node.path) == 1:
            return self._column(node)
        return self._value(node)

    def text(self, expression):
        """Text in code-point order (PostgreSQL's locale collations differ from Python's)."""
        return expression.collate("C") if self.dialect == "postgresql" else expression

    def _contains(self, haystack, needle: str):
        function = sa.func.strpos if self.dialect == "postgresql" else sa.func.instr
        return function(haystack, needle) > 0

    def _tags(self, node: Compare):
        tag = self.tags.c.tag
        condition = self._contains(tag, node.value) if node.op == "contains" else tag == node.value
        exists = sa.exists().where(self.tags.c.run_id == self.runs.c.id, condition)
        return sa.not_(exists) if node.op == "!=" else exists

    def _column(self, node: Compare):
        column, op, value = self.runs.c[node.path[0]], node.op, node.value
        if value is None:
            return column.is_(None) if op == "=" else column.is_not(None)
        if op == "contains":
            return column.is_not(None) & self._contains(column, value)
        if isinstance(value, str) and op not in ("=", "!="):
            column = self.text(column)
        return column.is_not(None) & apply(column, op, value)

    def _value(self, node: Compare):
        """``outputs.x < 1`` as ``id IN (SELECT run_id FROM values WHERE key=… AND num < 1)``."""
        op, value = node.op, node.value
        if value is None:
            present = self._json_type(node.path).is_not(None) & (
                self._json_type(node.path) != "null"
            )
            return sa.not_(present) if op == "=" else present
        if op == "contains":
            return self._json_list(node.path, op, value)
        matching = sa.select(self.values.c.run_id).where(
            self.values.c.key == ".".join(node.path), self.value_clause(op, value)
        )
        return self.runs.c.id.in_(matching)

    def value_clause(self, op: str, value, table=None):
        """``num op value`` or ``text op value`` on the values table (or an alias of it)."""
        table = self.values if table is None else table
        if isinstance(value, (bool, int, float)):
            column, value = table.c.num, float(value)  # booleans are stored as 0 and 1
        else:
            column = table.c.text if op in ("=", "!=") else self.text(table.c.text)
        return column.is_not(None) & apply(column, op, value)

    def _json_list(self, path: tuple[str, ...], op: str, value: str):
        """Any text element of the list (or the text itself) at ``path`` equals/contains value;
        ``!=``: none equals it."""
        summary = self.runs.c.summary
        if self.dialect == "postgresql":
            element = summary[path]
            as_list = sa.case(
                (sa.func.jsonb_typeof(element) == "array", element),
                else_=sa.func.jsonb_build_array(element),
            )
            each = sa.func.jsonb_array_elements(as_list).table_valued(
                sa.column("value", postgresql.JSONB)
            )
            each = each.alias("each_element")
            is_text = sa.func.jsonb_typeof(each.c.value) == "string"
            text = each.c.value.op("#>>")(sa.literal_column("'{}'"))
        else:
            json_path = "$." + ".".join(f'"{p}"' for p in path)
            each = sa.func.json_each(summary, json_path).table_valued("value", "type")
            each = each.alias("each_element")
            is_text = each.c.type == "text"
            text = each.c.value
        condition = self._contains(text, value) if op == "contains" else text == value
        exists = sa.exists(sa.select(sa.literal(1)).select_from(each).where(is_text, condition))
        return sa.not_(exists) if op == "!=" else exists

    def _json_type(self, path: tuple[str, ...]):
        if self.dialect == "postgresql":
            return sa.func.jsonb_typeof(self.runs.c.summary[path])
        json_path = "$." + ".".join(f'"{p}"' for p in path)
        return sa.func.json_type(self.runs.c.summary, json_path)

    # -- order --------------------------------------------------------------------------------
    def order(self, statement, path: tuple[str, ...], descending: bool):
        """``statement`` ordered: numbers, then text, missing last, ties by id; one direction.

        A value path is joined once (LEFT OUTER JOIN on the values table's primary key)
        rather than looked up twice per run in the ORDER BY."""
        if len(path) == 1:
            column = self.runs.c[path[0]]
            keys = [column if path[0] == "seed" else self.text(column)]
        else:
            ordered = self.values.alias("order_value")
            statement = statement.outerjoin(
                ordered,
                sa.and_(ordered.c.run_id == self.runs.c.id, ordered.c.key == ".".join(path)),
            )
            keys = [ordered.c.num, self.text(ordered.c.text)]
        clauses = [(k.desc() if descending else k.asc()).nulls_last() for k in keys]
        return statement.order_by(*clauses, self.tiebreak(descending))

    def tiebreak(self, descending: bool):
        column = self.text(self.runs.c.id)
        return column.desc() if descending else column.asc()


def driving_filter(where, path: tuple[str, ...]):
    """A top-level ``path op value`` conjunct the values index can be walked by, if any."""
    if len(path) != 2:
        return None
    conjuncts = where.items if isinstance(where, BoolOp) and where.op == "and" else (where,)
    for node in conjuncts:
        if (
            isinstance(node, Compare)
            and node.path == path
            and node.value is not None
            and node.op in ("=", "<", "<=", ">", ">=")
        ):
            return node
    return None


def without(where, conjunct):
    """``where`` with one top-level conjunct removed (None when nothing is left)."""
    if where is conjunct:
        return None
    rest = tuple(i for i in where.items if i is not conjunct)
    return rest[0] if len(rest) == 1 else BoolOp("and", rest)


def apply(left, op: str, value):
    return {
        "=": left == value,
        "!=": left != value,
        "<": left < value,
        "<=": left <= value,
        ">": left > value,
        ">=": left >= value,
    }[op]
