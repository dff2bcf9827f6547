"""A workflow whose deployed model takes DOUBLE features: its training data declares no column
types, so the registry types every feature DOUBLE (the iris workflows of tests/serving declare
INTEGER). Workers import it by this module's name."""

from flowlab import Output, types, workflow
from flowlab.library import TrainDecisionTreeOperator

FEATURES = ("petal_width", "petal_height", "sepal_width", "sepal_height")


@workflow(
    input_schema=types.Schema(labeled_data=types.DATASET),
    returns=types.Schema(model=types.MODEL),
)
def security_iris_doubles(labeled_data):
    tree = TrainDecisionTreeOperator(
        dataset=labeled_data, features=list(FEATURES), label="species", max_depth=3
    )
    return Output(model=tree.model)
