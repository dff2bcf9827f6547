"""Every store test runs against each backend: TinyDB, SQLite and the real PostgreSQL server."""

from __future__ import annotations

import os
import uuid

import pytest

POSTGRES_URL = os.environ.get("FLOWLAB_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def postgres_schema():
    """A schema of our own on the PostgreSQL server for this test session, dropped after."""
    import sqlalchemy as sa

    from flowlab.store.sql_store import engine_url

    try:
        engine = sa.create_engine(engine_url(POSTGRES_URL))
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
    except Exception as e:  # only where no server answers
        pytest.skip(f"no PostgreSQL server answers at {POSTGRES_URL}: {e}")
    schema = f"flowlab_test_{uuid.uuid4().hex[:10]}"
    yield schema
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(params=["tinydb", "sqlite", "postgresql"])
def any_store(request, tmp_path):
    """A fresh, empty store of each backend."""
    if request.param == "tinydb":
        from flowlab.store import TinyDBRunStore

        yield TinyDBRunStore(tmp_path / "tinydb")
        return
    from flowlab.store.sql_store import SQLRunStore

    if request.param == "sqlite":
        store = SQLRunStore(f"sqlite:///{tmp_path / 'runs.db'}")
        yield store
        store.engine.dispose()
        return
    schema = request.getfixturevalue("postgres_schema") + "_" + uuid.uuid4().hex[:6]
    store = SQLRunStore(POSTGRES_URL, schema=schema)
    yield store
    store.drop()
