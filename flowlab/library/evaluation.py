"""Evaluation: metrics of a MODEL on a dataset, batch predictions, feature importances."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from flowlab.core.definition.operator import operator
from flowlab.core.definition.output import Output
from flowlab.errors import FlowTypeError
from flowlab.library.frames import compute, is_dask, operator_name, require_columns, to_pandas
from flowlab.library.metrics import Metrics, compute_metric, ranking_metric
from flowlab.types import DATASET, DOUBLE, MODEL, TEXT, Schema


def evaluate(
    model, dataset, label: str, metrics: Iterable, *, group: str | None = None, k: int = 10
) -> dict[str, float]:
    """Each metric's value (by name) for ``model`` on ``dataset``.

    Example::

        evaluate(model, frame, "species", ["accuracy", "logloss"])   # {"accuracy": 0.96, ...}
    """
    owner = operator_name("ComputeMetricsOperator")
    chosen = [Metrics(m) for m in metrics]
    require_columns(dataset, {"label": label, "group": group}, owner)
    if getattr(model, "features", None):
        require_columns(dataset, {"model's features": model.features}, owner)
    frame = to_pandas(dataset)
    values = {}
    for metric in chosen:
        if metric.needs_groups:
            if not group:
                raise FlowTypeError(
                    f"input 'group' of operator '{owner}': metric '{metric.value}' ranks rows "
                    "within query groups; name the query id column (group='query_id')"
                )
            scores = model.predict(frame)
            values[metric.value] = ranking_metric(metric, frame[label], scores, frame[group], k)
        else:
            values[metric.value] = compute_metric(metric, model, frame, label)
    return values


def predict_frame(model, dataset, output_column: str = "prediction"):
    """``dataset`` with the model's predictions added as ``output_column`` (pandas or dask).

    Example::

        predict_frame(model, frame, "species_predicted").head()
    """
    owner = operator_name("PredictOperator")
    if getattr(model, "features", None):
        require_columns(dataset, {"model's features": model.features}, owner)
    if is_dask(dataset):
        # the first partition only: a sample for the column's dtype
        sample = compute(dataset.head(2, compute=False))
        predicted = model.predict(sample) if len(sample) else np.empty(0)
        meta = sample.iloc[:0].assign(**{output_column: np.asarray(predicted)[:0]})
        return dataset.map_partitions(_predict_part, model, output_column, meta=meta)
    return _predict_part(dataset, model, output_column)


def _predict_part(part, model, output_column: str):
    predictions = part.copy()
    predictions[output_column] = model.predict(part) if len(part) else []
    return predictions


def feature_importances(model, dataset=None) -> pd.DataFrame:
    """A table (feature, importance), most important first.

    Trees give their own importances (split gain or count), linear models the size of their
    coefficients; other models (neural networks) need ``dataset``, on which the permutation
    importance is measured.

    Example::

        feature_importances(model).head(3)
    """
    estimator = model.estimator
    if hasattr(estimator, "steps"):  # a Pipeline: the last step is the model
        estimator = estimator.steps[-1][1]
    values = getattr(estimator, "feature_importances_", None)
    if values is None and hasattr(estimator, "coef_"):
        values = np.abs(np.atleast_2d(estimator.coef_)).mean(axis=0)
    if values is None:
        values = _permutation_importances(model, dataset)
    values = np.asarray(values, dtype=float)
    table = pd.DataFrame({"feature": list(model.features), "importance": values})
    return table.sort_values("importance", ascending=False, ignore_index=True)


def _permutation_importances(model, dataset) -> np.ndarray:
    from sklearn.inspection import permutation_importance

    if dataset is None or not model.label:
        raise ValueError(
            f"operator '{operator_name('FeatureImportancesOperator')}': a "
            f"{type(model.estimator).__name__} has no importances of its own; give "
            "dataset=... (with the label column) to measure permutation importances"
        )
    frame = to_pandas(dataset)
    require_columns(frame, {"label": model.label}, operator_name("FeatureImportancesOperator"))
    result = permutation_importance(
        model.estimator,
        frame[model.features],
        frame[model.label],
        scoring=_score_regression if model.task == "regression" else _score_classification,
        n_repeats=3,
        random_state=0,
    )
    return result.importances_mean


def _score_classification(estimator, x, y) -> float:
    return float(np.mean(np.asarray(estimator.predict(x)) == np.asarray(y)))


def _score_regression(estimator, x, y) -> float:
    return -float(np.mean((np.asarray(estimator.predict(x), float) - np.asarray(y)) ** 2))


@operator(
    input_schema=Schema(dataset=DATASET(optional=True), model=MODEL),
    returns=Schema(
        importances=DATASET(schema=(("feature", TEXT), ("importance", DOUBLE))),
    ),
)
def FeatureImportancesOperator(model, dataset=None):  # noqa: N802
    """The model's feature importances as a DATASET (feature, importance), largest first.

    Example::

        ops.FeatureImportancesOperator(model=gbdt.model, dataset=split.evaluation).importances
    """
    return Output(importances=feature_importances(model, dataset))
