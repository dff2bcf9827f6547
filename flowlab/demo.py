"""``python -m flowlab.demo``: the seed's iris workflow, end to end on a local Dask cluster."""

from __future__ import annotations

import sys

from flowlab import Output, types, workflow
from flowlab.library import (
    ComputeMetricsOperator,
    Metrics,
    PredictOperator,
    SplitDatasetOperator,
    TrainDecisionTreeOperator,
    data,
)

# The seed's workflow, as written there, with its `mse` return renamed `logloss` and the
# accuracy reported beside it (a log loss alone does not say whether the model is any good).
feature_columns = (
    ("petal_width", types.INTEGER),
    ("petal_height", types.INTEGER),
    ("sepal_width", types.INTEGER),
    ("sepal_height", types.INTEGER),
)
label_column = ("species", types.TEXT)
all_columns = feature_columns + (label_column,)


@workflow(
    input_schema=types.Schema(
        labeled_data=types.DATASET(schema=all_columns),
        unlabeled_data=types.DATASET(schema=feature_columns),
    ),
    returns=types.Schema(
        model=types.MODEL,
        logloss=types.DOUBLE(direction="lower"),
        accuracy=types.DOUBLE(direction="higher"),
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
        metrics=[Metrics.LOGLOSS, Metrics.ACCURACY],
    )
    predictions = PredictOperator(
        dataset=unlabeled_data,
        model=dt.model,
        output_column=label_column[0],
    )
    return Output(
        model=dt.model,
        logloss=metrics.logloss,
        accuracy=metrics.accuracy,
        predictions=predictions,
    )


def main() -> int:
    labeled = data.iris()
    unlabeled = labeled.drop(columns=["species"]).sample(10, random_state=1)
    run = iris.launch(labeled_data=labeled, unlabeled_data=unlabeled, seed=7)
    print(f"run {run.id} launched ({run.status})")
    run.wait()
    print(f"run {run.id}: {run.status}")
    for name, op in run.operators.items():
        print(f"  {name:28s} {op.state:10s} {op.duration or 0:7.3f} s  on {op.worker}")
    outputs = run.result()
    print(f"logloss: {outputs.logloss:.4f}   accuracy: {outputs.accuracy:.3f}")
    print("first predicted rows:")
    print(outputs.predictions.head().to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
