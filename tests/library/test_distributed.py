"""A dask DataFrame trains GBDT across the cluster's workers (lightgbm.dask), then predicts."""

from __future__ import annotations

import dask.dataframe as dd
import pytest

from flowlab.library import data, workflows
from flowlab.types import MODEL


@pytest.fixture(scope="module")
def lazy_iris():
    # shuffled, so that every partition holds every species
    shuffled = data.iris().sample(frac=1, random_state=0).reset_index(drop=True)
    return dd.from_pandas(shuffled, npartitions=4)


def test_distributed_gbdt_trains_on_two_workers_and_predicts(client, lazy_iris):
    assert len(client.scheduler_info()["workers"]) == 2
    run = workflows.classification.launch(
        dataset=lazy_iris,
        label="species",
        algorithm="gbdt",
        hyperparameters={"n_estimators": 50, "min_child_samples": 3},
        seed=2,
    )
    out = run.result(timeout=180)
    assert out.model.extra == {"distributed": True, "workers": 2}
    assert out.model.classes == ["setosa", "versicolor", "virginica"]
    assert out.accuracy >= 0.85
    # predictions of a dask DataFrame stay a dask DataFrame, computed where it is read
    predictions = out.predictions
    predictions = predictions.compute() if hasattr(predictions, "compute") else predictions
    assert {"prediction", "species"} <= set(predictions.columns)
    assert (predictions.prediction == predictions.species).mean() >= 0.85
    loaded = MODEL.deserialise(MODEL.serialise(out.model))
    assert (loaded.predict(predictions) == predictions.prediction).all()


def test_distributed_gbdt_regression(client):
    shuffled = data.diabetes().sample(frac=1, random_state=0).reset_index(drop=True)
    lazy = dd.from_pandas(shuffled, npartitions=2)
    out = workflows.regression.launch(
        dataset=lazy,
        label="progression",
        hyperparameters={"n_estimators": 50, "learning_rate": 0.05, "min_child_samples": 10},
        seed=2,
    ).result(timeout=180)
    assert out.model.extra["distributed"] is True and out.model.extra["workers"] == 2
    assert out.r2 > 0.1


def test_classes_skewed_across_workers_keep_their_labels(client):
    # sorted by species: one worker holds mostly virginica, the other setosa
    lazy = dd.from_pandas(data.iris(), npartitions=2)
    out = workflows.classification.launch(
        dataset=lazy,
        label="species",
        hyperparameters={"n_estimators": 30, "min_child_samples": 3},
        seed=5,
    ).result(timeout=180)
    full = data.iris()
    assert (out.model.predict(full) == full.species).mean() >= 0.85
