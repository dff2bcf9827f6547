"""The SQL store (SQLAlchemy): SQLite for a big store on one machine, PostgreSQL for a team.

One row per run: the fields searches filter on most (workflow, status, dates…) as indexed
columns, the whole record as JSON; tags in their own indexed table. Queries compile to SQL
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

    def put_run_json(self, run_id: str, text: str) -> None:
        self.put_run(json.loads(text))

    def put_runs(self, records: list[dict]) -> None:
        """Insert or replace records (and their tags) in one transaction."""
        with self.engine.begin() as conn:
            self._write(conn, records)
        if len(records) >= 1000:  # a bulk load: refresh the planner's statistics now
            with self.engine.begin() as conn:
                for table in (self.runs, self.tags):
                    name = f'"{self.schema}"."{table.name}"' if self.schema else table.name
                    conn.execute(sa.text(f"ANALYZE {name}"))

    def _write(self, conn, records: list[dict]) -> None:
        if not records:
            return
        records = [json.loads(json.dumps(r, default=str)) for r in records]
        rows = [
            {"id": r["id"], "seed": r.get("seed"), "record": r, **{c: r.get(c) for c in COLUMNS}}
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
        conn.execute(sa.delete(self.tags).where(self.tags.c.run_id.in_([r["id"] for r in records])))
        if tags:
            conn.execute(sa.insert(self.tags), tags)

    def update_run(self, run_id: str, change) -> dict:
        """Read, change and write one record in one transaction holding the row's lock."""
        with self.engine.begin() as conn:
            query = sa.select(self.runs.c.record).where(self.runs.c.id == run_id)
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

    # -- reads --------------------------------------------------------------------------------------
    def get_run(self, run_id: str) -> dict:
        with self.engine.connect() as conn:
            found = conn.execute(
                sa.select(self.runs.c.record).where(self.runs.c.id == run_id)
            ).scalar_one_or_none()
        if found is None:
            raise RunNotFound(f"no run {run_id!r} in the store {self.url}")
        return found

    def list_runs(self) -> list[dict]:
        with self.engine.connect() as conn:
            return [summary_of(r) for r in conn.execute(sa.select(self.runs.c.record)).scalars()]

    def all_records(self):
        """Every full record, oldest first (exports and migrations)."""
        with self.engine.connect() as conn:
            yield from conn.execute(
                sa.select(self.runs.c.record).order_by(self.runs.c.created)
            ).scalars()

    def count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(self.runs)).scalar_one()

    def search(self, query) -> list[dict]:
        """Summaries matching a parsed query; filtering, order and limit run in the database."""
        record = self.runs.c.record
        statement = sa.select(
            self.runs.c.id,
            *(self.runs.c[c] for c in COLUMNS),
            self.runs.c.seed,
            record["inputs"],
            record["outputs"],
            record["tags"],
            record["notes"],
        )
        if query.where is not None:
            statement = statement.where(self._compile(query.where))
        path = query.order_by or ("created",)
        descending = query.descending if query.order_by else True
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
        element = self.runs.c.record[node.path]
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

    def _json_type(self, path: tuple[str, ...]):
        if self.dialect == "postgresql":
            return sa.func.jsonb_typeof(self.runs.c.record[path])
        json_path = "$." + ".".join(f'"{p}"' for p in path)
        return sa.func.json_type(self.runs.c.record, json_path)

    def _order(self, path: tuple[str, ...]) -> list:
        if len(path) == 1 and path[0] in (*COLUMNS, "id", "seed"):
            return [self.runs.c[path[0]]]
        element = self.runs.c.record[path]
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
                self.tags.drop(conn, checkfirst=True)
                self.runs.drop(conn, checkfirst=True)
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"SQLRunStore({self.url!r})"


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
