"""Workflows the notebook tests launch from forms, magics and the run browser."""

from __future__ import annotations

import logging
import os
import time

from flowlab import Output, operator, types, workflow
from flowlab.library import (
    ComputeMetricsOperator,
    Metrics,
    PredictOperator,
    SplitDatasetOperator,
    TrainDecisionTreeOperator,
)
from tests.seed_iris import all_columns, feature_columns


@workflow(
    input_schema=types.Schema(
        labeled_data=types.DATASET(schema=all_columns),
        unlabeled_data=types.DATASET(schema=feature_columns),
        features=types.FEATURES(of="labeled_data", label="species"),
        max_depth=types.INTEGER(min=1, max=20),
    ),
    returns=types.Schema(
        model=types.MODEL,
        logloss=types.DOUBLE(direction="lower"),
        predictions=types.DATASET(schema=all_columns),
    ),
)
def iris_form(labeled_data, unlabeled_data, features, max_depth=4):
    """The seed's iris workflow with the tree depth as an input.

    Args:
        max_depth: the deepest split of the decision tree
    """
    split = SplitDatasetOperator(labeled_data, train=0.8, evaluation=0.2)
    dt = TrainDecisionTreeOperator(
        dataset=split.train, features=features, label="species", max_depth=max_depth
    )
    metrics = ComputeMetricsOperator(
        dataset=split.evaluation, model=dt.model, label="species", metrics=[Metrics.LOGLOSS]
    )
    predictions = PredictOperator(dataset=unlabeled_data, model=dt.model, output_column="species")
    return Output(model=dt.model, logloss=metrics.logloss, predictions=predictions)


@operator(returns=types.Schema(value=types.DOUBLE))
def pause(seconds: float, value: float = 1.0):
    time.sleep(seconds)
    return {"value": value}


@operator(returns=types.Schema(value=types.DOUBLE))
def explode(x: float):
    print("about to explode")
    logging.getLogger("tests.explode").warning("exploding on purpose")
    raise ValueError(f"cannot take {x}")


@workflow(returns=types.Schema(first=types.DOUBLE, second=types.DOUBLE))
def two_steps(seconds: float = 1.0, value: float = 2.0):
    first = pause(seconds=seconds, value=value)
    second = pause(seconds=seconds, value=first)
    return Output(first=first, second=second)


@operator(returns=types.Schema(value=types.DOUBLE), cache=False)
def wait_for_gate(gate: str, value: float = 1.0):
    """Runs until the file ``gate`` exists: a test sees it running for as long as it needs."""
    while not os.path.exists(gate):
        time.sleep(0.05)
    return {"value": value}


@workflow(returns=types.Schema(first=types.DOUBLE, second=types.DOUBLE))
def gated_steps(gate: str = "", value: float = 2.0):
    first = wait_for_gate(gate=gate, value=value)
    second = pause(seconds=0.0, value=first)
    return Output(first=first, second=second)


@workflow(returns=types.Schema(value=types.DOUBLE))
def breaks(x: float = 3.0):
    return Output(value=explode(x=x))


@operator(returns=types.Schema(value=types.DOUBLE))
def chatty(lines: int = 30, value: float = 1.0):
    for i in range(lines):
        print(f"step {i} of {lines}")
    return {"value": value}


@workflow(returns=types.Schema(first=types.DOUBLE, second=types.DOUBLE, after=types.DOUBLE))
def mixed(x: float = 3.0):
    """Two operators succeed, one fails, and the one after it is cancelled."""
    first = chatty(lines=30, value=x)
    second = pause(seconds=0.01, value=x)
    broken = explode(x=x)
    after = pause(seconds=0.01, value=broken)
    return Output(first=first, second=second, after=after)
