"""The store contract: every query gives the same runs, in the same order, on TinyDB, SQLite
and the real PostgreSQL — the semantics written in docs/queries.md's grammar.

Five runs made to hit the hard cases: missing and null values, text where a number is
expected, tags that differ only by case, ``%``, ``_``, quotes and backslashes in the text,
ties and missing values in the order, dates with and without an offset.
"""

from __future__ import annotations

import uuid

import pytest

import flowlab
from flowlab.store import RunStore, open_store
from flowlab.store.query import parse
from flowlab.store.search import SavedSearches

from .conftest import POSTGRES_URL

RECORDS = [
    {
        "id": "r1",
        "workflow": "iris",
        "status": "succeeded",
        "created": "2026-11-01T10:00:00.000Z",
        "parent": None,
        "seed": 1,
        "user": "ada",
        "tags": ["baseline", "50%_off"],
        "notes": ['say "hi"', "C:\\temp"],
        "inputs": {"name": "a%b", "depth": 3, "flag": True, "features": ["x_y", "q"]},
        "outputs": {"loss": 0.2, "label": "ok"},
    },
    {
        "id": "r2",
        "workflow": "iris",
        "status": "failed",
        "created": "2026-11-02T09:00:00.000Z",
        "parent": "r1",
        "seed": 2,
        "user": "bob",
        "tags": [],
        "notes": [],
        "inputs": {"name": "ab", "depth": 5, "flag": False},
        "outputs": {"loss": 0.1},
    },
    {
        "id": "r3",
        "workflow": "Iris",
        "status": "succeeded",
        "created": "2026-11-03T08:00:00.000Z",
        "parent": None,
        "seed": None,
        "tags": ["Baseline"],
        "notes": ["100% done"],
        "inputs": {"name": 3, "depth": "deep"},
        "outputs": {},
    },
    {
        "id": "r4",
        "workflow": "gbdt",
        "status": "running",
        "created": "2026-11-03T08:00:00.000Z",  # the same instant as r3: ties go by id
        "parent": "r2",
        "seed": 4,
        "user": "Ada",
        "tags": ["baseline"],
        "notes": [],
        "inputs": {"name": "it's", "depth": 10},
        "outputs": {"loss": 0.1, "label": "Good"},
    },
    {  # no created, no tags, no notes at all; a null output and a null user
        "id": "r5",
        "workflow": "gbdt",
        "status": "queued",
        "seed": 5,
        "user": None,
        "inputs": {"name": "_"},
        "outputs": {"loss": None},
    },
]

