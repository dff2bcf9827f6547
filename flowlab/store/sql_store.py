"""The SQL store (SQLAlchemy): SQLite for a big store on one machine, PostgreSQL for a team.

One row per run: the fields searches filter on most (workflow, status, dates…) as indexed
columns, the whole record and a small summary as JSON; tags in their own indexed table. Queries compile to SQL
with JSON path expressions (``json_extract`` on SQLite, ``#>`` on PostgreSQL's JSONB), so
the database does the filtering, sorting and limiting.

Example::

    store = SQLRunStore("sqlite:///runs.db")
    store.put_run({"id": "r1", "workflow": "iris", "status": "succeeded"})
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from flowlab.errors import RunNotFound
from flowlab.store.query import BoolOp, Compare, Not
from flowlab.store.tinydb_store import summary_of

COLUMNS = ("workflow", "version", "status", "created", "started", "ended", "parent")


def engine_url(url: str) -> str:
    """SQLAlchemy URL for a FLOWLAB_STORE value (``postgresql://`` uses psycopg 3)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class SQLRunStore:
    """Run records in a SQL database through SQLAlchemy; ``schema`` keeps tables apart."""

    def __init__(self, url: str, schema: str | None = None):
        self.url = url
        self.engine = sa.create_engine(engine_url(url), pool_pre_ping=True)
        self.dialect = self.engine.dialect.name
        if self.dialect == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self.schema = schema
        metadata = sa.MetaData(schema=schema)
        json_type = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
        self.runs = sa.Table(
            "flowlab_runs",
            metadata,
            sa.Column("id", sa.String(64), primary_key=True),
            *(sa.Column(c, sa.String(64), index=True) for c in COLUMNS),
            sa.Column("seed", sa.BigInteger),
            # the run's summary (inline inputs and outputs, tags, notes): what queries read,
            # small whatever the size of the record (graph, sources, logs)
            sa.Column("summary", json_type, nullable=False),
            sa.Index("ix_flowlab_runs_search", "workflow", "status", "created"),
        )
        # scalar inputs and outputs, one row each, indexed by (key, value): a query like
        # `outputs.logloss < 0.3 order by outputs.logloss` walks an index, not every record
        self.values = sa.Table(
            "flowlab_run_values",
            metadata,
            sa.Column("run_id", sa.String(64), primary_key=True),
            sa.Column("key", sa.String(200), primary_key=True),
            sa.Column("num", sa.Float),
            sa.Column("text", sa.Text),
            sa.Index("ix_flowlab_values_num", "key", "num"),
            sa.Index("ix_flowlab_values_text", "key", "text"),
        )
        # operator cache: key -> the run and the kept outputs it points at
        self.cache = sa.Table(
            "flowlab_cache",
            metadata,
            sa.Column("key", sa.String(64), primary_key=True),
            sa.Column("entry", json_type, nullable=False),
        )
        # whole records live apart, so searches scan narrow rows
        self.records = sa.Table(
            "flowlab_records",
            metadata,
            sa.Column("id", sa.String(64), primary_key=True),
            sa.Column("record", json_type, nullable=False),
        )
        self.tags = sa.Table(
            "flowlab_run_tags",
            metadata,
            sa.Column("run_id", sa.String(64), primary_key=True),
            sa.Column("tag", sa.String(200), primary_key=True, index=True),
        )
        with self.engine.begin() as conn:
            if schema:
                conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            metadata.create_all(conn)

    # -- writes -------------------------------------------------------------------------------------
    def put_run(self, record: dict) -> None:
        self.put_runs([record])

    def put_run_json(self, run_id: str, text: str, summary: dict | None = None) -> None:
        self.put_run(json.loads(text))

    def put_runs(self, records: list[dict]) -> None:
        """Insert or replace records (and their tags) in one transaction."""
        with self.engine.begin() as conn:
            self._write(conn, records)
        if len(records) >= 1000:  # a bulk load: refresh the planner's statistics now
            with self.engine.begin() as conn:
                for table in (self.runs, self.tags, self.values, self.records):
                    name = f'"{self.schema}"."{table.name}"' if self.schema else table.name
                    conn.execute(sa.text(f"ANALYZE {name}"))

    def _write(self, conn, records: list[dict]) -> None:
        if not records:
            return
        records = [json.loads(json.dumps(r, default=str)) for r in records]
        rows = [
            {
                "id": r["id"],
                "seed": r.get("seed"),
                "summary": summary_of(r),
                **{c: r.get(c) for c in COLUMNS},
            }
            for r in records
        ]
        insert = (postgresql.insert if self.dialect == "postgresql" else _sqlite_insert)(self.runs)
        upsert = insert.on_conflict_do_update(
            index_elements=["id"], set_={k: insert.excluded[k] for k in rows[0] if k != "id"}
        )
        tags = [
            {"run_id": r["id"], "tag": t}
            for r in records
            for t in dict.fromkeys(r.get("tags") or [])
        ]
        conn.execute(upsert, rows)
        insert = (postgresql.insert if self.dialect == "postgresql" else _sqlite_insert)(
            self.records
        )
        conn.execute(
            insert.on_conflict_do_update(
                index_elements=["id"], set_={"record": insert.excluded["record"]}
            ),
            [{"id": r["id"], "record": r} for r in records],
        )
        ids = [r["id"] for r in records]
        conn.execute(sa.delete(self.tags).where(self.tags.c.run_id.in_(ids)))
        if tags:
            conn.execute(sa.insert(self.tags), tags)
        conn.execute(sa.delete(self.values).where(self.values.c.run_id.in_(ids)))
        values = [row for r in records for row in _value_rows(r)]
        if values:
            conn.execute(sa.insert(self.values), values)

    def update_run(self, run_id: str, change) -> dict:
        """Read, change and write one record in one transaction holding the row's lock."""
        with self.engine.begin() as conn:
            query = sa.select(self.records.c.record).where(self.records.c.id == run_id)
            if self.dialect == "postgresql":
                query = query.with_for_update()
            else:  # SQLite: take the write lock before reading, so no writer slips between
                conn.execute(
                    sa.update(self.runs).where(self.runs.c.id == run_id).values(id=self.runs.c.id)
                )
            found = conn.execute(query).scalar_one_or_none()
            if found is None:
                raise RunNotFound(f"no run {run_id!r} in the store {self.url}")
            change(found)
            self._write(conn, [found])
        return found

    # -- operator cache -------------------------------------------------------------------------
    def cache_put(self, entries: list[dict]) -> None:
        rows = {
            e["key"]: {"key": e["key"], "entry": json.loads(json.dumps(e, default=str))}
            for e in entries
        }
        insert = (postgresql.insert if self.dialect == "postgresql" else _sqlite_insert)(self.cache)
        with self.engine.begin() as conn:
            conn.execute(
                insert.on_conflict_do_update(
                    index_elements=["key"], set_={"entry": insert.excluded["entry"]}
                ),
                list(rows.values()),
            )

    def cache_get(self, keys: list[str]) -> dict[str, dict]:
        found = {}
        with self.engine.connect() as conn:
            for first in range(0, len(keys), 500):
                chunk = keys[first : first + 500]
                query = sa.select(self.cache.c.key, self.cache.c.entry).where(
                    self.cache.c.key.in_(chunk)
                )
                found.update(dict(conn.execute(query).all()))
        return found

    # -- reads --------------------------------------------------------------------------------------
    def get_run(self, run_id: str) -> dict:
        with self.engine.connect() as conn:
            found = conn.execute(
                sa.select(self.records.c.record).where(self.records.c.id == run_id)
            ).scalar_one_or_none()
        if found is None:
            raise RunNotFound(f"no run {run_id!r} in the store {self.url}")
        return found

    def get_summary(self, run_id: str) -> dict | None:
        """The summary of one run (tags, notes, status…), without reading its record."""
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(self.runs.c.summary).where(self.runs.c.id == run_id)
            ).scalar_one_or_none()

    def list_runs(self) -> list[dict]:
        with self.engine.connect() as conn:
            return list(conn.execute(sa.select(self.runs.c.summary)).scalars())

    def all_records(self):
        """Every full record, oldest first (exports and migrations)."""
        with self.engine.connect() as conn:
            yield from conn.execute(
                sa.select(self.records.c.record)
                .join(self.runs, self.runs.c.id == self.records.c.id)
                .order_by(self.runs.c.created)
            ).scalars()

    def count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(self.runs)).scalar_one()

    def search(self, query) -> list[dict]:
        """Summaries matching a parsed query; filtering, order and limit run in the database."""
        record = self.runs.c.summary
        statement = sa.select(
            self.runs.c.id,
            *(self.runs.c[c] for c in COLUMNS),
            self.runs.c.seed,
            record["inputs"],
            record["outputs"],
            record["tags"],
            record["notes"],
        )
        path = query.order_by or ("created",)
        descending = query.descending if query.order_by else True
        driven = self._driving_filter(query.where, path) if _is_value_path(path) else None
        if driven is not None:
            # Sorting by a value the query also filters on: walk the (key, value) index in
            # order, joined to the runs, and stop at the limit; no sort of every match.
            conjunct, column = driven
            alias = self.values.alias("ordered")
            column = alias.c[column]
            statement = statement.join(
                alias, sa.and_(alias.c.run_id == self.runs.c.id, alias.c.key == ".".join(path))
            ).where(_apply(column, conjunct.op, conjunct.value))
            rest = _without(query.where, conjunct)
            if rest is not None:
                statement = statement.where(self._compile(rest))
            statement = statement.order_by(column.desc() if descending else column.asc())
        else:
            if query.where is not None:
                statement = statement.where(self._compile(query.where))
            for expression in self._order(path):
                expression = expression.desc() if descending else expression.asc()
                statement = statement.order_by(expression.nulls_last())
        if query.limit is not None:
            statement = statement.limit(query.limit)
        keys = ("id", *COLUMNS, "seed", "inputs", "outputs", "tags", "notes")
        with self.engine.connect() as conn:
            return [dict(zip(keys, row, strict=True)) for row in conn.execute(statement)]

    # -- query compilation ----------------------------------------------------------------------
    def _compile(self, node) -> Any:
        if isinstance(node, BoolOp):
            parts = [self._compile(i) for i in node.items]
            return sa.and_(*parts) if node.op == "and" else sa.or_(*parts)
        if isinstance(node, Not):
            return sa.not_(self._compile(node.item))
        if node.path in (("tag",), ("tags",)):
            return self._tag_clause(node)
        return self._compare(node)

    def _tag_clause(self, node: Compare):
        condition = (
            self.tags.c.tag.contains(str(node.value))
            if node.op == "contains"
            else self.tags.c.tag == node.value
        )
        exists = sa.exists().where(self.tags.c.run_id == self.runs.c.id, condition)
        return sa.not_(exists) if node.op == "!=" else exists

    def _compare(self, node: Compare):
        value, op = node.value, node.op
        if len(node.path) == 1 and node.path[0] in (*COLUMNS, "id", "seed"):
            column = self.runs.c[node.path[0]]
            if op == "contains":
                return column.contains(str(value))
            if value is None:
                return column.is_(None) if op == "=" else column.is_not(None)
            if node.path[0] == "seed" and not isinstance(value, (int, float)):
                return sa.false()
            return _apply(column, op, value)
        if _is_value_path(node.path) and not (op == "contains" or value is None):
            return self._value_clause(node)
        element = self.runs.c.summary[node.path]
        if op == "contains":
            return sa.cast(element, sa.Text).contains(str(value))
        if value is None:
            present = self._json_type(node.path).is_not(None) & (
                self._json_type(node.path) != "null"
            )
            return sa.not_(present) if op == "=" else present
        if isinstance(value, bool):
            typed, kind = element.as_boolean(), ("true", "false", "boolean")
        elif isinstance(value, (int, float)):
            typed, kind = element.as_float(), ("integer", "real", "number")
        else:
            typed, kind = element.as_string(), ("text", "string")
        is_kind = self._json_type(node.path).in_(kind)
        if op == "!=":
            return sa.or_(sa.not_(is_kind), self._json_type(node.path).is_(None), typed != value)
        return sa.and_(is_kind, _apply(typed, op, value))

    def _value_clause(self, node: Compare):
        """``outputs.x < 1`` as ``id IN (SELECT run_id FROM values WHERE key=… AND num < 1)``."""
        value, op = node.value, node.op
        column = self.values.c.num if isinstance(value, (int, float)) else self.values.c.text
        positive = "=" if op == "!=" else op
        matching = sa.select(self.values.c.run_id).where(
            self.values.c.key == ".".join(node.path), _apply(column, positive, value)
        )
        found = self.runs.c.id.in_(matching)
        return sa.not_(found) if op == "!=" else found

    @staticmethod
    def _driving_filter(where, path: tuple[str, ...]):
        """A top-level ``path op value`` conjunct (and the values column it uses), if any."""
        conjuncts = where.items if isinstance(where, BoolOp) and where.op == "and" else (where,)
        for node in conjuncts:
            if (
                isinstance(node, Compare)
                and node.path == path
                and node.value is not None
                and node.op in ("=", "<", "<=", ">", ">=")
            ):
                numeric = isinstance(node.value, (int, float))
                return node, "num" if numeric else "text"
        return None

    def _json_type(self, path: tuple[str, ...]):
        if self.dialect == "postgresql":
            return sa.func.jsonb_typeof(self.runs.c.summary[path])
        json_path = "$." + ".".join(f'"{p}"' for p in path)
        return sa.func.json_type(self.runs.c.summary, json_path)

    def _order(self, path: tuple[str, ...]) -> list:
        if len(path) == 1 and path[0] in (*COLUMNS, "id", "seed"):
            return [self.runs.c[path[0]]]
        if _is_value_path(path):
            key = ".".join(path)
            by_number = (
                sa.select(self.values.c.num)
                .where(self.values.c.run_id == self.runs.c.id, self.values.c.key == key)
                .scalar_subquery()
            )
            by_text = (
                sa.select(self.values.c.text)
                .where(self.values.c.run_id == self.runs.c.id, self.values.c.key == key)
                .scalar_subquery()
            )
            return [by_number, by_text]
        element = self.runs.c.summary[path]
        numeric = sa.case(
            (self._json_type(path).in_(("integer", "real", "number")), element.as_float()),
            else_=None,
        )
        text = sa.case(
            (self._json_type(path).in_(("text", "string")), element.as_string()), else_=None
        )
        return [numeric, text]

    def drop(self) -> None:
        """Remove the store's tables (and its schema, when it has one)."""
        with self.engine.begin() as conn:
            if self.schema:
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
            else:
                for table in (self.tags, self.values, self.cache, self.records, self.runs):
                    table.drop(conn, checkfirst=True)
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"SQLRunStore({self.url!r})"


