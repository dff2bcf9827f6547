"""The model registry behaves the same on TinyDB, SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest

from flowlab.core.runs.run import Run
from flowlab.errors import ModelNotFound


def trained_run(run_id: str, depth_metric: float = 0.3) -> Run:
    """A succeeded run record with a MODEL output, as the tracker writes it."""
    columns = {"petal_width": "INTEGER", "petal_height": "INTEGER", "species": "TEXT"}
    return Run(
        {
            "id": run_id,
            "workflow": "iris",
            "status": "succeeded",
            "graph": {"inputs": {"labeled_data": {"x-columns": columns}}},
            "outputs": {
                "model": {
                    "$artifact": f"/artifacts/{run_id}.model.zip",
                    "hash": "sha256:00",
                    "type": "MODEL",
                    "meta": {
                        "features": ["petal_width", "petal_height", "sepal_width"],
                        "label": "species",
                        "task": "classification",
                        "kind": "DecisionTreeClassifier",
                    },
                },
                "logloss": depth_metric,
            },
        }
    )


def test_deploy_numbers_versions_and_keeps_run_schema_and_metrics(any_registry):
    v1 = any_registry.deploy(trained_run("r1"), "iris")
    v2 = any_registry.deploy(trained_run("r2", 0.2), "iris")
    assert (v1, v2) == (1, 2)
    info = any_registry.describe("iris")
    first, second = info["versions"]
    assert first["run"] == "r1" and second["run"] == "r2"
    assert second["metrics"] == {"logloss": 0.2}
    # types from the training run's declared columns; an undeclared feature is a number
    assert first["input_schema"] == {
        "petal_width": {"x-flowlab-type": "INTEGER"},
        "petal_height": {"x-flowlab-type": "INTEGER"},
        "sepal_width": {"x-flowlab-type": "DOUBLE"},
    }
    assert first["by"] and first["created"]
    assert info["default_version"] == 2  # no production alias: the newest


def test_aliases_resolve_and_move(any_registry):
    for run_id in ("r1", "r2"):
        any_registry.deploy(trained_run(run_id), "iris")
    any_registry.alias("iris", "production", 1)
    assert any_registry.resolve("iris@production") == ("iris", 1)
    assert any_registry.resolve("iris/2") == ("iris", 2)
    assert any_registry.resolve("iris") == ("iris", 1)  # production wins over newest
    any_registry.alias("iris", "production", 2)
    assert any_registry.describe("iris")["aliases"] == {"production": 2}
    any_registry.alias("iris", "candidate", "production")  # an alias may name another
    assert any_registry.describe("iris")["aliases"]["candidate"] == 2
    any_registry.alias("iris", "candidate", None)
    assert "candidate" not in any_registry.describe("iris")["aliases"]


def test_unknown_names_say_what_exists(any_registry):
    any_registry.deploy(trained_run("r1"), "iris")
    with pytest.raises(ModelNotFound, match="no model named 'tulip'.*deployed: iris"):
        any_registry.resolve("tulip@production")
    with pytest.raises(ModelNotFound, match="no alias 'staging'; its aliases are none"):
        any_registry.resolve("iris@staging")
    with pytest.raises(ModelNotFound, match="no version 7; its versions are 1"):
        any_registry.alias("iris", "production", 7)
    with pytest.raises(ValueError, match="model name 'bad name'"):
        any_registry.deploy(trained_run("r2"), "bad name")


def test_split_is_normalised_and_checked(any_registry):
    for run_id in ("r1", "r2"):
        any_registry.deploy(trained_run(run_id), "iris")
    any_registry.alias("iris", "production", 1)
    state = any_registry.split("iris", {"production": 9, 2: 1})
    assert state["split"] == [["production", 0.9], [2, 0.1]]
    with pytest.raises(ValueError, match="weight of 2 must be a number >= 0, found -1"):
        any_registry.split("iris", {"production": 1, 2: -1})
    with pytest.raises(ModelNotFound, match="no alias 'candidate'"):
        any_registry.split("iris", {"candidate": 1})
    assert any_registry.split("iris", None)["split"] is None


def test_history_records_every_change_in_order(any_registry):
    any_registry.deploy(trained_run("r1"), "iris")
    any_registry.deploy(trained_run("r2"), "iris")
    any_registry.alias("iris", "production", 1)
    any_registry.split("iris", {1: 1, 2: 1})
    any_registry.shadow("iris", 2)
    any_registry.alias("iris", "production", 2)
    actions = [
        (e["action"], e.get("version"), e.get("previous")) for e in any_registry.history("iris")
    ]
    assert actions == [
        ("deploy", 1, None),
        ("deploy", 2, None),
        ("alias", 1, None),
        ("split", None, None),
        ("shadow", None, None),
        ("alias", 2, 1),
    ]
    assert all(e["at"] and e["by"] for e in any_registry.history("iris"))


def test_stamp_changes_with_the_registry_not_with_samples(any_registry):
    any_registry.deploy(trained_run("r1"), "iris")
    before = any_registry.stamp()
    any_registry.add_samples("iris", [{"kind": "shadow", "id": "a"}])
    any_registry.put_stats("iris", "p1", {"versions": {}})
    assert any_registry.stamp() == before
    any_registry.shadow("iris", 1)
    assert any_registry.stamp() != before


def test_samples_keep_the_newest_and_stats_are_per_process(any_registry):
    any_registry.deploy(trained_run("r1"), "iris")
    any_registry.add_samples("iris", [{"id": str(i)} for i in range(5)], keep=3)
    any_registry.add_samples("iris", [{"id": "5"}], keep=3)
    assert [s["id"] for s in any_registry.samples("iris")] == ["3", "4", "5"]
    any_registry.put_stats("iris", "p1", {"n": 1})
    any_registry.put_stats("iris", "p1", {"n": 2})
    any_registry.put_stats("iris", "p2", {"n": 5})
    assert sorted(s["n"] for s in any_registry.stats("iris")) == [2, 5]


def test_concurrent_deploys_get_distinct_versions(any_registry):
    versions, errors = [], []

    def deploy(i):
        try:
            versions.append(any_registry.deploy(trained_run(f"r{i}"), "iris"))
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=deploy, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(versions) == [1, 2, 3, 4, 5, 6]


def test_migrate_carries_the_model_registry(tmp_path):
    """The registry lives in the store's named entries, so migrating a store carries it."""
    from flowlab.store import migrate, open_store
    from flowlab.store.models import registry_for

    source_url, target_url = f"tinydb://{tmp_path / 'old'}", f"sqlite:///{tmp_path / 'new.db'}"
    source = registry_for(open_store(source_url))
    source.deploy(trained_run("r1"), "iris")
    source.deploy(trained_run("r2", 0.2), "iris")
    source.alias("iris", "production", 1)
    source.split("iris", {"production": 3, 2: 1})
    source.add_samples("iris", [{"kind": "feedback", "id": "a", "label": "setosa"}])
    migrate(source_url, target_url)
    target = registry_for(open_store(target_url))
    assert target.describe("iris") == source.describe("iris")
    assert target.history("iris") == source.history("iris")
    assert target.resolve("iris@production") == ("iris", 1)
    assert target.samples("iris") == source.samples("iris")