# newest first when no order is given: r4 and r3 tie (id descending), r5 has no date (last)
CASES = [
    # a run without the field never matches a comparison, != included; not is its complement
    ('parent != "r1"', ["r4"]),
    ('not parent = "r1"', ["r4", "r3", "r1", "r5"]),
    ("parent = null", ["r3", "r1", "r5"]),
    ("parent != null", ["r4", "r2"]),
    ("outputs.loss != 0.1", ["r1"]),
    ("not outputs.loss = 0.1", ["r3", "r1", "r5"]),
    ("outputs.loss = null", ["r3", "r5"]),
    ('outputs.label != "ok"', ["r4"]),
    ("seed != 1", ["r4", "r2", "r5"]),
    ("seed > 1", ["r4", "r2", "r5"]),
    # user: text, case-sensitive; r3 (recorded before flowlab kept it) and r5 have none
    ('user = "ada"', ["r1"]),
    ('user != "ada"', ["r4", "r2"]),
    ("user = null", ["r3", "r5"]),
    ("user != null", ["r4", "r2", "r1"]),
    ('not user = "ada"', ["r4", "r3", "r2", "r5"]),
    ('user = "ada" or user = null', ["r3", "r1", "r5"]),
    ('user contains "da"', ["r4", "r1"]),
    ("order by user", ["r4", "r1", "r2", "r3", "r5"]),
    # tag and tags: the run's list of tags, case-sensitive
    ('tags = "baseline"', ["r4", "r1"]),
    ('tag = "baseline"', ["r4", "r1"]),
    ('tags != "baseline"', ["r3", "r2", "r5"]),
    ('not tag = "baseline"', ["r3", "r2", "r5"]),
    ('tags contains "base"', ["r4", "r1"]),
    ('tags contains "%"', ["r1"]),
    ('tags contains "_"', ["r1"]),
    # not and parentheses
    ('not (workflow = "iris" or status = "running")', ["r3", "r5"]),
    ("not not seed = 2", ["r2"]),
    # contains: literal, case-sensitive; %, _, quotes and backslashes are plain characters
    ('inputs.name contains "%"', ["r1"]),
    ('inputs.name contains "_"', ["r5"]),
    ('inputs.name contains "\'"', ["r4"]),
    ('notes contains "\\"hi\\""', ["r1"]),
    ('notes contains "C:\\\\temp"', ["r1"]),
    ('notes contains "%"', ["r3"]),
    ('inputs.features contains "_"', ["r1"]),
    ('workflow contains "ris"', ["r3", "r2", "r1"]),
    ('workflow contains "I"', ["r3"]),
    ('inputs.depth contains "e"', ["r3"]),
    ('inputs.name contains "%" or inputs.name contains "_"', ["r1", "r5"]),
    # numbers with numbers, text with text (true/false are 1/0); text by code point
    ("inputs.depth > 4", ["r4", "r2"]),
    ("inputs.depth != 3", ["r4", "r2"]),
    ('inputs.depth = "deep"', ["r3"]),
    ('inputs.depth > "a"', ["r3"]),
    ("inputs.name = 3", ["r3"]),
    ('inputs.name < "b"', ["r2", "r1", "r5"]),
    ("inputs.flag = true", ["r1"]),
    ("inputs.flag = 0", ["r2"]),
    ('workflow < "a"', ["r3"]),
    ('status >= "running"', ["r4", "r3", "r1"]),
    # dates: ISO text; a time with an offset is compared in UTC
    ('created > "2026-11-02"', ["r4", "r3", "r2"]),
    ('created < "2026-11-02T10:00+01:00"', ["r1"]),
    ('created <= "2026-11-02T10:00+01:00"', ["r2", "r1"]),
    ("created = null", ["r5"]),
    ('created >= "2026-11-03T08:00:00.000Z"', ["r4", "r3"]),
    # order: numbers, then text, each in the asked direction; missing last; ties by id
    ("order by inputs.name", ["r3", "r5", "r1", "r2", "r4"]),
    ("order by inputs.name desc", ["r3", "r4", "r2", "r1", "r5"]),
    ("order by outputs.loss", ["r2", "r4", "r1", "r3", "r5"]),
    ("order by outputs.loss desc", ["r1", "r4", "r2", "r5", "r3"]),
    ("order by parent", ["r2", "r4", "r1", "r3", "r5"]),
    ("order by parent desc", ["r4", "r2", "r5", "r3", "r1"]),
    ("order by seed desc", ["r5", "r4", "r2", "r1", "r3"]),
    ("order by created", ["r1", "r2", "r3", "r4", "r5"]),
    ("order by workflow", ["r3", "r4", "r5", "r1", "r2"]),
    ("order by inputs.features", ["r1", "r2", "r3", "r4", "r5"]),
    ("order by inputs.depth", ["r1", "r2", "r4", "r3", "r5"]),
    ("outputs.loss < 1 order by outputs.loss desc", ["r1", "r4", "r2"]),
    ('inputs.name > "a" order by inputs.name', ["r1", "r2", "r4"]),
    # limit and offset: pages of the same order
    ("order by created limit 2", ["r1", "r2"]),
    ("order by created limit 2 offset 2", ["r3", "r4"]),
    ("limit 0", []),
    ("order by outputs.loss limit 2 offset 1", ["r4", "r1"]),
    ("offset 3", ["r1", "r5"]),
    ("outputs.loss < 1 order by outputs.loss limit 1 offset 1", ["r4"]),
]


@pytest.fixture(scope="module", params=["tinydb", "sqlite", "postgresql"])
def filled_url(request, tmp_path_factory):
    """One store per backend holding RECORDS, shared by the cases of this module."""
    root = tmp_path_factory.mktemp(request.param)
    if request.param == "tinydb":
        url = f"tinydb://{root}"
    elif request.param == "sqlite":
        url = f"sqlite:///{root / 'runs.db'}"
    else:
        url = f"{POSTGRES_URL}?schema={request.getfixturevalue('postgres_schema')}_conformance"
    store = open_store(url)
    store.put_runs(RECORDS)
    yield url
    if request.param == "postgresql":
        store.drop()


@pytest.mark.parametrize("query,expected", CASES, ids=[c[0] for c in CASES])
def test_every_backend_gives_the_same_runs_in_the_same_order(filled_url, query, expected):
    assert flowlab.runs(query, store=open_store(filled_url)).ids == expected


