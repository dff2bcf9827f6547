"""The same behaviour from every backend: records, searches, tags, export/import, migration."""

from __future__ import annotations

import json

import pytest

import flowlab
from flowlab.errors import RunNotFound
from flowlab.store import export_runs, import_runs
from flowlab.store.query import QueryError, parse


def _record(i: int, **extra) -> dict:
    record = {
        "id": f"run-{i:03d}",
        "workflow": "iris" if i % 3 else "other",
        "version": "v1",
        "status": "succeeded" if i % 2 else "failed",
        "created": f"2026-11-{i % 28 + 1:02d}T10:00",
        "started": None,
        "ended": None,
        "parent": None,
        "seed": i,
        "inputs": {"max_depth": i % 5, "algorithm": "gbdt" if i % 2 else "tree"},
        "outputs": {"logloss": round(i / 100, 3), "accuracy": 1 - i / 100},
        "tags": ["baseline"] if i % 4 == 0 else [],
        "notes": [f"note {i}"],
        "operators": {},
        "error": None,
    }
    record.update(extra)
    return record


@pytest.fixture
def filled(any_store):
    any_store.put_runs([_record(i) for i in range(30)])
    return any_store


def _ids(store, text: str) -> list[str]:
    return [r["id"] for r in store.search(parse(text))]


def test_put_get_upsert_and_missing(any_store):
    any_store.put_run(_record(1))
    any_store.put_run(_record(1, status="cancelled"))
    assert any_store.get_run("run-001")["status"] == "cancelled"
    assert len(any_store.list_runs()) == 1
    with pytest.raises(RunNotFound, match="run-999"):
        any_store.get_run("run-999")


@pytest.mark.parametrize(
    "query,expected",
    [
        (
            'workflow = "iris" and status = "succeeded" and outputs.logloss < 0.1',
            ["run-007", "run-005", "run-001"],
        ),
        ('tag = "baseline" and outputs.logloss >= 0.2', ["run-028", "run-024", "run-020"]),
        ('not status = "failed" and inputs.max_depth = 4', ["run-029", "run-019", "run-009"]),
        (
            '(inputs.algorithm = "tree" or outputs.accuracy > 0.985) and outputs.logloss <= 0.02',
            ["run-002", "run-001", "run-000"],
        ),
        ('notes contains "note 1" and outputs.logloss < 0.12', ["run-011", "run-010", "run-001"]),
        ('created > "2026-11-27" ', ["run-027", "run-026"]),
        (
            "outputs.logloss < 0.04 order by outputs.logloss",
            ["run-000", "run-001", "run-002", "run-003"],
        ),
        ("outputs.accuracy > 0.9 order by outputs.accuracy desc limit 2", ["run-000", "run-001"]),
        ("inputs.algorithm < 3", []),
        ('id = "run-012"', ["run-012"]),
        ('tag != "baseline" and outputs.logloss < 0.03', ["run-002", "run-001"]),
    ],
)
def test_queries_give_the_same_answer_on_every_backend(filled, query, expected):
    ids = _ids(filled, query)
    if "order by" in query:
        assert ids == expected
    else:
        assert sorted(ids, reverse=True) == expected


def test_runs_api_returns_a_runlist_with_pandas(filled):
    found = flowlab.runs(
        'workflow = "iris" and status = "succeeded"',
        order_by="outputs.logloss",
        limit=3,
        store=filled,
    )
    assert len(found) == 3 and found.ids == ["run-001", "run-005", "run-007"]
    assert [r.id for r in found] == found.ids
    frame = found.to_pandas()
    assert list(frame["outputs.logloss"]) == [0.01, 0.05, 0.07]
    assert "user" in frame.columns  # who launched each run (None: recorded before users)
    assert found[0].record["seed"] == 1


def test_malformed_query_points_at_the_column():
    with pytest.raises(QueryError) as info:
        parse('status = "ok" and outputs.logloss <')
    assert info.value.column == 36 and "column 36" in str(info.value)
    with pytest.raises(QueryError, match="unknown field 'colour'") as info:
        parse('status = "ok" or colour = "red"')
    assert info.value.column == 18


def test_update_run_changes_one_record(filled):
    filled.update_run("run-003", lambda r: r.__setitem__("tags", ["promoted"]))
    assert _ids(filled, 'tag = "promoted"') == ["run-003"]


def test_export_then_import_round_trips(filled, tmp_path, any_store):
    path = tmp_path / "runs.jsonl"
    assert export_runs(path, 'workflow = "other"', store=filled) == 10
    assert len(path.read_text().splitlines()) == 10
    with pytest.raises(ValueError, match="already in the store"):
        import_runs(path, store=filled)
    assert import_runs(path, overwrite=True, store=filled) == 10


def test_import_reports_the_bad_line_and_imports_nothing(any_store, tmp_path):
    path = tmp_path / "bad.jsonl"
    good = json.dumps(_record(1))
    path.write_text(f"{good}\n{{not json\n{json.dumps(_record(2))}\n")
    with pytest.raises(ValueError, match="line 2"):
        import_runs(path, store=any_store)
    assert any_store.list_runs() == []


def test_saved_searches_are_stored_listed_run_and_deleted(client):
    from tests.core import ops

    run = ops.add_twice.launch(a=4242, b=1, cache=False)
    run.wait(timeout=60)
    entry = flowlab.searches.save(
        "big totals", "outputs.total > 4000", order_by="-created", limit=5
    )
    assert entry["query"] == "outputs.total > 4000"
    assert "big totals" in [s["name"] for s in flowlab.searches.list()]
    assert run.id in flowlab.searches.run("big totals").ids
    with pytest.raises(QueryError):
        flowlab.searches.save("broken", "outputs.total >")
    assert "broken" not in [s["name"] for s in flowlab.searches.list()]
    flowlab.searches.delete("big totals")
    with pytest.raises(KeyError, match="no saved search 'big totals'"):
        flowlab.searches.run("big totals")


def test_cache_entries_put_and_get_in_batches(any_store):
    entries = [
        {"key": f"k{i}", "run": "r", "node": f"n{i}", "operator": "op", "outputs": {"x": i}}
        for i in range(3)
    ]
    any_store.cache_put(entries)
    any_store.cache_put([{**entries[1], "run": "newer"}])
    found = any_store.cache_get(["k0", "k1", "missing"])
    assert set(found) == {"k0", "k1"}
    assert found["k1"]["run"] == "newer" and found["k0"]["outputs"] == {"x": 0}
