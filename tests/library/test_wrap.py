"""sklearn_operator turns an estimator class into an operator with typed hyperparameters."""

from __future__ import annotations

import pytest
from sklearn.cluster import KMeans
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import Ridge

import flowlab
from flowlab import Output, types
from flowlab.library import data, sklearn_operator
from flowlab.library import operators as ops
from flowlab.types import MODEL

RF = sklearn_operator(RandomForestClassifier)


def test_hyperparameters_become_typed_inputs():
    schema = RF.input_schema
    assert schema["n_estimators"].name == "INTEGER" and schema["n_estimators"].default == 100
    assert schema["n_estimators"].min == 1
    assert schema["bootstrap"].name == "BOOL"
    assert schema["ccp_alpha"].name == "DOUBLE" and schema["ccp_alpha"].min == 0
    assert schema["criterion"].name == "ENUM" and "entropy" in schema["criterion"].choices
    assert schema["max_depth"].name == "INTEGER" and schema["max_depth"].optional
    assert "monotonic_cst" not in schema  # array-like: not a form field
    assert RF.name == "TrainRandomForestClassifier"


def test_bad_hyperparameter_names_the_input_and_operator():
    with pytest.raises(TypeError, match="input 'n_estimators' of operator"):
        RF(dataset=data.iris(), label="species", n_estimators=0)
    with pytest.raises(TypeError, match="input 'criterion' of operator"):
        RF(dataset=data.iris(), label="species", criterion="purity")
    with pytest.raises(TypeError, match="expected an estimator class"):
        sklearn_operator(len)


def test_wrapped_estimators_fit_and_round_trip():
    split = ops.SplitOperator(dataset=data.diabetes(), seed=1)
    model = sklearn_operator(Ridge)(dataset=split.train, label="progression", alpha=0.5).model
    assert model.task == "regression" and model.params["alpha"] == 0.5
    loaded = MODEL.deserialise(MODEL.serialise(model))
    assert (loaded.predict(split.evaluation) == model.predict(split.evaluation)).all()
    clusters = sklearn_operator(KMeans)(dataset=data.iris(), features=["petal_width"], n_clusters=3)
    assert clusters.model.task == "unsupervised" and clusters.model.estimator.n_clusters == 3


@flowlab.workflow(
    input_schema=types.Schema(labeled=types.DATASET),
    returns=types.Schema(model=types.MODEL, accuracy=types.DOUBLE),
)
def forest(labeled):
    split = ops.SplitOperator(dataset=labeled, method="stratified", column="species")
    rf = RF(
        dataset=split.train,
        features=list(data.IRIS_FEATURES),
        label="species",
        n_estimators=20,
    )
    metrics = ops.ComputeMetricsOperator(
        dataset=split.evaluation, model=rf.model, label="species", metrics=["accuracy"]
    )
    return Output(model=rf.model, accuracy=metrics.accuracy)


def test_wrapped_estimator_runs_in_a_workflow(client):
    run = forest.launch(labeled=data.iris(), seed=4)
    out = run.result(timeout=120)
    assert out.accuracy >= 0.9
    assert out.model.estimator.n_estimators == 20
    assert run.operators["TrainRandomForestClassifier"].state == "succeeded"