@pytest.mark.parametrize("query,expected", CASES, ids=[c[0] for c in CASES])
def test_count_is_the_number_of_matches_whatever_the_page(filled_url, query, expected):
    store = open_store(filled_url)
    parsed = parse(query)
    everything = parse(query)
    everything.limit, everything.offset = None, 0
    assert store.count(parsed) == len(store.search(everything))
    if parsed.limit is None and not parsed.offset:
        assert store.count(parsed) == len(expected)


@pytest.mark.parametrize("query", [c[0] for c in CASES])
def test_the_compiled_query_means_what_the_reference_evaluator_does(query):
    from flowlab.store.matching import evaluate, predicate
    from flowlab.store.records import summary_of

    where = parse(query).where
    if where is None:
        return
    summaries = [summary_of(r) for r in RECORDS] + [{"id": "bare"}, {"id": "x", "tags": "abc"}]
    compiled = predicate(where)
    assert [compiled(s) for s in summaries] == [evaluate(where, s) for s in summaries]


@pytest.mark.parametrize("order", ["inputs.name", "-inputs.name", "outputs.loss", "-inputs.depth"])
def test_pages_sorted_by_a_value_join_up_into_the_whole_order(filled_url, order):
    """A page sorted by a value is read part by part (numbers, texts, then runs without
    one) on SQL; page after page gives the whole order, across the parts' edges."""
    store = open_store(filled_url)
    whole = flowlab.runs("", order_by=order, store=store).ids
    for size in (1, 2, 3):
        pages = [
            flowlab.runs("", order_by=order, limit=size, offset=first, store=store).ids
            for first in range(0, len(whole), size)
        ]
        assert [i for page in pages for i in page] == whole


def test_a_sqlite_page_sorted_by_a_value_walks_the_index_without_sorting(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'runs.db'}")
    store.put_runs(RECORDS)
    query = parse('status = "succeeded" order by outputs.loss desc limit 2 offset 1')
    part = store._ordered_part(query.where, "outputs.loss", "num", descending=True).limit(3)
    sql = str(part.compile(store.engine, compile_kwargs={"literal_binds": True}))
    with store.engine.connect() as conn:
        plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
    assert "ix_flowlab_values_num_id" in plan and "TEMP B-TREE" not in plan, plan


def test_pages_from_runs_and_count_cover_every_run_once(filled_url):
    store = open_store(filled_url)
    assert flowlab.store.count("", store=store) == 5
    assert flowlab.store.count('tags = "baseline" limit 1', store=store) == 2
    pages = [
        flowlab.runs("", order_by="-outputs.loss", limit=2, offset=first, store=store).ids
        for first in (0, 2, 4)
    ]
    assert pages == [["r1", "r4"], ["r2", "r5"], ["r3"]]


def test_both_backends_implement_the_run_store_contract(any_store):
    assert isinstance(any_store, RunStore)
    abstract = RunStore.__abstractmethods__
    assert {"search", "count", "update_entry", "put_run_json"} <= abstract


def test_put_run_json_keeps_the_summary_it_is_given(any_store):
    import json

    from flowlab.store import summary_of

    record = {**RECORDS[0], "operators": {"train": {"state": "succeeded"}}}
    any_store.put_run_json("r1", json.dumps(record), summary_of(record))
    assert any_store.get_summary("r1")["tags"] == ["baseline", "50%_off"]
    assert flowlab.runs('inputs.name contains "%"', store=any_store).ids == ["r1"]
    assert any_store.get_run("r1")["operators"] == {"train": {"state": "succeeded"}}


def test_of_user_narrows_a_query_keeping_its_order_and_page(filled_url):
    """What `--mine` and the pages' *mine* search: the query's runs that ``user`` launched."""
    from flowlab.store.search import of_user

    store = open_store(filled_url)
    assert flowlab.runs(of_user("", "ada"), store=store).ids == ["r1"]
    query = 'workflow = "iris" or user = "Ada" order by seed desc limit 1'
    assert flowlab.runs(of_user(query, "Ada"), store=store).ids == ["r4"]
    assert flowlab.runs(of_user(query, "ada"), store=store).ids == ["r1"]
    assert flowlab.runs(of_user('user = "bob"', "ada"), store=store).ids == []
    assert store.count(of_user("limit 1", "bob")) == 1


