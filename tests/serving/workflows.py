"""Workflows whose runs the serving tests deploy: an iris tree of a chosen depth, and one
without a MODEL output."""

from flowlab import Output, types, workflow
from flowlab.library import ComputeMetricsOperator, Metrics, TrainDecisionTreeOperator

FEATURES = ("petal_width", "petal_height", "sepal_width", "sepal_height")
COLUMNS = tuple((f, types.INTEGER) for f in FEATURES) + (("species", types.TEXT),)


@workflow(
    input_schema=types.Schema(
        labeled_data=types.DATASET(schema=COLUMNS), max_depth=types.INTEGER(min=1, default=3)
    ),
    returns=types.Schema(model=types.MODEL, logloss=types.DOUBLE),
)
def serving_iris(labeled_data, max_depth):
    tree = TrainDecisionTreeOperator(
        dataset=labeled_data, features=list(FEATURES), label="species", max_depth=max_depth
    )
    metrics = ComputeMetricsOperator(
        dataset=labeled_data, model=tree.model, label="species", metrics=[Metrics.LOGLOSS]
    )
    return Output(model=tree.model, logloss=metrics.logloss)


@workflow(
    input_schema=types.Schema(labeled_data=types.DATASET(schema=COLUMNS)),
    returns=types.Schema(logloss=types.DOUBLE),
)
def serving_no_model(labeled_data):
    tree = TrainDecisionTreeOperator(dataset=labeled_data, features=list(FEATURES), label="species")
    metrics = ComputeMetricsOperator(
        dataset=labeled_data, model=tree.model, label="species", metrics=[Metrics.LOGLOSS]
    )
    return Output(logloss=metrics.logloss)


@workflow(
    input_schema=types.Schema(model=types.MODEL, dataset=types.DATASET(schema=COLUMNS[:4])),
    returns=types.Schema(predictions=types.DATASET),
)
def serving_evaluate(model, dataset):
    from flowlab.library import PredictOperator

    return Output(
        predictions=PredictOperator(dataset=dataset, model=model, output_column="species")
    )
