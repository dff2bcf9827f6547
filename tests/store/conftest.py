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
def store_url(request, tmp_path):
    """The URL of a fresh, empty store of each backend (PostgreSQL: a schema of its own)."""
    if request.param == "tinydb":
        yield f"tinydb://{tmp_path / 'tinydb'}"
        return
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'runs.db'}"
        return
    schema = request.getfixturevalue("postgres_schema") + "_" + uuid.uuid4().hex[:6]
    yield f"{POSTGRES_URL}?schema={schema}"
    import sqlalchemy as sa

    from flowlab.store.sql_store import engine_url

    engine = sa.create_engine(engine_url(POSTGRES_URL))  # dropped even when a test failed
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture
def any_store(store_url):
    """A fresh, empty store of each backend, opened the way users open one."""
    from flowlab.store import open_store

    store = open_store(store_url)
    yield store
    if store_url.startswith("postgresql"):
        store.drop()
    else:
        store.close()
