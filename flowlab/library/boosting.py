"""Gradient boosted trees (LightGBM, XGBoost) and LambdaMART, locally or across the cluster.

A dask DataFrame given to :data:`TrainGBDTOperator` with LightGBM is trained across the
cluster's workers (:mod:`flowlab.library.distributed_gbdt`); the MODEL it makes is the same
local estimator a pandas DataFrame gives. XGBoost computes a dask DataFrame and trains locally.
Every LightGBM fit is deterministic (:data:`LIGHTGBM_DETERMINISM`): a fixed seed gives the same
model again, on a cluster of the same shape.
"""

from __future__ import annotations

from flowlab.core.definition.context import current_seed
from flowlab.core.definition.operator import Operator, operator
from flowlab.core.definition.output import Output
from flowlab.core.definition.resources import Resources
from flowlab.library.devices import DEVICES, choose_device
from flowlab.library.distributed_gbdt import cluster_client, fit_on_cluster
from flowlab.library.estimators import EncodedLabelsClassifier, classes_of, encode_labels
from flowlab.library.frames import is_dask, operator_name, training_frame
from flowlab.library.sklearn_trainers import TASKS, check_task
from flowlab.types import DATASET, DOUBLE, ENUM, FEATURES, INTEGER, MODEL, TEXT, Model, Schema

LIBRARIES = ("lightgbm", "xgboost")

#: what makes a LightGBM fit repeat itself exactly, with ``random_state`` (LightGBM's ``seed``,
#: from which it derives its bagging, feature fraction and data sampling seeds): no choice
#: between row-wise and column-wise histograms timed on the spot, and sums in a fixed order
LIGHTGBM_DETERMINISM = {"deterministic": True, "force_row_wise": True}

_TREE_INPUTS = dict(
    n_estimators=INTEGER(min=1, description="boosting rounds"),
    learning_rate=DOUBLE(min=0, max=1),
    num_leaves=INTEGER(min=2, description="leaves per tree"),
    max_depth=INTEGER(min=-1, description="-1: no limit (LightGBM); XGBoost then uses 6"),
    min_child_samples=INTEGER(min=1, description="rows per leaf at least (LightGBM)"),
    subsample=DOUBLE(min=0, max=1),
    colsample_bytree=DOUBLE(min=0, max=1),
    reg_lambda=DOUBLE(min=0),
    threads=INTEGER(min=0, description="0: the library's default (all cores)"),
)


def xgboost_has_cuda() -> bool:
    """True when the installed XGBoost was built with CUDA (``xgboost-cpu`` was not)."""
    try:
        import xgboost

        return bool(xgboost.build_info().get("USE_CUDA"))
    except Exception:
        return False


def _params(library: str, device: str, owner: str, **p) -> dict:
    """The estimator's keyword arguments for ``library`` from the operator's inputs."""
    seed = current_seed(0)
    threads = p.pop("threads") or None
    if library == "lightgbm":
        if choose_device(device, owner) == "cuda" and device == "cuda":
            raise RuntimeError(
                f"input 'device' of operator '{owner}': the LightGBM wheel has no CUDA "
                "support; use library='xgboost' on a GPU"
            )
        return {
            **p,
            "random_state": seed,
            "n_jobs": threads,
            "verbose": -1,
            **LIGHTGBM_DETERMINISM,
        }
    chosen = choose_device(device, owner)
    if chosen == "cuda" and not xgboost_has_cuda():
        if device == "cuda":
            raise RuntimeError(
                f"input 'device' of operator '{owner}': this XGBoost build has no CUDA "
                "support; install the 'xgboost' wheel (not 'xgboost-cpu') on GPU workers"
            )
        chosen = "cpu"
    depth = p.pop("max_depth")
    return {
        "n_estimators": p["n_estimators"],
        "learning_rate": p["learning_rate"],
        "max_depth": depth if depth > 0 else 6,
        "max_leaves": p["num_leaves"],
        "subsample": p["subsample"],
        "colsample_bytree": p["colsample_bytree"],
        "reg_lambda": p["reg_lambda"],
        "random_state": seed,
        "n_jobs": threads,
        "device": chosen,
        "tree_method": "hist",
    }


def _fit_local(library: str, task: str, params: dict, x, y):
    if library == "lightgbm":
        import lightgbm as lgb

        kind = lgb.LGBMClassifier if task == "classification" else lgb.LGBMRegressor
        return kind(**params).fit(x, y)
    import xgboost as xgb

    if task == "regression":
        return xgb.XGBRegressor(**params).fit(x, y)
    codes, classes = encode_labels(y)
    return EncodedLabelsClassifier(xgb.XGBClassifier(**params).fit(x, codes), classes)


def _fit_distributed(task: str, params: dict, frame, features: list[str], label: str, owner: str):
    """Train across the workers of the cluster this operator runs in (see
    :func:`fit_on_cluster`).

    Returns the local estimator and the number of workers that trained.
    """
    import lightgbm as lgb

    with cluster_client() as client:
        if task == "regression":
            target = frame[label]
        else:
            # labels are encoded once for the whole dataset: each worker sees only its part
            classes = classes_of(frame[label])
            codes = {c: i for i, c in enumerate(classes.tolist())}
            target = frame[label].map(codes, meta=(label, "i8")).astype("int64")
            # LightGBM's classifier re-encodes the labels each worker sees (a worker holding
            # only class 2 would call it 0); the regressor trains on the codes as they are,
            # with the classification objective
            if len(classes) > 2:
                params = {**params, "objective": "multiclass", "num_class": len(classes)}
            else:
                params = {**params, "objective": "binary"}
        rows = frame[features].assign(**{_TARGET: target})
        local, workers = fit_on_cluster(
            client, lgb.LGBMRegressor, params, rows, features, _TARGET, owner
        )
    if task != "regression":
        local = EncodedLabelsClassifier(local, classes)
    return local, workers


