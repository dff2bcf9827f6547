"""Evaluation metrics, each with its direction (which way is better), on scikit-learn's functions."""

from __future__ import annotations

import enum

import numpy as np

from flowlab.types.directions import metric_direction


class Metrics(enum.StrEnum):
    """Metrics the evaluation operator computes. ``Metrics.LOGLOSS.direction == "lower"``.

    ``NDCG`` is NDCG@k and ``MAP`` mean average precision, both averaged over query groups.
    """

    LOGLOSS = "logloss"
    ACCURACY = "accuracy"
    AUC = "auc"
    MSE = "mse"
    RMSE = "rmse"
    MAE = "mae"
    R2 = "r2"
    NDCG = "ndcg"
    MAP = "map"

    @property
    def direction(self) -> str:
        return metric_direction(self.value) or "lower"

    @property
    def needs_groups(self) -> bool:
        """True for ranking metrics, which are computed per query group."""
        return self in (Metrics.NDCG, Metrics.MAP)


def compute_metric(metric: Metrics, model, frame, label: str) -> float:
    """One metric of ``model`` on ``frame`` against its ``label`` column."""
    from sklearn import metrics as skm

    truth = frame[label].to_numpy()
    metric = Metrics(metric)
    if metric is Metrics.LOGLOSS:
        return float(skm.log_loss(truth, model.predict_proba(frame), labels=model.classes))
    if metric is Metrics.ACCURACY:
        return float(skm.accuracy_score(truth, model.predict(frame)))
    if metric is Metrics.AUC:
        proba = model.predict_proba(frame)
        if proba.shape[1] == 2:
            return float(skm.roc_auc_score(truth, proba[:, 1]))
        return float(skm.roc_auc_score(truth, proba, multi_class="ovr", labels=model.classes))
    predicted = np.asarray(model.predict(frame), dtype=float)
    if metric is Metrics.MSE:
        return float(skm.mean_squared_error(truth, predicted))
    if metric is Metrics.RMSE:
        return float(np.sqrt(skm.mean_squared_error(truth, predicted)))
    if metric is Metrics.MAE:
        return float(skm.mean_absolute_error(truth, predicted))
    if metric is Metrics.R2:
        return float(skm.r2_score(truth, predicted))
    raise ValueError(f"metric {metric.value!r} needs query groups; give the group column")


def ranking_metric(metric: Metrics, truth, scores, groups, k: int = 10) -> float:
    """NDCG@k or MAP of ``scores`` against relevance ``truth``, averaged over query ``groups``.

    NDCG skips queries of one document (nothing to order); MAP skips queries with no
    relevant document (relevance > 0), where average precision is undefined.

    Example::

        ranking_metric(Metrics.NDCG, frame.relevance, model.predict(frame), frame.query_id, 10)
    """
    from sklearn import metrics as skm

    metric = Metrics(metric)
    truth, scores, groups = np.asarray(truth), np.asarray(scores, float), np.asarray(groups)
    values = []
    for group in np.unique(groups):
        rows = groups == group
        relevance, score = truth[rows], scores[rows]
        if metric is Metrics.NDCG and len(relevance) > 1:
            values.append(skm.ndcg_score([relevance], [score], k=k))
        elif metric is Metrics.MAP and (relevance > 0).any():
            values.append(skm.average_precision_score(relevance > 0, score))
        elif not metric.needs_groups:
            raise ValueError(f"metric {metric.value!r} is not a ranking metric")
    if not values:
        raise ValueError(f"no query group allows {metric.value!r} (too few or no relevant rows)")
    return float(np.mean(values))