def _without(where, conjunct):
    """``where`` with one top-level conjunct removed (None when nothing is left)."""
    if where is conjunct:
        return None
    rest = tuple(i for i in where.items if i is not conjunct)
    return rest[0] if len(rest) == 1 else BoolOp("and", rest)


def _is_value_path(path: tuple[str, ...]) -> bool:
    return len(path) == 2 and path[0] in ("inputs", "outputs")


def _value_rows(record: dict) -> list[dict]:
    """The scalar inputs and outputs of a record as rows of the values table."""
    rows = []
    for part in ("inputs", "outputs"):
        for key, value in (record.get(part) or {}).items():
            if isinstance(value, bool) or isinstance(value, (int, float)):
                rows.append(
                    {
                        "run_id": record["id"],
                        "key": f"{part}.{key}",
                        "num": float(value),
                        "text": None,
                    }
                )
            elif isinstance(value, str):
                rows.append(
                    {"run_id": record["id"], "key": f"{part}.{key}", "num": None, "text": value}
                )
    return rows


def _apply(left, op: str, value):
    return {
        "=": left == value,
        "!=": left != value,
        "<": left < value,
        "<=": left <= value,
        ">": left > value,
        ">=": left >= value,
    }[op]


def _sqlite_insert(table):
    from sqlalchemy.dialects.sqlite import insert

    return insert(table)


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")  # several processes wait for the lock
    cursor.close()
