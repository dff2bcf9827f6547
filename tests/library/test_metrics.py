"""Metrics agree with scikit-learn's reference functions and carry their direction."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from flowlab.library import Metrics
from flowlab.library import operators as ops
from flowlab.library.metrics import ranking_metric


@pytest.fixture(scope="module")
def iris_model(request):
    from flowlab.library import data

    frame = data.iris()
    split = ops.SplitOperator(dataset=frame, method="stratified", column="species", seed=3)
    model = ops.TrainLogisticRegressionOperator(dataset=split.train, label="species").model
    return model, split.evaluation


def test_classification_metrics_match_sklearn(iris_model):
    model, frame = iris_model
    got = ops.ComputeMetricsOperator(
        dataset=frame, model=model, label="species", metrics=["logloss", "accuracy", "auc"]
    )
    proba = model.predict_proba(frame)
    truth = frame.species
    assert got.logloss == pytest.approx(skm.log_loss(truth, proba, labels=model.classes))
    assert got.accuracy == pytest.approx(skm.accuracy_score(truth, model.predict(frame)))
    assert got.auc == pytest.approx(
        skm.roc_auc_score(truth, proba, multi_class="ovr", labels=model.classes)
    )


def test_regression_metrics_match_sklearn():
    from flowlab.library import data

    frame = data.diabetes()
    model = ops.TrainRegressionTreeOperator(dataset=frame, label="progression").model
    got = ops.ComputeMetricsOperator(
        dataset=frame, model=model, label="progression", metrics=["mse", "rmse", "mae", "r2"]
    )
    predicted = model.predict(frame)
    truth = frame.progression
    assert got.mse == pytest.approx(skm.mean_squared_error(truth, predicted))
    assert got.rmse == pytest.approx(np.sqrt(skm.mean_squared_error(truth, predicted)))
    assert got.mae == pytest.approx(skm.mean_absolute_error(truth, predicted))
    assert got.r2 == pytest.approx(skm.r2_score(truth, predicted))


def test_ranking_metrics_are_sklearn_per_query_means():
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(6), 8)
    truth = rng.integers(0, 4, size=len(groups))
    scores = truth + rng.normal(scale=1.5, size=len(groups))
    ndcg = np.mean(
        [skm.ndcg_score([truth[groups == g]], [scores[groups == g]], k=5) for g in range(6)]
    )
    ap = np.mean(
        [skm.average_precision_score(truth[groups == g] > 0, scores[groups == g]) for g in range(6)]
    )
    assert ranking_metric(Metrics.NDCG, truth, scores, groups, k=5) == pytest.approx(ndcg)
    assert ranking_metric(Metrics.MAP, truth, scores, groups) == pytest.approx(ap)


def test_every_metric_has_a_direction():
    higher = {m.value for m in Metrics if m.direction == "higher"}
    assert higher == {"accuracy", "auc", "r2", "ndcg", "map"}
    assert Metrics.LOGLOSS.direction == Metrics.RMSE.direction == "lower"
    schema = ops.ComputeMetricsOperator.returns_for({"metrics": ["ndcg", "logloss"]})
    assert schema["ndcg"].direction == "higher" and schema["logloss"].direction == "lower"


def test_ranking_metric_without_group_names_the_input(iris_model):
    model, frame = iris_model
    with pytest.raises(TypeError, match="input 'group' of operator 'ComputeMetricsOperator'"):
        ops.ComputeMetricsOperator(dataset=frame, model=model, label="species", metrics=["ndcg"])


def test_unknown_metric_is_refused_naming_the_input(iris_model):
    model, frame = iris_model
    with pytest.raises(TypeError, match="input 'metrics' of operator 'ComputeMetricsOperator'"):
        ops.ComputeMetricsOperator(dataset=frame, model=model, label="species", metrics=["f1"])


def test_every_metric_direction_comes_from_the_table_renderers_read():
    from flowlab.types.directions import metric_direction

    assert {m.value: metric_direction(m.value) for m in Metrics} == {
        m.value: m.direction for m in Metrics
    }
