"""The seed's iris workflow is the acceptance test of the core engine."""

from __future__ import annotations

import pytest

import flowlab
from flowlab.errors import ReturnsMismatch
from tests.seed_iris import make_iris


@pytest.fixture
def unlabeled(iris_frame):
    return iris_frame.drop(columns=["species"]).sample(12, random_state=3)


def test_seed_as_written_fails_compile_naming_mse_and_logloss(iris_frame, unlabeled):
    iris = make_iris("mse")
    with pytest.raises(ReturnsMismatch) as info:
        iris.compile(labeled_data=iris_frame, unlabeled_data=unlabeled)
    assert "mse" in str(info.value) and "logloss" in str(info.value)


def test_seed_as_written_fails_launch_before_any_operator_runs(
    client, store, iris_frame, unlabeled
):
    iris = make_iris("mse")
    before = len(store.list_runs())
    with pytest.raises(ReturnsMismatch, match="mse") as info:
        iris.launch(labeled_data=iris_frame, unlabeled_data=unlabeled)
    assert "logloss" in str(info.value)
    assert len(store.list_runs()) == before  # nothing was submitted or recorded


def test_corrected_seed_runs_end_to_end(client, store, iris_frame, unlabeled):
    iris = make_iris("logloss")
    run = iris.launch(labeled_data=iris_frame, unlabeled_data=unlabeled, seed=7, cache=False)
    assert run.status in ("queued", "running", "succeeded")
    out = run.result(timeout=600)
    assert run.status == "succeeded"
    assert 0 <= out.logloss < 3.0
    assert "species" in out.predictions.columns
    assert len(out.predictions) == len(unlabeled)
    assert set(out.predictions["species"]) <= {"setosa", "versicolor", "virginica"}
    assert out.model.features == [
        c
        for c, _ in (
            ("petal_width", 0),
            ("petal_height", 0),
            ("sepal_width", 0),
            ("sepal_height", 0),
        )
    ]
    states = {name: op.state for name, op in run.operators.items()}
    assert states == {
        "SplitDatasetOperator": "succeeded",
        "TrainDecisionTreeOperator": "succeeded",
        "ComputeMetricsOperator": "succeeded",
        "PredictOperator": "succeeded",
    }
    for op in run.operators.values():
        assert op.worker.startswith("tcp://") and op.started <= op.ended


def test_corrected_seed_run_record_on_disk(client, store, iris_frame, unlabeled):
    run = make_iris("logloss").launch(
        labeled_data=iris_frame, unlabeled_data=unlabeled, cache=False
    )
    run.wait(timeout=600)
    record = store.get_run(run.id)
    assert record["status"] == "succeeded"
    assert record["workflow"] == "iris" and len(record["version"]) == 12
    assert isinstance(record["outputs"]["logloss"], float)
    assert record["outputs"]["predictions"]["$artifact"].endswith(".parquet")
    assert record["outputs"]["model"]["type"] == "MODEL"
    assert record["inputs"]["labeled_data"]["rows"] == 150
    assert record["seed"] == run.record["seed"]
    assert record["packages"]["dask"]
    assert all(op["state"] == "succeeded" and op["ended"] for op in record["operators"].values())
    # a Run read back from the store loads its outputs from the artifact files
    again = flowlab.Run(record)
    assert again.outputs.predictions.equals(run.result().predictions)


def test_compile_returns_a_json_graph_and_runs_nothing(iris_frame, unlabeled):
    graph = make_iris("logloss").compile(labeled_data=iris_frame, unlabeled_data=unlabeled)
    nodes = list(graph.nodes)
    assert nodes == [
        "SplitDatasetOperator",
        "TrainDecisionTreeOperator",
        "ComputeMetricsOperator",
        "PredictOperator",
    ]
    assert ("TrainDecisionTreeOperator", "ComputeMetricsOperator", "model") in graph.edges
    assert ("TrainDecisionTreeOperator", "PredictOperator", "model") in graph.edges
    assert ("SplitDatasetOperator", "ComputeMetricsOperator", "evaluation") in graph.edges
    data = graph.to_json()
    import json

    assert json.loads(json.dumps(data))["nodes"][0]["resources"]["cpu"] == 1
    assert data["outputs"]["predictions"] == {"$ref": ["PredictOperator", "predictions"]}


def test_missing_column_raises_typeerror_naming_column_and_input(
    client, store, iris_frame, unlabeled
):
    iris = make_iris("logloss")
    before = len(store.list_runs())
    with pytest.raises(TypeError) as info:
        iris.launch(labeled_data=iris_frame.drop(columns=["sepal_width"]), unlabeled_data=unlabeled)
    message = str(info.value)
    assert "sepal_width" in message and "labeled_data" in message and "iris" in message
    assert len(store.list_runs()) == before


def test_mistyped_column_names_column_and_type(iris_frame, unlabeled):
    bad = iris_frame.astype({"petal_width": float})
    with pytest.raises(TypeError, match="petal_width.*INTEGER"):
        make_iris("logloss").compile(labeled_data=bad, unlabeled_data=unlabeled)


def test_parquet_path_is_accepted_as_a_dataset(client, iris_frame, unlabeled, tmp_path):
    path = tmp_path / "iris.parquet"
    iris_frame.to_parquet(path)
    run = make_iris("logloss").launch(labeled_data=str(path), unlabeled_data=unlabeled)
    assert run.result(timeout=600).predictions.shape[0] == len(unlabeled)
    recorded = run.record["inputs"]["labeled_data"]
    assert recorded["$uri"] == str(path) and recorded["hash"].startswith("sha256:")