_TARGET = "__flowlab_target__"


def _train_gbdt(
    dataset,
    label,
    features=None,
    task="classification",
    library="lightgbm",
    n_estimators=100,
    learning_rate=0.1,
    num_leaves=31,
    max_depth=-1,
    min_child_samples=20,
    subsample=1.0,
    colsample_bytree=1.0,
    reg_lambda=0.0,
    threads=0,
    device="auto",
):
    """Train gradient boosted decision trees (LightGBM or XGBoost) for classification or
    regression; with LightGBM, a dask DataFrame trains across the cluster's workers.

    The same seed gives the same model: LightGBM runs with ``deterministic`` and
    ``force_row_wise`` and the run's seed; across the cluster, worker ``r`` of the workers
    sorted by address trains on partitions ``r, r+n, …`` in order, ``num_threads`` its own
    threads (or ``threads``), so the model stays the same on a cluster of the same shape
    (workers, threads each) and the same partitions, wherever the partitions were.

    Example::

        ops.TrainGBDTOperator(dataset=split.train, label="species", n_estimators=50).model
    """
    owner = operator_name("TrainGBDTOperator")
    check_task(task, TASKS, owner)
    inputs = dict(
        n_estimators=n_estimators,
        learning_rate=learning_rate,
        num_leaves=num_leaves,
        max_depth=max_depth,
        min_child_samples=min_child_samples,
        subsample=subsample,
        colsample_bytree=colsample_bytree,
        reg_lambda=reg_lambda,
        threads=threads,
    )
    if subsample < 1 and library == "lightgbm":
        inputs["subsample_freq"] = 1  # LightGBM ignores subsample without a frequency
    distributed = is_dask(dataset) and library == "lightgbm"
    frame, chosen = training_frame(dataset, features, label, owner, keep_dask=distributed)
    params = _params(library, device, owner, **inputs)
    workers = 1
    if distributed:
        estimator, workers = _fit_distributed(task, params, frame, chosen, label, owner)
    else:
        estimator = _fit_local(library, task, params, frame[chosen], frame[label])
    model = Model(
        estimator=estimator,
        task=task,
        features=chosen,
        label=label,
        library=library,
        params={**inputs, "device": params.get("device", "cpu")},
        extra={"distributed": distributed, "workers": workers},
    )
    return Output(model=model)


_GBDT_SCHEMA = Schema(
    dataset=DATASET,
    features=FEATURES(of="dataset"),
    label=TEXT,
    task=ENUM(*TASKS),
    library=ENUM(*LIBRARIES),
    device=ENUM(*DEVICES),
    **_TREE_INPUTS,
)

TrainGBDTOperator = operator(
    _train_gbdt, input_schema=_GBDT_SCHEMA, returns=Schema(model=MODEL), name="TrainGBDTOperator"
)

# The GPU twin: same code, scheduled only on a worker that offers a GPU.
TrainGBDTGPUOperator = Operator(
    _train_gbdt,
    input_schema=_GBDT_SCHEMA,
    returns=Schema(model=MODEL),
    resources=Resources(cpu=1, gpu=1),
    name="TrainGBDTGPUOperator",
)


@operator(
    input_schema=Schema(
        dataset=DATASET,
        features=FEATURES(of="dataset"),
        label=TEXT(description="relevance grade, an integer (higher is more relevant)"),
        group=TEXT(description="query id column: rows of one query are ranked together"),
        library=ENUM(*LIBRARIES),
        **_TREE_INPUTS,
    ),
    returns=Schema(model=MODEL),
)
def TrainLambdaMARTOperator(  # noqa: N802
    dataset,
    label,
    group,
    features=None,
    library="lightgbm",
    n_estimators=100,
    learning_rate=0.1,
    num_leaves=31,
    max_depth=-1,
    min_child_samples=20,
    subsample=1.0,
    colsample_bytree=1.0,
    reg_lambda=0.0,
    threads=0,
):
    """Train a LambdaMART ranker: LightGBM ``lambdarank`` or XGBoost ``rank:ndcg``.

    Example::

        ops.TrainLambdaMARTOperator(dataset=split.train, label="relevance",
                                    group="query_id").model
    """
    owner = operator_name("TrainLambdaMARTOperator")
    inputs = dict(
        n_estimators=n_estimators,
        learning_rate=learning_rate,
        num_leaves=num_leaves,
        max_depth=max_depth,
        min_child_samples=min_child_samples,
        subsample=subsample,
        colsample_bytree=colsample_bytree,
        reg_lambda=reg_lambda,
        threads=threads,
    )
    frame, chosen = training_frame(dataset, features, label, owner, group=group)
    # both libraries want the rows of a query next to each other
    frame = frame.sort_values(group, kind="stable")
    params = _params(library, "cpu", owner, **inputs)
    if library == "lightgbm":
        import lightgbm as lgb

        sizes = frame.groupby(group, sort=False).size().to_numpy()
        ranker = lgb.LGBMRanker(objective="lambdarank", **params)
        ranker.fit(frame[chosen], frame[label], group=sizes)
    else:
        import xgboost as xgb

        ranker = xgb.XGBRanker(objective="rank:ndcg", **params)
        ranker.fit(frame[chosen], frame[label], qid=frame[group])
    model = Model(
        estimator=ranker,
        task="ranking",
        features=chosen,
        label=label,
        library=library,
        params=inputs,
        extra={"group": group},
    )
    return Output(model=model)
