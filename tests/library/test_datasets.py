"""Shipped datasets, loading from files and frames, the catalog, and the three splits."""

from __future__ import annotations

import dask.dataframe as dd
import pandas as pd
import pytest

import flowlab
from flowlab.library import data
from flowlab.library import operators as ops


def test_shipped_datasets_have_their_shapes_and_label_columns():
    assert data.iris().shape == (150, 5)
    cancer = data.breast_cancer()
    assert cancer.shape == (569, 31) and set(cancer.malignant) == {0, 1}
    assert "mean_radius" in cancer.columns
    diabetes = data.diabetes()
    assert diabetes.shape == (442, 11) and diabetes.progression.dtype == float
    ranking = data.ranking_demo()
    assert ranking.query_id.nunique() == 120 and set(ranking.relevance) == {0, 1, 2, 3, 4}
    # rows of a query are contiguous, and the set is the same every time
    assert ranking.query_id.is_monotonic_increasing
    pd.testing.assert_frame_equal(ranking, data.ranking_demo())


def test_shipped_names_work_as_dataset_inputs():
    frame = ops.LoadDatasetOperator(source="ranking_demo").dataset
    assert len(frame) == len(data.ranking_demo())
    assert flowlab.types.DATASET.fits("iris_labeled") is None


def test_load_reads_parquet_csv_pandas_and_dask(tmp_path):
    frame = data.iris()
    frame.to_parquet(tmp_path / "iris.parquet")
    frame.to_csv(tmp_path / "iris.csv", index=False)
    assert data.load(str(tmp_path / "iris.parquet")).shape == (150, 5)
    assert data.load(str(tmp_path / "iris.csv")).shape == (150, 5)
    assert data.load(frame) is frame
    lazy = data.load(str(tmp_path / "iris.parquet"), npartitions=3)
    assert isinstance(lazy, dd.DataFrame) and lazy.npartitions == 3
    assert isinstance(data.load(frame, npartitions=2), dd.DataFrame)
    with pytest.raises(TypeError, match="expected a DataFrame"):
        data.load(42)


def test_register_makes_a_catalog_name(tmp_path):
    lazy = dd.from_pandas(data.diabetes(), npartitions=2)
    entry = data.register("diabetes_copy", lazy, "a copy")
    assert entry["rows"] == 442
    name = ops.RegisterDatasetOperator(dataset=data.iris(), name="iris_copy").name
    assert flowlab.datasets.load(name).shape == (150, 5)
    assert "ranking_demo" in data.register_examples()
    assert flowlab.datasets.get("ranking_demo")["rows"] == len(data.ranking_demo())


def test_random_split_is_seeded():
    frame = data.diabetes()
    one = ops.SplitOperator(dataset=frame, train=0.75, seed=5)
    two = ops.SplitOperator(dataset=frame, train=0.75, seed=5)
    other = ops.SplitOperator(dataset=frame, train=0.75, seed=6)
    assert len(one.train) == 331 and len(one.evaluation) == 111
    assert list(one.train.index) == list(two.train.index) != list(other.train.index)


def test_stratified_split_keeps_class_shares():
    split = ops.SplitOperator(dataset=data.iris(), method="stratified", column="species", seed=1)
    assert split.evaluation.species.value_counts().tolist() == [10, 10, 10]


def test_group_split_keeps_each_query_on_one_side():
    frame = data.ranking_demo()
    split = ops.SplitOperator(dataset=frame, method="group", column="query_id", seed=2)
    train, evaluation = set(split.train.query_id), set(split.evaluation.query_id)
    assert not train & evaluation and len(train | evaluation) == 120
    assert len(evaluation) == 24


def test_dask_splits_stay_dask_and_keep_groups_apart():
    lazy = dd.from_pandas(data.ranking_demo(), npartitions=4)
    split = ops.SplitOperator(dataset=lazy, method="group", column="query_id", seed=2)
    assert isinstance(split.train, dd.DataFrame)
    train, evaluation = split.train.compute(), split.evaluation.compute()
    assert len(train) + len(evaluation) == len(data.ranking_demo())
    assert not set(train.query_id) & set(evaluation.query_id)
    random = ops.SplitOperator(dataset=lazy, train=0.5, seed=1)
    assert 0 < len(random.train.compute()) < len(data.ranking_demo())


def test_split_errors_name_the_input_and_operator():
    with pytest.raises(TypeError, match="input 'column' of operator 'SplitOperator'.*'nope'"):
        ops.SplitOperator(dataset=data.iris(), method="group", column="nope")
    with pytest.raises(TypeError, match="input 'column' of operator 'SplitOperator'"):
        ops.SplitOperator(dataset=data.iris(), method="stratified")
    with pytest.raises(ValueError, match="input 'train' of operator 'SplitOperator'"):
        ops.SplitOperator(dataset=data.iris(), train=1.0)
