"""Thin estimator adapters the library's MODELs are made of; they hold no algorithm.

They live under ``flowlab.`` so that MODEL files (skops) load them as trusted types, and keep
only numpy arrays, lists and library estimators in their state.
"""

from __future__ import annotations

import numpy as np

from flowlab.library.frames import compute


class EncodedLabelsClassifier:
    """A classifier trained on label codes 0..K-1, answering in the original labels.

    XGBoost wants integer labels, and distributed LightGBM would encode labels per worker;
    both train on codes made once for the whole dataset, and this adapter maps them back.
    The estimator answers ``predict_proba`` or, for a LightGBM regressor trained with a
    classification objective, ``predict`` with the probabilities.

    Example::

        codes, classes = encode_labels(frame["species"])
        model = EncodedLabelsClassifier(XGBClassifier().fit(x, codes), classes)
        model.predict(x)            # array(['setosa', ...])
    """

    def __init__(self, estimator=None, classes=None):
        self.estimator = estimator
        self.classes_ = np.asarray(classes if classes is not None else [])

    def predict_proba(self, x):
        # a LightGBM booster trained with a classification objective behind the regressor
        # interface (distributed training) predicts probabilities directly
        answer = getattr(self.estimator, "predict_proba", self.estimator.predict)
        proba = np.asarray(answer(x))
        if proba.ndim == 1:
            proba = np.column_stack([1 - proba, proba])
        return proba

    def predict(self, x):
        return self.classes_[np.argmax(self.predict_proba(x), axis=1)]

    @property
    def feature_importances_(self):
        return self.estimator.feature_importances_

    def get_params(self, deep: bool = True) -> dict:
        return {"estimator": self.estimator, "classes": self.classes_}


def encode_labels(labels) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of ``labels`` (a pandas Series) and the sorted classes they index.

    Example::

        codes, classes = encode_labels(pd.Series(["b", "a", "b"]))   # [1, 0, 1], ['a', 'b']
    """
    classes, codes = np.unique(np.asarray(labels), return_inverse=True)
    return codes, classes


def classes_of(labels) -> np.ndarray:
    """The sorted distinct values of a pandas or dask Series (computed once for dask)."""
    unique = labels.unique()
    if hasattr(unique, "compute"):
        unique = compute(unique)
    return np.sort(np.asarray(unique))


class SmoothedTreeClassifier:
    """A fitted decision tree whose leaf probabilities are Laplace-smoothed.

    A leaf holding 12 flowers, all setosa, says P(setosa) = 13/15 rather than 1: a tree's raw
    0/1 probabilities make log loss explode on the first misclassified flower (log 0), which
    made deeper trees look absurdly worse than they are. Predictions (the argmax) are the
    tree's own.

    Example::

        model = SmoothedTreeClassifier(DecisionTreeClassifier().fit(x, y), smoothing=1.0)
        model.predict_proba(x).min() > 0     # True
    """

    def __init__(self, estimator=None, smoothing: float = 1.0):
        self.estimator = estimator
        self.smoothing = float(smoothing)
        self.classes_ = np.asarray(getattr(estimator, "classes_", []))

    def predict_proba(self, x):
        tree = self.estimator.tree_
        leaves = self.estimator.apply(x)
        value = tree.value[:, 0, :]  # per node: class weights (or their shares)
        totals = value.sum(axis=1, keepdims=True)
        weights = tree.weighted_n_node_samples[:, None]
        counts = value / np.where(totals == 0, 1, totals) * weights
        alpha = self.smoothing
        return (counts[leaves] + alpha) / (weights[leaves] + alpha * value.shape[1])

    def predict(self, x):
        return self.estimator.predict(x)

    @property
    def feature_importances_(self):
        return self.estimator.feature_importances_

    def get_params(self, deep: bool = True) -> dict:
        return {"estimator": self.estimator, "smoothing": self.smoothing}
