"""flowlab's library of ML operators.

Example::

    from flowlab.library import SplitDatasetOperator, TrainDecisionTreeOperator, data
"""

from flowlab.library import data
from flowlab.library.metrics import Metrics
from flowlab.library.operators import (
    ComputeMetricsOperator,
    PredictOperator,
    SplitDatasetOperator,
    TrainDecisionTreeOperator,
)

__all__ = [
    "ComputeMetricsOperator",
    "Metrics",
    "PredictOperator",
    "SplitDatasetOperator",
    "TrainDecisionTreeOperator",
    "data",
]
