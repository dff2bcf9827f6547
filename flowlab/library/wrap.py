"""Turn any scikit-learn-compatible estimator class into a training operator.

Hyperparameters become typed inputs read from the estimator's defaults (``get_params()``) and,
for scikit-learn's own estimators, from their declared constraints (bounds, string choices):
``int`` -> INTEGER, ``float`` -> DOUBLE, ``bool`` -> BOOL, a string among fixed options ->
ENUM, another string -> TEXT. Parameters whose default is an object (an inner estimator, a
callable) stay at their default and are not exposed.
"""

from __future__ import annotations

import inspect
import numbers
from typing import Any

from flowlab.core.definition.context import current_seed
from flowlab.core.definition.operator import Operator
from flowlab.core.definition.output import Output
from flowlab.core.definition.resources import Resources
from flowlab.core.definition.versioning import code_version, hash_text
from flowlab.library.frames import operator_name, training_frame
from flowlab.types import BOOL, DATASET, DOUBLE, ENUM, FEATURES, INTEGER, MODEL, TEXT, Model, Schema
from flowlab.types.base import FlowType

_RESERVED = ("dataset", "features", "label")


def hyperparameter_types(estimator_class: type) -> dict[str, FlowType]:
    """The flowlab type of each hyperparameter of ``estimator_class`` that has one.

    Example::

        hyperparameter_types(RandomForestClassifier)["n_estimators"]   # INTEGER(min=1)
    """
    defaults = estimator_class().get_params(deep=False)
    constraints = getattr(estimator_class, "_parameter_constraints", {}) or {}
    types = {}
    for name, default in defaults.items():
        if name in _RESERVED:
            continue
        flow_type = _type_for(name, default, constraints.get(name, []))
        if flow_type is not None:
            types[name] = flow_type(default=default) if default is not None else flow_type
    return types


def _type_for(name: str, default: Any, constraints: list) -> FlowType | None:
    options = [c for c in constraints if type(c).__name__ == "StrOptions"]
    intervals = [c for c in constraints if type(c).__name__ == "Interval"]
    if isinstance(default, bool):
        return BOOL
    if isinstance(default, numbers.Integral):
        return _bounded(INTEGER, intervals, numbers.Integral)
    if isinstance(default, numbers.Real):
        return _bounded(DOUBLE, intervals, numbers.Real)
    choices = sorted({o for c in options for o in c.options})
    if isinstance(default, str):
        return ENUM(*choices) if default in choices else TEXT
    if default is not None:
        return None
    if name == "random_state":
        return INTEGER(optional=True, description="None: the operator's run-derived seed")
    if any(getattr(i, "type", None) is numbers.Integral for i in intervals) or (
        numbers.Integral in constraints
    ):
        return _bounded(INTEGER, intervals, numbers.Integral)(optional=True)
    if intervals:
        return _bounded(DOUBLE, intervals, numbers.Real)(optional=True)
    if choices:
        return ENUM(*choices)(optional=True)
    return None


def _bounded(flow_type: FlowType, intervals: list, kind: type) -> FlowType:
    for interval in intervals:
        if interval.type is kind or (kind is numbers.Real and interval.type != numbers.Integral):
            return flow_type(min=interval.left, max=interval.right)
    return flow_type


def _task_of(estimator_class: type) -> str:
    from sklearn.base import is_classifier, is_regressor

    probe = estimator_class()
    if is_classifier(probe):
        return "classification"
    if is_regressor(probe):
        return "regression"
    return "unsupervised"


def sklearn_operator(
    estimator_class: type,
    *,
    name: str | None = None,
    resources: Resources | None = None,
) -> Operator:
    """An operator that trains ``estimator_class`` and returns its MODEL.

    Called like the seed's trainer, with the estimator's hyperparameters as typed inputs
    (forms and sweeps see them); ``features=None`` takes every numeric column but the label.

    Example::

        from sklearn.ensemble import RandomForestClassifier
        RF = flowlab.library.sklearn_operator(RandomForestClassifier)
        RF(dataset=split.train, features=["a", "b"], label="y", n_estimators=20).model
    """
    if not (inspect.isclass(estimator_class) and hasattr(estimator_class, "get_params")):
        raise TypeError(
            f"sklearn_operator: expected an estimator class with get_params() (scikit-learn's "
            f"interface), found {estimator_class!r}"
        )
    types = hyperparameter_types(estimator_class)
    task = _task_of(estimator_class)
    op_name = name or f"Train{estimator_class.__name__}"
    library = estimator_class.__module__.split(".")[0]

    def train(dataset, label=None, features=None, **hyperparameters):
        owner = operator_name(op_name)
        params = {k: v for k, v in hyperparameters.items() if v is not None}
        if "random_state" in types and params.get("random_state") is None:
            params["random_state"] = current_seed(0)
        if task == "unsupervised" and label is None:
            frame, chosen = training_frame(dataset, features, None, owner)
            estimator = estimator_class(**params).fit(frame[chosen])
        else:
            if label is None:
                raise TypeError(f"operator '{owner}' needs input 'label' (TEXT)")
            frame, chosen = training_frame(dataset, features, label, owner)
            estimator = estimator_class(**params).fit(frame[chosen], frame[label])
        return Output(
            model=Model(
                estimator=estimator,
                task=task,
                features=chosen,
                label=label,
                library=library,
                params=params,
            )
        )

    plain = [
        inspect.Parameter("dataset", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        inspect.Parameter("label", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None),
        inspect.Parameter("features", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None),
    ]
    tuned = [
        inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=t.default)
        for k, t in types.items()
    ]
    train.__signature__ = inspect.Signature(plain + tuned)
    train.__name__ = train.__qualname__ = op_name
    train.__doc__ = (
        f"Train {estimator_class.__module__}.{estimator_class.__name__} ({task}); "
        "its hyperparameters are typed inputs."
    )
    op = Operator(
        train,
        input_schema=Schema(
            dataset=DATASET,
            label=TEXT,
            features=FEATURES(of="dataset"),
            **types,
        ),
        returns=Schema(model=MODEL),
        resources=resources,
        name=op_name,
        # every wrapped estimator shares train()'s source; its version must tell them apart
        version=hash_text(
            code_version(train),
            f"{estimator_class.__module__}.{estimator_class.__qualname__}",
        ),
    )
    return op
