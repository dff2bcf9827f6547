"""Training operators on scikit-learn: logistic regression, SGD, a regression tree.

Linear models see standardised features (a ``StandardScaler`` in front, saved in the MODEL),
since their solvers converge badly on raw scales.
"""

from __future__ import annotations

from flowlab.core.definition.context import current_seed
from flowlab.core.definition.operator import operator
from flowlab.core.definition.output import Output
from flowlab.library.frames import operator_name, training_frame
from flowlab.types import BOOL, DATASET, DOUBLE, ENUM, FEATURES, INTEGER, MODEL, TEXT, Model, Schema

TASKS = ("classification", "regression")


def fit_model(
    estimator, dataset, features, label, *, task: str, library: str, params: dict, owner: str
):
    """Fit ``estimator`` on the dataset's features and label; return the MODEL.

    Example::

        fit_model(DecisionTreeClassifier(), frame, None, "species", task="classification",
                  library="scikit-learn", params={}, owner="TrainTree")
    """
    frame, chosen = training_frame(dataset, features, label, owner)
    estimator.fit(frame[chosen], frame[label])
    return Model(
        estimator=estimator,
        task=task,
        features=chosen,
        label=label,
        library=library,
        params=params,
    )


def check_task(task: str, allowed: tuple[str, ...], owner: str) -> None:
    """Refuse a ``task`` input the operator ``owner`` does not support, naming both."""
    if task not in allowed:
        raise ValueError(
            f"input 'task' of operator '{operator_name(owner)}': {task!r} is not supported; "
            f"use one of {', '.join(allowed)}"
        )


@operator(
    input_schema=Schema(
        dataset=DATASET,
        features=FEATURES(of="dataset"),
        label=TEXT,
        C=DOUBLE(min=1e-9, description="inverse regularisation strength"),
        max_iter=INTEGER(min=1),
        fit_intercept=BOOL,
        class_weight=ENUM("none", "balanced"),
    ),
    returns=Schema(model=MODEL),
)
def TrainLogisticRegressionOperator(  # noqa: N802
    dataset, label, features=None, C=1.0, max_iter=200, fit_intercept=True, class_weight="none"
):
    """Train scikit-learn's logistic regression (standardised features) for classification.

    Example::

        ops.TrainLogisticRegressionOperator(dataset=split.train, label="species", C=0.5).model
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    params = {
        "C": C,
        "max_iter": max_iter,
        "fit_intercept": fit_intercept,
        "class_weight": None if class_weight == "none" else class_weight,
    }
    estimator = make_pipeline(
        StandardScaler(), LogisticRegression(random_state=current_seed(0), **params)
    )
    model = fit_model(
        estimator,
        dataset,
        features,
        label,
        task="classification",
        library="scikit-learn",
        params=params,
        owner="TrainLogisticRegressionOperator",
    )
    return Output(model=model)


_CLASSIFIER_LOSSES = ("log_loss", "modified_huber", "hinge")
_REGRESSOR_LOSSES = ("squared_error", "huber", "epsilon_insensitive")


@operator(
    input_schema=Schema(
        dataset=DATASET,
        features=FEATURES(of="dataset"),
        label=TEXT,
        task=ENUM(*TASKS),
        loss=ENUM("auto", *_CLASSIFIER_LOSSES, *_REGRESSOR_LOSSES),
        penalty=ENUM("l2", "l1", "elasticnet"),
        alpha=DOUBLE(min=0),
        max_iter=INTEGER(min=1),
        learning_rate=ENUM("auto", "optimal", "constant", "invscaling", "adaptive"),
        eta0=DOUBLE(min=0),
    ),
    returns=Schema(model=MODEL),
)
def TrainSGDOperator(  # noqa: N802
    dataset,
    label,
    features=None,
    task="classification",
    loss="auto",
    penalty="l2",
    alpha=1e-4,
    max_iter=1000,
    learning_rate="auto",
    eta0=0.01,
):
    """Train a linear model by stochastic gradient descent (scikit-learn's SGD estimators).

    ``loss="auto"`` is ``log_loss`` for classification (so probabilities exist) and
    ``squared_error`` for regression; ``learning_rate="auto"`` is scikit-learn's default for
    the task (``optimal`` to classify, ``invscaling`` for regression).

    Example::

        ops.TrainSGDOperator(dataset=split.train, label="target", task="regression").model
    """
    from sklearn.linear_model import SGDClassifier, SGDRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    owner = "TrainSGDOperator"
    check_task(task, TASKS, owner)
    allowed = _CLASSIFIER_LOSSES if task == "classification" else _REGRESSOR_LOSSES
    if loss == "auto":
        loss = allowed[0]
    if learning_rate == "auto":
        learning_rate = "optimal" if task == "classification" else "invscaling"
    if loss not in allowed:
        raise ValueError(
            f"input 'loss' of operator '{operator_name(owner)}': {loss!r} is not a {task} "
            f"loss; use one of {', '.join(allowed)}"
        )
    params = {
        "loss": loss,
        "penalty": penalty,
        "alpha": alpha,
        "max_iter": max_iter,
        "learning_rate": learning_rate,
        "eta0": eta0,
    }
    kind = SGDClassifier if task == "classification" else SGDRegressor
    estimator = make_pipeline(StandardScaler(), kind(random_state=current_seed(0), **params))
    model = fit_model(
        estimator,
        dataset,
        features,
        label,
        task=task,
        library="scikit-learn",
        params=params,
        owner=owner,
    )
    return Output(model=model)


@operator(
    input_schema=Schema(
        dataset=DATASET,
        features=FEATURES(of="dataset"),
        label=TEXT,
        max_depth=INTEGER(min=1),
        min_samples_leaf=INTEGER(min=1),
    ),
    returns=Schema(model=MODEL),
)
def TrainRegressionTreeOperator(  # noqa: N802
    dataset, label, features=None, max_depth=6, min_samples_leaf=5
):
    """Train a scikit-learn decision tree regressor (the regression twin of the seed's tree).

    Example::

        ops.TrainRegressionTreeOperator(dataset=split.train, label="progression").model
    """
    from sklearn.tree import DecisionTreeRegressor

    params = {"max_depth": max_depth, "min_samples_leaf": min_samples_leaf}
    estimator = DecisionTreeRegressor(random_state=current_seed(0), **params)
    model = fit_model(
        estimator,
        dataset,
        features,
        label,
        task="regression",
        library="scikit-learn",
        params=params,
        owner="TrainRegressionTreeOperator",
    )
    return Output(model=model)