def test_runs_recorded_before_runs_had_a_user_read_user_null(store_url):
    """A store made before flowlab kept ``user``: the SQL stores get the column (and its
    index) when opened, TinyDB summaries without it read null; queries follow the
    missing-value rules there, and new runs are found by their user."""
    import json

    import sqlalchemy as sa

    from flowlab.store import summary_of
    from flowlab.store.sql_store import SQLRunStore

    old = {k: v for k, v in RECORDS[0].items() if k != "user"}
    store = open_store(store_url)
    summary = {k: v for k, v in summary_of(old).items() if k != "user"}
    store.put_run_json("r1", json.dumps(old), summary)
    if isinstance(store, SQLRunStore):  # as the table was before: no user column, no index
        table = f'"{store.schema}".flowlab_runs' if store.schema else "flowlab_runs"
        index = next(i.name for i in store.runs.indexes if list(i.columns.keys()) == ["user"])
        prefix = f'"{store.schema}".' if store.schema else ""
        with store.engine.begin() as conn:
            conn.execute(sa.text(f'DROP INDEX {prefix}"{index}"'))
            conn.execute(sa.text(f'ALTER TABLE {table} DROP COLUMN "user"'))
        store.close()
        store = SQLRunStore(store_url)  # opened again: the column is added
        with store.engine.connect() as conn:
            assert conn.execute(sa.text(f'SELECT "user" FROM {table}')).scalars().all() == [None]
        assert index in {
            i["name"]
            for i in sa.inspect(store.engine).get_indexes("flowlab_runs", schema=store.schema)
        }
    store.put_run(RECORDS[1])  # a new run, by bob
    assert store.get_summary("r1").get("user") is None
    assert flowlab.runs("user = null", store=store).ids == ["r1"]
    assert flowlab.runs('user = "bob"', store=store).ids == ["r2"]
    assert flowlab.runs('user != "bob"', store=store).ids == []
    assert flowlab.runs('not user = "bob"', store=store).ids == ["r1"]
    assert flowlab.runs("order by user desc", store=store).ids == ["r2", "r1"]
    if isinstance(store, SQLRunStore):
        store.close()


# -- named entries: the catalog, saved searches, and what comes next (a model registry) --------
def test_entries_are_put_listed_by_name_changed_atomically_and_deleted(any_store):
    any_store.put_entry("searches", "b", {"query": "seed > 1"})
    any_store.put_entry("searches", "a", {"query": 'tags = "x"'})
    assert [e["name"] for e in any_store.list_entries("searches")] == ["a", "b"]
    assert any_store.get_entry("searches", "b") == {"name": "b", "query": "seed > 1"}
    assert any_store.entry_kinds() == ["searches"]

    def refuse(current):
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        any_store.update_entry("searches", "a", refuse)
    assert any_store.get_entry("searches", "a")["query"] == 'tags = "x"'  # nothing lost
    bumped = any_store.update_entry(
        "models", "iris", lambda m: {"versions": (m or {"versions": 0})["versions"] + 1}
    )
    assert bumped == {"name": "iris", "versions": 1}
    assert any_store.delete_entry("searches", "a") is True
    assert any_store.delete_entry("searches", "a") is False
    assert any_store.get_entry("searches", "a") is None
    assert any_store.entry_kinds() == ["models", "searches"]
    with pytest.raises(ValueError, match="entry kind 'Bad Kind'"):
        any_store.get_entry("Bad Kind", "x")


def test_migrate_carries_the_catalog_and_saved_searches(tmp_path, store_url):
    source_url = f"tinydb://{tmp_path / 'source'}"
    source = open_store(source_url)
    source.put_runs(RECORDS[:2])
    source.put_entry("datasets", "iris_small", {"uri": "/data/iris.csv", "rows": 10})
    source.put_entry("searches", "failed", {"query": 'status = "failed"'})
    assert flowlab.store.migrate(source_url, store_url) == 2
    target = open_store(store_url)
    assert target.get_entry("datasets", "iris_small")["uri"] == "/data/iris.csv"
    assert SavedSearches(target).run("failed").ids == ["r2"]
    if store_url.startswith("postgresql"):
        target.drop()


def test_a_fresh_postgresql_schema_per_url(postgres_schema):
    """``?schema=`` in the URL keeps two stores apart in one database."""
    first = open_store(f"{POSTGRES_URL}?schema={postgres_schema}_a{uuid.uuid4().hex[:4]}")
    second = open_store(f"{POSTGRES_URL}?schema={postgres_schema}_b{uuid.uuid4().hex[:4]}")
    try:
        first.put_run(RECORDS[0])
        assert first.count() == 1 and second.count() == 0
    finally:
        first.drop()
        second.drop()
