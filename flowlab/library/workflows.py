"""Predefined workflows: classification, regression and ranking (split, train, evaluate,
predict), with the algorithm as an ENUM input.

Example::

    from flowlab.library import workflows
    run = workflows.classification.launch(dataset="iris_labeled", label="species",
                                          algorithm="gbdt")
    run.result().accuracy
    workflows.ranking.launch(dataset="ranking_demo", label="relevance", group="query_id")

``dataset`` takes a pandas or dask DataFrame, a parquet/CSV path or URI, or a catalog name; a
dask DataFrame trains GBDT across the cluster. ``hyperparameters`` (a dict) goes to the
chosen trainer as its typed inputs; ``gpu=True`` runs GBDT and the neural network on a GPU
worker.
"""

from __future__ import annotations

from flowlab.core.definition.output import Output
from flowlab.core.definition.workflow import Workflow
from flowlab.errors import FlowTypeError
from flowlab.library import operators as ops
from flowlab.types import (
    BOOL,
    COLUMN,
    DATASET,
    DICT,
    DOUBLE,
    ENUM,
    FEATURES,
    INTEGER,
    MODEL,
    TEXT,
    Schema,
)
from flowlab.types.dataset import column_dtypes

CLASSIFIERS = ("gbdt", "xgboost", "logistic_regression", "sgd", "decision_tree", "neural_net")
REGRESSORS = ("gbdt", "xgboost", "sgd", "decision_tree", "neural_net")
RANKERS = ("lambdamart", "xgboost")


class LibraryWorkflow(Workflow):
    """A workflow that also checks, before anything runs, that the columns its inputs name
    (``label``, ``group``, ``features``) are in its ``dataset``."""

    column_inputs = ("label", "group", "features")

    def validate_inputs(self, inputs):
        values = super().validate_inputs(inputs)
        where = f"input 'dataset' of workflow '{self.name}'"
        have = [str(c) for c in column_dtypes(values["dataset"], where)]
        for field in self.column_inputs:
            named = values.get(field)
            for column in [named] if isinstance(named, str) else named or []:
                if column not in have:
                    raise FlowTypeError(
                        f"input '{field}' of workflow '{self.name}': column '{column}' is not in "
                        f"the dataset, which has {', '.join(have) or 'no columns'}"
                    )
        return values


def library_workflow(input_schema, returns):
    """Like :func:`flowlab.workflow`, making a :class:`LibraryWorkflow`."""

    def wrap(fn):
        return LibraryWorkflow(fn, input_schema=input_schema, returns=returns)

    return wrap


def _common_inputs(algorithms: tuple[str, ...], default: str) -> dict:
    return dict(
        dataset=DATASET,
        label=COLUMN(of="dataset", description="the column to predict"),
        algorithm=ENUM(*algorithms, default=default),
        features=FEATURES(of="dataset", optional=True),
        train=DOUBLE(min=0.05, max=0.95, description="share of the data to train on"),
        hyperparameters=DICT(optional=True, description="inputs of the chosen trainer"),
    )


def _train(algorithm: str, task: str, data, label, features, gpu: bool, hyperparameters):
    """The trainer call for ``algorithm`` (compile time: ``algorithm`` is a plain string)."""
    common = dict(dataset=data, label=label, features=features, **(hyperparameters or {}))
    gbdt = ops.TrainGBDTGPUOperator if gpu else ops.TrainGBDTOperator
    neural = ops.TrainNeuralNetGPUOperator if gpu else ops.TrainNeuralNetOperator
    if algorithm == "gbdt":
        return gbdt(task=task, library="lightgbm", **common)
    if algorithm == "xgboost":
        return gbdt(task=task, library="xgboost", **common)
    if algorithm == "neural_net":
        return neural(task=task, **common)
    if algorithm == "sgd":
        return ops.TrainSGDOperator(task=task, **common)
    if algorithm == "logistic_regression":
        return ops.TrainLogisticRegressionOperator(**common)
    if algorithm == "decision_tree" and task == "classification":
        return ops.TrainDecisionTreeOperator(**common)
    return ops.TrainRegressionTreeOperator(**common)


