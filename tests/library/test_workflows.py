"""The predefined workflows run on a real LocalCluster; bad inputs are refused by name."""

from __future__ import annotations

import pytest

import flowlab
from flowlab.library import data, workflows

FAST_GBDT = {"n_estimators": 20}


def test_classification_trains_gbdt_on_a_catalog_name(client):
    run = workflows.classification.launch(
        dataset="iris_labeled", label="species", algorithm="gbdt", hyperparameters=FAST_GBDT
    )
    out = run.result(timeout=120)
    assert out.accuracy >= 0.9 and out.logloss < 0.5 and out.auc >= 0.95
    assert out.model.library == "lightgbm" and out.model.task == "classification"
    assert {"prediction", "species"} <= set(out.predictions.columns)
    assert len(out.predictions) == 30
    assert set(out.importances.feature) == set(data.IRIS_FEATURES)
    # the MODEL was stored and loads back from the run's artifacts
    assert run.record["outputs"]["model"]


@pytest.mark.parametrize(
    ("algorithm", "hyperparameters"),
    [
        ("logistic_regression", None),
        ("decision_tree", None),
        ("sgd", None),
        ("xgboost", {"n_estimators": 20}),
        ("neural_net", {"epochs": 60, "learning_rate": 0.01}),
    ],
)
def test_classification_algorithms_reach_iris_accuracy(client, algorithm, hyperparameters):
    out = workflows.classification.launch(
        dataset=data.iris(),
        label="species",
        algorithm=algorithm,
        hyperparameters=hyperparameters,
        seed=1,
    ).result(timeout=120)
    assert out.accuracy >= 0.9, algorithm
    assert len(out.importances) == 4


def test_regression_takes_a_parquet_path(client, tmp_path):
    path = tmp_path / "diabetes.parquet"
    data.diabetes().to_parquet(path)
    out = workflows.regression.launch(
        dataset=str(path),
        label="progression",
        hyperparameters={"n_estimators": 100, "learning_rate": 0.05},
        seed=3,
    ).result(timeout=120)
    assert out.r2 > 0.2 and out.rmse < 70
    assert out.model.task == "regression" and "prediction" in out.predictions.columns


def test_ranking_scores_held_out_queries(client):
    out = workflows.ranking.launch(
        dataset="ranking_demo",
        label="relevance",
        group="query_id",
        hyperparameters={"n_estimators": 50},
        seed=1,
    ).result(timeout=120)
    assert out.ndcg >= 0.8 and out.map > 0.7
    assert out.model.task == "ranking" and "score" in out.predictions.columns
    assert out.predictions.query_id.nunique() == 24


def test_unknown_algorithm_is_refused_before_anything_runs(store):
    before = len(store.list_runs())
    with pytest.raises(TypeError, match="input 'algorithm' of workflow 'classification'.*gbdt"):
        workflows.classification.launch(dataset=data.iris(), label="species", algorithm="svm")
    assert len(store.list_runs()) == before


def test_missing_label_column_is_refused_naming_input_and_column(store):
    before = len(store.list_runs())
    with pytest.raises(
        TypeError,
        match="input 'label' of workflow 'classification': 'kind' is not a column of input 'dataset'",
    ):
        workflows.classification.launch(dataset=data.iris(), label="kind")
    with pytest.raises(TypeError, match="input 'group' of workflow 'ranking': column 'qid'"):
        workflows.ranking.launch(dataset="ranking_demo", label="relevance", group="qid")
    assert len(store.list_runs()) == before


def test_wrong_hyperparameter_fails_naming_the_trainer(client):
    with pytest.raises(TypeError, match="TrainGBDTOperator"):
        workflows.classification.launch(
            dataset=data.iris(), label="species", hyperparameters={"depth": 3}
        )
    # a value the trainer's input refuses is caught while compiling, before anything runs
    with pytest.raises(flowlab.ChannelTypeError, match="input 'n_estimators' of operator"):
        workflows.classification.launch(
            dataset=data.iris(), label="species", hyperparameters={"n_estimators": -1}
        )


def test_workflows_show_their_algorithms_in_the_schema():
    schema = workflows.classification.input_schema.json_schema()
    assert schema["properties"]["algorithm"]["enum"][0] == "gbdt"
    assert "neural_net" in schema["properties"]["algorithm"]["enum"]
    assert set(schema["required"]) == {"dataset", "label"}
    returns = workflows.regression.returns
    assert returns["rmse"].direction == "lower" and returns["r2"].direction == "higher"
