"""The seed's iris workflow, as written there (it declares `mse` but returns `logloss`)."""

from flowlab import Output, types, workflow
from flowlab.library import (
    ComputeMetricsOperator,
    Metrics,
    PredictOperator,
    SplitDatasetOperator,
    TrainDecisionTreeOperator,
)

feature_columns = (
    ("petal_width", types.INTEGER),
    ("petal_height", types.INTEGER),
    ("sepal_width", types.INTEGER),
    ("sepal_height", types.INTEGER),
)
label_column = ("species", types.TEXT)
all_columns = feature_columns + (label_column,)


def make_iris(returned_metric: str = "mse"):
    @workflow(
        input_schema=types.Schema(
            labeled_data=types.DATASET(schema=all_columns),
            unlabeled_data=types.DATASET(schema=feature_columns),
        ),
        returns=types.Schema(
            model=types.MODEL,
            **{returned_metric: types.DOUBLE},
            predictions=types.DATASET(schema=all_columns),
        ),
    )
    def iris(labeled_data, unlabeled_data):
        split = SplitDatasetOperator(labeled_data, train=0.8, evaluation=0.2)
        dt = TrainDecisionTreeOperator(
            dataset=split.train,
            features=[name for name, type in feature_columns],
            label=label_column[0],
        )
        metrics = ComputeMetricsOperator(
            dataset=split.evaluation,
            model=dt.model,
            label=label_column[0],
            metrics=[Metrics.LOGLOSS],
        )
        predictions = PredictOperator(
            dataset=unlabeled_data,
            model=dt.model,
            output_column=label_column[0],
        )
        return Output(
            model=dt.model,
            logloss=metrics.logloss,
            predictions=predictions,
        )

    return iris
