"""Where the model registry keeps its rows, in each run store backend.

The registry is a small extension of the run store contract: the same few primitives on
both backends, kept apart from the run tables.

- TinyDB (the default store): ``models.json`` (tables ``models``, ``model_versions``,
  ``model_events``); ``model_stats.json`` (per-process serving statistics) and
  ``model_samples/<name>.jsonl`` (shadow samples and feedback, appended as lines): both
  written every second, so kept out of the file whose change means "the registry changed".
- SQL (SQLite, PostgreSQL): tables ``flowlab_models``, ``flowlab_model_versions``,
  ``flowlab_model_events``, ``flowlab_model_samples``, ``flowlab_model_stats``.

``stamp()`` is a cheap marker that changes whenever a version, an alias, the split or the
shadow changes: a prediction service polls it to follow the registry without a restart.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from filelock import FileLock
from tinydb import Query, TinyDB

EMPTY_STATE = {"aliases": {}, "split": None, "shadow": None}


class TinyDBModelTables:
    """The registry's rows next to a TinyDB run store (``root`` is the store's directory)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.path = self.root / "models.json"
        self.samples_path = self.root / "model_stats.json"
        self.samples_dir = self.root / "model_samples"
        self.samples_dir.mkdir(exist_ok=True)
        self._lock = FileLock(str(self.path) + ".lock")
        self._samples_lock = FileLock(str(self.samples_path) + ".lock")

    def _db(self, path: Path) -> TinyDB:
        from flowlab.store.tinydb_store import AtomicJSONStorage

        return TinyDB(str(path), storage=AtomicJSONStorage)

    def stamp(self) -> Any:
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return None
        return (info.st_mtime_ns, info.st_size, info.st_ino)

    def names(self) -> list[str]:
        with self._lock, self._db(self.path) as db:
            return sorted(r["name"] for r in db.table("models").all())

    def state(self, name: str) -> dict | None:
        with self._lock, self._db(self.path) as db:
            row = db.table("models").get(Query().name == name)
        return None if row is None else dict(row["state"])

    def versions(self, name: str) -> list[dict]:
        with self._lock, self._db(self.path) as db:
            rows = db.table("model_versions").search(Query().name == name)
        return sorted((dict(r) for r in rows), key=lambda r: r["version"])

    def add_version(self, name: str, entry: dict, event: dict) -> int:
        with self._lock, self._db(self.path) as db:
            models, versions = db.table("models"), db.table("model_versions")
            if not models.contains(Query().name == name):
                models.insert({"name": name, "state": dict(EMPTY_STATE)})
            taken = [r["version"] for r in versions.search(Query().name == name)]
            version = max(taken, default=0) + 1
            versions.insert({**entry, "name": name, "version": version})
            db.table("model_events").insert({**event, "name": name, "version": version})
        return version

    def change(self, name: str, change: Callable[[dict], None], event: dict) -> dict:
        with self._lock, self._db(self.path) as db:
            models = db.table("models")
            row = models.get(Query().name == name)
            state = dict(row["state"])
            change(state)
            models.update({"state": state}, Query().name == name)
            db.table("model_events").insert({**event, "name": name})
        return state

    def events(self, name: str) -> list[dict]:
        with self._lock, self._db(self.path) as db:
            rows = db.table("model_events").search(Query().name == name)
        return [dict(r) for r in rows]

    def _samples_file(self, name: str) -> Path:
        return self.samples_dir / f"{name}.jsonl"

    def add_samples(self, name: str, samples: list[dict], keep: int) -> None:
        """Append lines (cheap: a service writes every second); past twice ``keep`` lines'
        worth of bytes, rewrite the file with the newest ``keep``."""
        from flowlab.store.journal import Journal
        from flowlab.store.tinydb_store import atomic_write_text

        path = self._samples_file(name)
        with FileLock(str(path) + ".lock"):
            journal = Journal(path)
            journal.append(samples)
            average = sum(len(json.dumps(s, default=str)) + 1 for s in samples) / len(samples)
            if path.stat().st_size > 2 * keep * average:
                _, kept = Journal(path).read_new()
                text = "".join(json.dumps(s, default=str) + "\n" for s in kept[-keep:])
                atomic_write_text(path, text)

    def samples(self, name: str, keep: int) -> list[dict]:
        from flowlab.store.journal import Journal

        path = self._samples_file(name)
        with FileLock(str(path) + ".lock"):
            return Journal(path).read_new()[1][-keep:]

    def put_stats(self, name: str, process: str, stats: dict) -> None:
        with self._samples_lock, self._db(self.samples_path) as db:
            db.table("stats").upsert(
                {"name": name, "process": process, "stats": stats},
                (Query().name == name) & (Query().process == process),
            )

    def stats(self, name: str) -> list[dict]:
        with self._samples_lock, self._db(self.samples_path) as db:
            return [r["stats"] for r in db.table("stats").search(Query().name == name)]


