"""Dataset operators: load, register, and split (random, stratified, by group) with a seed."""

from __future__ import annotations

import pandas as pd

from flowlab.core.definition.context import current_seed
from flowlab.core.definition.operator import operator
from flowlab.core.definition.output import Output
from flowlab.errors import FlowTypeError
from flowlab.library import data
from flowlab.library.frames import is_dask, operator_name, require_columns
from flowlab.types import DATASET, DOUBLE, ENUM, INTEGER, TEXT, Schema

SPLIT_METHODS = ("random", "stratified", "group")


@operator(
    input_schema=Schema(source=TEXT(description="parquet/CSV path, fsspec URI or catalog name")),
    returns=Schema(dataset=DATASET),
)
def LoadDatasetOperator(source):  # noqa: N802
    """Read a parquet or CSV file (any fsspec URI) or a catalog dataset into a DATASET.

    Example::

        ops.LoadDatasetOperator(source="s3://bucket/train.parquet").dataset
    """
    return Output(dataset=data.load(source))


@operator(
    input_schema=Schema(dataset=DATASET, name=TEXT, description=TEXT),
    returns=Schema(name=TEXT),
)
def RegisterDatasetOperator(dataset, name, description=""):  # noqa: N802
    """Register ``dataset`` in the catalog under ``name`` (later runs can pass the name).

    Example::

        ops.RegisterDatasetOperator(dataset=features.dataset, name="churn_features").name
    """
    data.register(name, dataset, description=description)
    return Output(name=name)


def _hash_fraction(column, seed: int):
    """A number in [0, 1) per row, equal for equal values of ``column`` (per seed)."""
    hashed = pd.util.hash_pandas_object(column.astype(str) + f"#{seed}", index=False)
    return (hashed % 1_000_003) / 1_000_003


def split_frame(frame, train: float, method: str, column: str | None, seed: int):
    """``(train_part, evaluation_part)`` of a pandas or dask DataFrame.

    Example::

        split_frame(df, 0.8, "group", "query_id", seed=1)
    """
    owner = operator_name("SplitOperator")
    if method in ("stratified", "group") and not column:
        what = "the label column" if method == "stratified" else "the query id column"
        raise FlowTypeError(f"input 'column' of operator '{owner}': a {method} split needs {what}")
    require_columns(frame, {"column": column}, owner)
    if is_dask(frame):
        return _split_dask(frame, train, method, column, seed, owner)
    if method == "group":
        from sklearn.model_selection import GroupShuffleSplit

        splitter = GroupShuffleSplit(n_splits=1, train_size=train, random_state=seed)
        train_rows, evaluation_rows = next(splitter.split(frame, groups=frame[column]))
        return frame.iloc[train_rows], frame.iloc[evaluation_rows]
    from sklearn.model_selection import train_test_split

    return train_test_split(
        frame,
        train_size=train,
        random_state=seed,
        stratify=frame[column] if method == "stratified" else None,
    )


def _split_dask(frame, train, method, column, seed, owner):
    if method == "stratified":
        # exact strata need the whole label column in memory; a random split of a large
        # dask DataFrame keeps each class's share in expectation
        print(f"{owner}: dask DataFrame: stratified split done as a random split")
    if method == "group":
        fraction = frame[column].map_partitions(_hash_fraction, seed, meta=(column, "f8"))
        return frame[fraction < train], frame[fraction >= train]
    return tuple(frame.random_split([train, 1 - train], random_state=seed))


@operator(
    input_schema=Schema(
        dataset=DATASET,
        train=DOUBLE(min=0, max=1, description="share of rows (or groups) for training"),
        method=ENUM(*SPLIT_METHODS),
        column=TEXT(description="label column (stratified) or query id column (group)"),
        seed=INTEGER,
    ),
    returns=Schema(train=DATASET, evaluation=DATASET),
)
def SplitOperator(dataset, train=0.8, method="random", column=None, seed=None):  # noqa: N802
    """Split a dataset into train and evaluation parts: at random, stratified by a label
    column, or by group (every row of a query on the same side). A dask DataFrame stays
    dask (its stratified split is a random one, stratified in expectation). ``seed`` defaults to the operator's run-derived seed.

    Example::

        split = ops.SplitOperator(dataset=df, train=0.8, method="group", column="query_id")
        split.train, split.evaluation
    """
    if not 0 < train < 1:
        raise ValueError(
            f"input 'train' of operator '{operator_name('SplitOperator')}': {train} must be "
            "strictly between 0 and 1"
        )
    seed = current_seed(0) if seed is None else seed
    train_part, evaluation_part = split_frame(dataset, train, method, column, seed)
    return Output(train=train_part, evaluation=evaluation_part)
