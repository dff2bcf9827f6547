"""flowlab's library of ML operators and predefined workflows.

Example::

    from flowlab.library import SplitDatasetOperator, TrainDecisionTreeOperator, data
    from flowlab.library import operators as ops, workflows, sklearn_operator
    workflows.classification.launch(dataset="iris_labeled", label="species", algorithm="gbdt")
"""

from flowlab.library import data, operators, workflows
from flowlab.library.metrics import Metrics
from flowlab.library.operators import (
    ComputeMetricsOperator,
    PredictOperator,
    SplitDatasetOperator,
    TrainDecisionTreeOperator,
)
from flowlab.library.wrap import sklearn_operator

__all__ = [
    "ComputeMetricsOperator",
    "Metrics",
    "PredictOperator",
    "SplitDatasetOperator",
    "TrainDecisionTreeOperator",
    "data",
    "operators",
    "sklearn_operator",
    "workflows",
]
