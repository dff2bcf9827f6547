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
import zlib
from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from flowlab.errors import RunNotFound
from flowlab.store.config import redacted
from flowlab.store.leases import LIVE, effective, expire_lapsed
from flowlab.store.protocol import RunStore, check_kind
from flowlab.store.records import summary_of
from flowlab.store.sql_query import COLUMNS, SQLQuery, driving_filter, without


def engine_url(url: str) -> str:
    """SQLAlchemy URL for a FLOWLAB_STORE value (``postgresql://`` uses psycopg 3)."""
    url = split_schema(url)[0]
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def split_schema(url: str) -> tuple[str, str | None]:
    """``postgresql://host/db?schema=team`` → (the URL without it, "team")."""
    base, _, text = url.partition("?")
    query = parse_qsl(text, keep_blank_values=True)
    schema = next((v for k, v in query if k == "schema"), None)
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    return (f"{base}?{rest}" if rest else base), schema


def _text(length: int | None = None):
    """A text column sorting by code point on PostgreSQL too (the ``C`` collation)."""
    plain = sa.String(length) if length else sa.Text()
    collated = sa.String(length, collation="C") if length else sa.Text(collation="C")
    return plain.with_variant(collated, "postgresql")


class SQLRunStore(RunStore):
    """Run records in a SQL database through SQLAlchemy; ``schema`` (or ``?schema=`` in the
    URL, PostgreSQL) keeps one store's tables apart from another's in the same database."""

    def __init__(self, url: str, schema: str | None = None):
        self.url = url
        schema = schema or split_schema(url)[1]
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
            sa.Column("id", _text(64), primary_key=True),
            *(sa.Column(c, _text(64), index=True) for c in COLUMNS),
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
            sa.Column("run_id", _text(64), primary_key=True),
            sa.Column("key", sa.String(200), primary_key=True),
            sa.Column("num", sa.Float),
            sa.Column("text", _text()),
            # (key, value, run id): a page sorted by a value walks one of these in order and
            # stops at the page's end, ties by run id included (``_page_by_value``)
            sa.Index("ix_flowlab_values_num_id", "key", "num", "run_id"),
            sa.Index("ix_flowlab_values_text_id", "key", "text", "run_id"),
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
            sa.Column("id", _text(64), primary_key=True),
            sa.Column("record", json_type, nullable=False),
        )
        self.tags = sa.Table(
            "flowlab_run_tags",
            metadata,
            sa.Column("run_id", _text(64), primary_key=True),
            sa.Column("tag", sa.String(200), primary_key=True, index=True),
        )
        # named entries (catalog, saved searches, …): one JSON document per (kind, name)
        self.entries = sa.Table(
            "flowlab_entries",
            metadata,
            sa.Column("kind", sa.String(40), primary_key=True),
            sa.Column("name", sa.String(200), primary_key=True),
            sa.Column("entry", json_type, nullable=False),
        )
        self.compiler = SQLQuery(self.runs, self.values, self.tags, self.dialect)
        with self.engine.begin() as conn:
            if schema:
                conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            metadata.create_all(conn)
            self._add_new_columns(conn)
            conn.execute(sa.text(self._newest_first_index()))
            self._upgrade_value_indexes(conn)

    def _add_new_columns(self, conn) -> None:
        """A store made before a column of :data:`COLUMNS` existed (``user``) gets it, and its
        index, on open: its runs read null there (no run recorded it), as they do in TinyDB."""
        prefix = f'"{self.schema}".' if self.schema else ""
        table = f"{prefix}flowlab_runs"
        if self.dialect == "postgresql":
            found = conn.execute(
                sa.text(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = "
                    "'flowlab_runs' AND table_schema = coalesce(:schema, current_schema())"
                ),
                {"schema": self.schema},
            )
            have = set(found.scalars())
        else:
            have = {row[1] for row in conn.exec_driver_sql("PRAGMA table_info(flowlab_runs)")}
        for name in (c for c in COLUMNS if c not in have):
            column = self.runs.c[name].type.compile(dialect=self.engine.dialect)
            # IF NOT EXISTS (PostgreSQL): another process may be adding it at this moment
            exists = " IF NOT EXISTS" if self.dialect == "postgresql" else ""
            try:
                conn.execute(sa.text(f'ALTER TABLE {table} ADD COLUMN{exists} "{name}" {column}'))
            except sa.exc.OperationalError as error:  # SQLite: added by another process
                if "duplicate column" not in str(error):
                    raise
            # the name create_all gives it (ix_[schema_]flowlab_runs_user): one index either way
            index = next(i for i in self.runs.indexes if list(i.columns.keys()) == [name])
            conn.execute(
                sa.text(f'CREATE INDEX IF NOT EXISTS "{index.name}" ON {table} ("{name}")')
            )

    def _newest_first_index(self) -> str:
        """The index of the default order (newest first, ties by id), the runs table's first
        page; IF NOT EXISTS, so stores made before it get it too."""
        table = f'"{self.schema}".flowlab_runs' if self.schema else "flowlab_runs"
        if self.dialect == "postgresql":
            keys = 'created COLLATE "C" DESC NULLS LAST, id COLLATE "C" DESC'
        else:  # SQLite sorts NULL first, so a backward scan is DESC NULLS LAST already
            keys = "created, id"
        return f"CREATE INDEX IF NOT EXISTS ix_flowlab_runs_newest ON {table} ({keys})"

    def _upgrade_value_indexes(self, conn) -> None:
        """A store made before the (key, value, run id) indexes gets them, in place of the
        (key, value) ones they extend."""
        prefix = f'"{self.schema}".' if self.schema else ""
        table = f"{prefix}flowlab_run_values"
        for kind in ("num", "text"):
            conn.execute(
                sa.text(
                    f"CREATE INDEX IF NOT EXISTS ix_flowlab_values_{kind}_id "
                    f"ON {table} (key, {kind}, run_id)"
                )
            )
            conn.execute(sa.text(f"DROP INDEX IF EXISTS {prefix}ix_flowlab_values_{kind}"))

    # -- writes -------------------------------------------------------------------------------------
    def put_run_json(self, run_id: str, text: str, summary: dict | None = None) -> None:
        record = json.loads(text)
        with self.engine.begin() as conn:
            self._write(conn, [record], None if summary is None else [summary])

    def put_runs(self, records: list[dict]) -> None:
        """Insert or replace records (and their tags) in one transaction."""
        with self.engine.begin() as conn:
            self._write(conn, records)
        if len(records) >= 1000:  # a bulk load: refresh the planner's statistics now
            with self.engine.begin() as conn:
                for table in (self.runs, self.tags, self.values, self.records):
                    name = f'"{self.schema}"."{table.name}"' if self.schema else table.name
                    conn.execute(sa.text(f"ANALYZE {name}"))

    def _write(self, conn, records: list[dict], summaries: list[dict] | None = None) -> None:
        if not records:
            return
        records = [json.loads(json.dumps(r, default=str)) for r in records]
        if summaries is None:
            summaries = [summary_of(r) for r in records]
        rows = [
            {
                "id": r["id"],
                "seed": r.get("seed"),
                "summary": summary,
                **{c: r.get(c) for c in COLUMNS},
            }
            for r, summary in zip(records, summaries, strict=True)
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
                raise RunNotFound(f"no run {run_id!r} in the store {redacted(self.url)}")
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
            raise RunNotFound(f"no run {run_id!r} in the store {redacted(self.url)}")
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

    def _live_summaries(self) -> list[dict]:
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    sa.select(self.runs.c.summary).where(self.runs.c.status.in_(LIVE))
                ).scalars()
            )

    def count(self, query=None) -> int:
        """How many runs match ``query`` (all when None), counted in the database."""
        expire_lapsed(self, self._live_summaries)
        statement = sa.select(sa.func.count()).select_from(self.runs)
        if query is not None and query.where is not None:
            statement = statement.where(self.compiler.where(query.where))
        with self.engine.connect() as conn:
            return conn.execute(statement).scalar_one()

    def search(self, query) -> list[dict]:
        """Summaries matching a parsed query; filtering, order and paging run in the database."""
        # runs whose tracker's lease lapsed are recorded failed first, so the query sees it
        expire_lapsed(self, self._live_summaries)
        # First the ids of the page (narrow rows to sort: no JSON read for runs not shown),
        # then the summaries of just those runs.
        statement = sa.select(self.runs.c.id)
        path, descending = query.ordering
        driving = driving_filter(query.where, path)
        if driving is not None:
            # Sorting by a value the query also filters on: walk the (key, value) index in
            # order, joined to the runs, and stop at the limit; no sort of every match.
            ordered = self.values.alias("ordered")
            numeric = isinstance(driving.value, (bool, int, float))
            column = ordered.c.num if numeric else self.compiler.text(ordered.c.text)
            statement = statement.join(
                ordered,
                sa.and_(ordered.c.run_id == self.runs.c.id, ordered.c.key == ".".join(path)),
            ).where(self.compiler.value_clause(driving.op, driving.value, ordered))
            rest = without(query.where, driving)
            if rest is not None:
                statement = statement.where(self.compiler.where(rest))
            key = column.desc() if descending else column.asc()
            statement = statement.order_by(key, self.compiler.tiebreak(descending))
        elif len(path) == 2 and query.limit is not None:
            statement = None  # a page sorted by a value: walked along its index
        else:
            if query.where is not None:
                statement = statement.where(self.compiler.where(query.where))
            statement = self.compiler.order(statement, path, descending)
        if statement is not None and query.limit is not None:
            statement = statement.limit(query.limit)
        if statement is not None and query.offset:
            statement = statement.offset(query.offset)
        with self.engine.connect() as conn:
            if statement is None:
                ids = self._page_by_value(conn, query, ".".join(path), descending)
            else:
                ids = list(conn.execute(statement).scalars())
            found = {}
            for first in range(0, len(ids), 1000):
                chunk = ids[first : first + 1000]
                rows = conn.execute(
                    sa.select(self.runs.c.id, self.runs.c.summary).where(self.runs.c.id.in_(chunk))
                )
                found.update((run_id, summary) for run_id, summary in rows)
        return [effective(found[i]) for i in ids]

    def _page_by_value(self, conn, query, key: str, descending: bool) -> list[str]:
        """The ids of one page of runs ordered by the value ``key``: the runs with a number
        (the ``(key, num, run_id)`` index walked in order), then those with a text, then those
        with neither, each part asked only for what the page still lacks. So a page at offset
        1,000 of a million runs reads about 1,050 index entries, never sorts every match."""
        wanted = query.offset + query.limit
        ids: list[str] = []
        for kind in ("num", "text", None):
            if len(ids) >= wanted:
                break
            statement = self._ordered_part(query.where, key, kind, descending)
            ids.extend(conn.execute(statement.limit(wanted - len(ids))).scalars())
        return ids[query.offset : wanted]

    def _ordered_part(self, where, key: str, kind: str | None, descending: bool):
        """The ids of the runs matching ``where`` whose ``key`` is a number (``kind`` "num"),
        a text ("text") or neither (None), in the order of the value, ties by id."""
        text = self.compiler.text

        def direction(column):
            return column.desc() if descending else column.asc()

        if kind is None:
            valued = sa.exists().where(
                self.values.c.run_id == self.runs.c.id,
                self.values.c.key == key,
                sa.or_(self.values.c.num.is_not(None), self.values.c.text.is_not(None)),
            )
            statement = sa.select(self.runs.c.id).where(sa.not_(valued))
            order = [direction(text(self.runs.c.id))]
        else:
            ordered = self.values.alias("ordered")
            value = ordered.c.num if kind == "num" else text(ordered.c.text)
            statement = (
                sa.select(ordered.c.run_id)
                .select_from(ordered.join(self.runs, self.runs.c.id == ordered.c.run_id))
                .where(ordered.c.key == key, value.is_not(None))
            )
            order = [direction(value), direction(text(ordered.c.run_id))]
        if where is not None:
            statement = statement.where(self.compiler.where(where))
        return statement.order_by(*order)

    # -- named entries --------------------------------------------------------------------------
    def update_entry(self, kind: str, name: str, change):
        """Change one entry in a transaction that holds the kind's lock (no writer between)."""
        check_kind(kind)
        table = self.entries
        with self.engine.begin() as conn:
            if self.dialect == "postgresql":  # locks the kind, even where no row exists yet
                key = zlib.crc32(f"flowlab:{self.schema}:{kind}".encode()) - 2**31
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))
            else:  # SQLite: a write first, so the database's write lock is held from here
                conn.execute(sa.delete(table).where(sa.false()))
            found = conn.execute(
                sa.select(table.c.entry).where(table.c.kind == kind, table.c.name == name)
            ).scalar_one_or_none()
            entry = change(found)
            conn.execute(sa.delete(table).where(table.c.kind == kind, table.c.name == name))
            if entry is not None:
                entry = json.loads(json.dumps({**entry, "name": name}, default=str))
                conn.execute(sa.insert(table), [{"kind": kind, "name": name, "entry": entry}])
        return entry

    def get_entry(self, kind: str, name: str) -> dict | None:
        check_kind(kind)
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(self.entries.c.entry).where(
                    self.entries.c.kind == kind, self.entries.c.name == name
                )
            ).scalar_one_or_none()

    def list_entries(self, kind: str) -> list[dict]:
        check_kind(kind)
        with self.engine.connect() as conn:
            found = conn.execute(
                sa.select(self.entries.c.name, self.entries.c.entry).where(
                    self.entries.c.kind == kind
                )
            ).all()
        return [entry for _, entry in sorted(found, key=lambda row: row[0])]

    def entry_kinds(self) -> list[str]:
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(self.entries.c.kind).distinct()).scalars()
            return sorted(found)

    def close(self) -> None:
        self.engine.dispose()

    def drop(self) -> None:
        """Remove the store's tables (and its schema, when it has one)."""
        with self.engine.begin() as conn:
            if self.schema:
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
            else:
                tables = (self.tags, self.values, self.cache, self.records, self.runs, self.entries)
                for table in tables:
                    table.drop(conn, checkfirst=True)
        self.engine.dispose()
        from flowlab.store import forget_store

        forget_store(self)

    def __repr__(self) -> str:
        return f"SQLRunStore({redacted(self.url)!r})"  # never the password


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


def _sqlite_insert(table):
    from sqlalchemy.dialects.sqlite import insert

    return insert(table)


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")  # several processes wait for the lock
    cursor.close()
