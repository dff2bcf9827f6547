"""The library's operators in one place; the seed's four (split, decision tree, metrics,
predict) are defined here.

Example::

    from flowlab.library import operators as ops
    ops.TrainGBDTOperator(dataset=frame, label="species", n_estimators=20).model
"""

from __future__ import annotations

from flowlab.core.definition.context import current_seed
from flowlab.core.definition.operator import operator
from flowlab.core.definition.output import Output
from flowlab.library.boosting import (
    TrainGBDTGPUOperator,
    TrainGBDTOperator,
    TrainLambdaMARTOperator,
)
from flowlab.library.datasets import (
    LoadDatasetOperator,
    RegisterDatasetOperator,
    SplitOperator,
)
from flowlab.library.evaluation import FeatureImportancesOperator, evaluate, predict_frame
from flowlab.library.frames import training_frame
from flowlab.library.metrics import Metrics
from flowlab.library.neural import TrainNeuralNetGPUOperator, TrainNeuralNetOperator
from flowlab.library.sklearn_trainers import (
    TrainLogisticRegressionOperator,
    TrainRegressionTreeOperator,
    TrainSGDOperator,
)
from flowlab.types import (
    DATASET,
    DOUBLE,
    ENUM,
    FEATURES,
    INTEGER,
    LIST,
    MODEL,
    TEXT,
    Model,
    Schema,
)


@operator(
    input_schema=Schema(
        dataset=DATASET,
        train=DOUBLE(min=0, max=1),
        evaluation=DOUBLE(min=0, max=1),
        stratify=TEXT,
        seed=INTEGER,
    ),
    returns=Schema(train=DATASET, evaluation=DATASET),
)
def SplitDatasetOperator(dataset, train=0.8, evaluation=0.2, stratify=None, seed=None):  # noqa: N802
    """Split a dataset at random into train and evaluation parts (stratified by a column if given)."""
    from sklearn.model_selection import train_test_split

    if abs(train + evaluation - 1) > 1e-9:
        raise ValueError(f"train ({train}) and evaluation ({evaluation}) must add up to 1")
    seed = current_seed(0) if seed is None else seed
    train_part, evaluation_part = train_test_split(
        dataset,
        train_size=train,
        test_size=evaluation,
        random_state=seed,
        stratify=dataset[stratify] if stratify else None,
    )
    return Output(train=train_part, evaluation=evaluation_part)


@operator(
    input_schema=Schema(
        dataset=DATASET,
        features=FEATURES(of="dataset"),
        label=TEXT,
        max_depth=INTEGER(min=1),
        min_samples_leaf=INTEGER(min=1),
        smoothing=DOUBLE(
            min=0, description="Laplace smoothing of leaf probabilities (0: the raw 0/1 shares)"
        ),
    ),
    returns=Schema(model=MODEL),
)
def TrainDecisionTreeOperator(  # noqa: N802
    dataset, features, label, max_depth=4, min_samples_leaf=5, smoothing=1.0
):
    """Train a scikit-learn decision tree classifier on ``features`` to predict ``label``.

    ``features=None`` uses every numeric column but the label. Leaf probabilities are
    Laplace-smoothed (``smoothing`` pseudo-counts per class), so that one surprise in the
    evaluation set costs a finite log loss; predictions are the tree's own.

    Example::

        TrainDecisionTreeOperator(dataset=split.train, features=None, label="species").model
    """
    from sklearn.tree import DecisionTreeClassifier

    from flowlab.library.estimators import SmoothedTreeClassifier

    params = {
        "max_depth": max_depth,
        "min_samples_leaf": min_samples_leaf,
        "random_state": current_seed(0),
    }
    frame, chosen = training_frame(dataset, features, label, "TrainDecisionTreeOperator")
    tree = DecisionTreeClassifier(**params).fit(frame[chosen], frame[label])
    estimator = SmoothedTreeClassifier(tree, smoothing) if smoothing else tree
    params["smoothing"] = smoothing
    return Output(
        model=Model(
            estimator=estimator,
            task="classification",
            features=chosen,
            label=label,
            library="scikit-learn",
            params=params,
        )
    )


def _metric_outputs(arguments) -> Schema:
    chosen = arguments.get("metrics") or [Metrics.LOGLOSS]
    return Schema({Metrics(m).value: DOUBLE(direction=Metrics(m).direction) for m in chosen})


@operator(
    input_schema=Schema(
        dataset=DATASET,
        model=MODEL,
        label=TEXT,
        metrics=LIST(ENUM(*Metrics)),
        group=TEXT(description="query id column, for the ranking metrics (ndcg, map)"),
        k=INTEGER(min=1, description="NDCG@k"),
    ),
    returns=_metric_outputs,
)
def ComputeMetricsOperator(  # noqa: N802
    dataset, model, label, metrics=(Metrics.LOGLOSS,), group=None, k=10
):
    """Evaluate ``model`` on ``dataset``; one DOUBLE output per metric asked for.

    Example::

        ComputeMetricsOperator(dataset=split.evaluation, model=m, label="relevance",
                               metrics=["ndcg", "map"], group="query_id", k=10).ndcg
    """
    return Output(evaluate(model, dataset, label, metrics, group=group, k=k))


@operator(
    input_schema=Schema(dataset=DATASET, model=MODEL, output_column=TEXT),
    returns=Schema(predictions=DATASET),
)
def PredictOperator(dataset, model, output_column="prediction"):  # noqa: N802
    """Add the model's predictions to ``dataset`` as ``output_column`` (pandas or dask)."""
    return Output(predictions=predict_frame(model, dataset, output_column))


__all__ = [
    "ComputeMetricsOperator",
    "FeatureImportancesOperator",
    "LoadDatasetOperator",
    "PredictOperator",
    "RegisterDatasetOperator",
    "SplitDatasetOperator",
    "SplitOperator",
    "TrainDecisionTreeOperator",
    "TrainGBDTGPUOperator",
    "TrainGBDTOperator",
    "TrainLambdaMARTOperator",
    "TrainLogisticRegressionOperator",
    "TrainNeuralNetGPUOperator",
    "TrainNeuralNetOperator",
    "TrainRegressionTreeOperator",
    "TrainSGDOperator",
]