class SQLModelTables:
    """The registry's tables in the SQL store's database (and schema)."""

    def __init__(self, engine, schema: str | None = None):
        import sqlalchemy as sa
        from sqlalchemy.dialects import postgresql

        self.sa = sa
        self.engine = engine
        self.dialect = engine.dialect.name
        json_type = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
        metadata = sa.MetaData(schema=schema)
        self.models = sa.Table(
            "flowlab_models",
            metadata,
            sa.Column("name", sa.String(200), primary_key=True),
            sa.Column("state", json_type, nullable=False),
        )
        self.versions_table = sa.Table(
            "flowlab_model_versions",
            metadata,
            sa.Column("name", sa.String(200), primary_key=True),
            sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("entry", json_type, nullable=False),
        )
        self.events_table = sa.Table(
            "flowlab_model_events",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("name", sa.String(200), index=True, nullable=False),
            sa.Column("event", json_type, nullable=False),
        )
        self.samples_table = sa.Table(
            "flowlab_model_samples",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("name", sa.String(200), index=True, nullable=False),
            sa.Column("sample", json_type, nullable=False),
        )
        self.stats_table = sa.Table(
            "flowlab_model_stats",
            metadata,
            sa.Column("name", sa.String(200), primary_key=True),
            sa.Column("process", sa.String(200), primary_key=True),
            sa.Column("stats", json_type, nullable=False),
        )
        with engine.begin() as conn:
            if schema:
                conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            metadata.create_all(conn)

    def stamp(self) -> Any:
        sa = self.sa
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.max(self.events_table.c.id))).scalar()

    def names(self) -> list[str]:
        sa = self.sa
        with self.engine.connect() as conn:
            return list(
                conn.execute(sa.select(self.models.c.name).order_by(self.models.c.name)).scalars()
            )

    def state(self, name: str) -> dict | None:
        sa = self.sa
        with self.engine.connect() as conn:
            state = conn.execute(
                sa.select(self.models.c.state).where(self.models.c.name == name)
            ).scalar()
        return None if state is None else dict(state)

    def versions(self, name: str) -> list[dict]:
        sa = self.sa
        t = self.versions_table
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.c.version, t.c.entry).where(t.c.name == name).order_by(t.c.version)
            )
            return [{**entry, "name": name, "version": version} for version, entry in rows]

    def _locked_state(self, conn, name: str):
        sa = self.sa
        # FOR UPDATE on PostgreSQL serialises writers of one model; SQLite locks the database
        return conn.execute(
            sa.select(self.models.c.state).where(self.models.c.name == name).with_for_update()
        ).scalar()

    def _retrying(self, write: Callable[[], Any]) -> Any:
        """Run a write transaction again when a concurrent writer won the race (SQLite has no
        row locks: two deploys may read the same highest version; the loser retries)."""
        from sqlalchemy.exc import IntegrityError, OperationalError

        for attempt in range(50):
            try:
                return write()
            except (IntegrityError, OperationalError):
                if attempt == 49:
                    raise
                time.sleep(0.01 + random.random() * 0.05)

    def add_version(self, name: str, entry: dict, event: dict) -> int:
        return self._retrying(lambda: self._add_version(name, entry, event))

    def _add_version(self, name: str, entry: dict, event: dict) -> int:
        sa = self.sa
        t = self.versions_table
        with self.engine.begin() as conn:
            if self._locked_state(conn, name) is None:
                conn.execute(self.models.insert().values(name=name, state=dict(EMPTY_STATE)))
                self._locked_state(conn, name)
            taken = conn.execute(sa.select(sa.func.max(t.c.version)).where(t.c.name == name))
            version = (taken.scalar() or 0) + 1
            conn.execute(t.insert().values(name=name, version=version, entry=entry))
            conn.execute(
                self.events_table.insert().values(
                    name=name, event={**event, "name": name, "version": version}
                )
            )
        return version

    def change(self, name: str, change: Callable[[dict], None], event: dict) -> dict:
        return self._retrying(lambda: self._change(name, change, event))

    def _change(self, name: str, change: Callable[[dict], None], event: dict) -> dict:
        with self.engine.begin() as conn:
            state = dict(self._locked_state(conn, name))
            change(state)
            conn.execute(self.models.update().where(self.models.c.name == name).values(state=state))
            conn.execute(
                self.events_table.insert().values(name=name, event={**event, "name": name})
            )
        return state

    def events(self, name: str) -> list[dict]:
        sa = self.sa
        t = self.events_table
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.c.event).where(t.c.name == name).order_by(t.c.id))
            return [dict(e) for e in rows.scalars()]

    def add_samples(self, name: str, samples: list[dict], keep: int) -> None:
        sa = self.sa
        t = self.samples_table
        with self.engine.begin() as conn:
            conn.execute(t.insert(), [{"name": name, "sample": s} for s in samples])
            newest_kept = (
                sa.select(t.c.id).where(t.c.name == name).order_by(t.c.id.desc()).limit(keep)
            )
            conn.execute(t.delete().where(t.c.name == name, t.c.id.not_in(newest_kept)))

    def samples(self, name: str, keep: int) -> list[dict]:
        sa = self.sa
        t = self.samples_table
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.c.sample).where(t.c.name == name).order_by(t.c.id))
            return [dict(s) for s in rows.scalars()][-keep:]

    def put_stats(self, name: str, process: str, stats: dict) -> None:
        from sqlalchemy.dialects import postgresql, sqlite

        insert = (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(
            self.stats_table
        )
        with self.engine.begin() as conn:
            conn.execute(
                insert.values(name=name, process=process, stats=stats).on_conflict_do_update(
                    index_elements=["name", "process"], set_={"stats": stats}
                )
            )

    def stats(self, name: str) -> list[dict]:
        sa = self.sa
        t = self.stats_table
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.c.stats).where(t.c.name == name))
            return [dict(s) for s in rows.scalars()]