@library_workflow(
    input_schema=Schema(**_common_inputs(CLASSIFIERS, "gbdt"), gpu=BOOL),
    returns=Schema(
        model=MODEL,
        accuracy=DOUBLE(direction="higher"),
        logloss=DOUBLE(direction="lower"),
        auc=DOUBLE(direction="higher"),
        predictions=DATASET,
        importances=DATASET,
    ),
)
def classification(
    dataset, label, algorithm="gbdt", features=None, train=0.8, hyperparameters=None, gpu=False
):
    """Classify ``label``: stratified split, train ``algorithm``, evaluate on the held-out
    part (accuracy, logloss, AUC), predict it, and report feature importances.

    Example::

        workflows.classification.launch(dataset="iris_labeled", label="species",
                                        algorithm="logistic_regression").result().accuracy
    """
    split = ops.SplitOperator(dataset=dataset, train=train, method="stratified", column=label)
    trained = _train(
        algorithm, "classification", split.train, label, features, gpu, hyperparameters
    )
    metrics = ops.ComputeMetricsOperator(
        dataset=split.evaluation,
        model=trained.model,
        label=label,
        metrics=["accuracy", "logloss", "auc"],
    )
    predictions = ops.PredictOperator(dataset=split.evaluation, model=trained.model)
    importances = ops.FeatureImportancesOperator(model=trained.model, dataset=split.evaluation)
    return Output(
        model=trained.model,
        accuracy=metrics.accuracy,
        logloss=metrics.logloss,
        auc=metrics.auc,
        predictions=predictions.predictions,
        importances=importances.importances,
    )


@library_workflow(
    input_schema=Schema(**_common_inputs(REGRESSORS, "gbdt"), gpu=BOOL),
    returns=Schema(
        model=MODEL,
        rmse=DOUBLE(direction="lower"),
        mae=DOUBLE(direction="lower"),
        r2=DOUBLE(direction="higher"),
        predictions=DATASET,
        importances=DATASET,
    ),
)
def regression(
    dataset, label, algorithm="gbdt", features=None, train=0.8, hyperparameters=None, gpu=False
):
    """Predict the number ``label``: random split, train ``algorithm``, evaluate on the
    held-out part (RMSE, MAE, R²), predict it, and report feature importances.

    Example::

        workflows.regression.launch(dataset="diabetes", label="progression").result().rmse
    """
    split = ops.SplitOperator(dataset=dataset, train=train, method="random")
    trained = _train(algorithm, "regression", split.train, label, features, gpu, hyperparameters)
    metrics = ops.ComputeMetricsOperator(
        dataset=split.evaluation, model=trained.model, label=label, metrics=["rmse", "mae", "r2"]
    )
    predictions = ops.PredictOperator(dataset=split.evaluation, model=trained.model)
    importances = ops.FeatureImportancesOperator(model=trained.model, dataset=split.evaluation)
    return Output(
        model=trained.model,
        rmse=metrics.rmse,
        mae=metrics.mae,
        r2=metrics.r2,
        predictions=predictions.predictions,
        importances=importances.importances,
    )


@library_workflow(
    input_schema=Schema(
        **_common_inputs(RANKERS, "lambdamart"),
        group=TEXT(description="query id column"),
        k=INTEGER(min=1, description="NDCG@k"),
    ),
    returns=Schema(
        model=MODEL,
        ndcg=DOUBLE(direction="higher"),
        map=DOUBLE(direction="higher"),
        predictions=DATASET,
        importances=DATASET,
    ),
)
def ranking(
    dataset,
    label,
    group,
    algorithm="lambdamart",
    features=None,
    train=0.8,
    hyperparameters=None,
    k=10,
):
    """Learn to rank: split by query group, train LambdaMART (LightGBM ``lambdarank`` or
    XGBoost ``rank:ndcg``), evaluate NDCG@k and MAP on the held-out queries, score them.

    Example::

        workflows.ranking.launch(dataset="ranking_demo", label="relevance",
                                 group="query_id").result().ndcg
    """
    split = ops.SplitOperator(dataset=dataset, train=train, method="group", column=group)
    library = "lightgbm" if algorithm == "lambdamart" else "xgboost"
    trained = ops.TrainLambdaMARTOperator(
        dataset=split.train,
        label=label,
        group=group,
        features=features,
        library=library,
        **(hyperparameters or {}),
    )
    metrics = ops.ComputeMetricsOperator(
        dataset=split.evaluation,
        model=trained.model,
        label=label,
        metrics=["ndcg", "map"],
        group=group,
        k=k,
    )
    predictions = ops.PredictOperator(
        dataset=split.evaluation, model=trained.model, output_column="score"
    )
    importances = ops.FeatureImportancesOperator(model=trained.model)
    return Output(
        model=trained.model,
        ndcg=metrics.ndcg,
        map=metrics.map,
        predictions=predictions.predictions,
        importances=importances.importances,
    )
