"""The seed's operators: split a dataset, train a decision tree, compute metrics, predict."""

from __future__ import annotations

from flowlab.core.context import current_seed
from flowlab.core.operator import operator
from flowlab.core.output import Output
from flowlab.library.metrics import Metrics, compute_metric
from flowlab.types import DATASET, DOUBLE, FEATURES, INTEGER, LIST, MODEL, TEXT, Model, Schema


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
    ),
    returns=Schema(model=MODEL),
)
def TrainDecisionTreeOperator(dataset, features, label, max_depth=4, min_samples_leaf=5):  # noqa: N802
    """Train a scikit-learn decision tree classifier on ``features`` to predict ``label``."""
    from sklearn.tree import DecisionTreeClassifier

    params = {
        "max_depth": max_depth,
        "min_samples_leaf": min_samples_leaf,
        "random_state": current_seed(0),
    }
    estimator = DecisionTreeClassifier(**params).fit(dataset[features], dataset[label])
    return Output(
        model=Model(
            estimator=estimator,
            task="classification",
            features=features,
            label=label,
            library="scikit-learn",
            params=params,
        )
    )


def _metric_outputs(arguments) -> Schema:
    chosen = arguments.get("metrics") or [Metrics.LOGLOSS]
    return Schema({Metrics(m).value: DOUBLE(direction=Metrics(m).direction) for m in chosen})


@operator(
    input_schema=Schema(dataset=DATASET, model=MODEL, label=TEXT, metrics=LIST(TEXT)),
    returns=_metric_outputs,
)
def ComputeMetricsOperator(dataset, model, label, metrics=(Metrics.LOGLOSS,)):  # noqa: N802
    """Evaluate ``model`` on ``dataset``; one DOUBLE output per metric asked for."""
    return Output(
        {Metrics(m).value: compute_metric(Metrics(m), model, dataset, label) for m in metrics}
    )


@operator(
    input_schema=Schema(dataset=DATASET, model=MODEL, output_column=TEXT),
    returns=Schema(predictions=DATASET),
)
def PredictOperator(dataset, model, output_column="prediction"):  # noqa: N802
    """Add the model's predictions to ``dataset`` as ``output_column``."""
    predictions = dataset.copy()
    predictions[output_column] = model.predict(dataset)
    return Output(predictions=predictions)
