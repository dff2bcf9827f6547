"""The dataset catalog, lineage of inputs, migration between backends, and a SQL-backed run."""

from __future__ import annotations

import pytest

import flowlab
from flowlab import types
from flowlab.store import migrate, open_store
from tests.seed_iris import all_columns, feature_columns, make_iris


def test_register_lists_and_loads_with_schema_rows_and_hash(iris_frame):
    entry = flowlab.datasets.register("iris_catalog_test", iris_frame, description="iris")
    assert entry["rows"] == 150 and entry["schema"]["species"] == "TEXT"
    assert entry["hash"].startswith("sha256:")
    assert flowlab.datasets.get("iris_catalog_test")["uri"] == entry["uri"]
    assert flowlab.datasets.load("iris_catalog_test").shape == (150, 5)
    with pytest.raises(KeyError, match="no dataset named 'nope'"):
        flowlab.datasets.get("nope")
    with pytest.raises(ValueError, match="dataset name"):
        flowlab.datasets.register("has/slash", iris_frame)


def test_matching_says_which_datasets_fit_a_dataset_type(iris_frame, tmp_path):
    flowlab.datasets.register("iris_full", iris_frame)
    path = tmp_path / "features.csv"
    iris_frame.drop(columns=["species"]).to_csv(path, index=False)
    flowlab.datasets.register("iris_features_only", str(path))
    found = dict(
        (e["name"], reason)
        for e, reason in flowlab.datasets.matching(types.DATASET(schema=all_columns))
    )
    assert found["iris_full"] is None
    assert "species" in found["iris_features_only"]
    loose = dict(
        (e["name"], reason)
        for e, reason in flowlab.datasets.matching(types.DATASET(schema=feature_columns))
    )
    assert loose["iris_features_only"] is None


def test_catalog_input_is_recorded_with_name_uri_and_hash(client, iris_frame):
    flowlab.datasets.register("iris_lineage", iris_frame)
    run = make_iris("logloss").launch(
        labeled_data="iris_lineage", unlabeled_data="iris_lineage", cache=False
    )
    run.result(timeout=120)
    recorded = run.record["inputs"]["labeled_data"]
    assert recorded["catalog"] == "iris_lineage"
    assert recorded["$uri"] == flowlab.datasets.get("iris_lineage")["uri"]
    assert recorded["hash"].startswith("sha256:")
    assert "TrainDecisionTreeOperator" in run.record["source"]["operators"]
    assert "def iris" in run.record["source"]["workflow"]


def test_migrate_copies_every_record_between_backends(tmp_path):
    source = open_store(f"tinydb://{tmp_path / 'tiny'}")
    source.put_runs(
        [
            {
                "id": f"m{i}",
                "workflow": "w",
                "status": "succeeded",
                "tags": ["t"],
                "created": f"2026-11-0{i + 1}",
                "outputs": {"x": i},
                "inputs": {},
                "notes": [],
            }
            for i in range(5)
        ]
    )
    count = migrate(f"tinydb://{tmp_path / 'tiny'}", f"sqlite:///{tmp_path / 'm.db'}")
    target = open_store(f"sqlite:///{tmp_path / 'm.db'}")
    assert count == 5 and target.get_run("m3")["outputs"] == {"x": 3}
    assert len(flowlab.runs('tag = "t" and outputs.x >= 3', store=target)) == 2


def test_runs_are_recorded_in_a_sqlite_store_when_configured(client, tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'team.db'}"
    monkeypatch.setenv("FLOWLAB_STORE", url)
    from tests.core import ops

    run = ops.add_twice.launch(a=5, b=6, cache=False)
    assert run.result(timeout=60).total == 17
    store = open_store(url)
    assert store.get_run(run.id)["status"] == "succeeded"
    assert flowlab.runs('workflow = "add_twice" and outputs.total = 17').ids == [run.id]
