"""Evaluation metrics, each with its direction (which way is better), on scikit-learn's functions."""

from __future__ import annotations

import enum

import numpy as np


class Metrics(enum.StrEnum):
    """Metrics the evaluation operator computes. ``Metrics.LOGLOSS.direction == "lower"``."""

    LOGLOSS = "logloss"
    ACCURACY = "accuracy"
    AUC = "auc"
    MSE = "mse"
    RMSE = "rmse"
    MAE = "mae"
    NDCG = "ndcg"
    MAP = "map"

    @property
    def direction(self) -> str:
        return (
            "higher"
            if self in (Metrics.ACCURACY, Metrics.AUC, Metrics.NDCG, Metrics.MAP)
            else "lower"
        )


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
    raise ValueError(f"metric {metric.value!r} needs query groups; use the ranking evaluation")
