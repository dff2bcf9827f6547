"""Input shapes users have: a Series for a one-column DATASET, CSV files that need read options."""

from __future__ import annotations

import pandas as pd
import pytest

import flowlab
from flowlab import types
from flowlab.errors import FlowTypeError

WINE = "fixed acidity;volatile acidity;quality\n7.4;0.70;5\n7.8;0.88;5\n11.2;0.28;6\n"


@pytest.fixture
def wine_csv(tmp_path):
    path = tmp_path / "winequality-red.csv"
    path.write_text(WINE)
    return str(path)


def test_a_series_is_accepted_as_a_one_column_frame():
    y_train = pd.Series([1.5, 2.5], name="price")
    declared = types.DATASET(schema={"price": types.DOUBLE})
    frame = declared.validate(y_train, "input 'y_train'")
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == ["price"]
    unnamed = declared.validate(pd.Series([1.0]), "input 'y_train'")
    assert list(unnamed.columns) == ["price"]
    assert list(types.DATASET.validate(pd.Series([1], name="y"), "x").columns) == ["y"]


def test_a_series_where_two_columns_are_declared_is_refused_naming_them():
    declared = types.DATASET(schema={"a": types.DOUBLE, "b": types.DOUBLE})
    with pytest.raises(FlowTypeError, match="input 'xy': expected a table with columns a, b"):
        declared.validate(pd.Series([1.0], name="a"), "input 'xy'")
    one = types.DATASET(schema={"price": types.DOUBLE})
    with pytest.raises(FlowTypeError, match="column 'price' is missing; the Series is named 'p'"):
        one.validate(pd.Series([1.0], name="p"), "input 'y'")


def test_csv_read_options_after_a_question_mark(wine_csv):
    declared = types.DATASET(schema={"fixed acidity": types.DOUBLE, "quality": types.INTEGER})
    with pytest.raises(FlowTypeError, match="column 'fixed acidity' .* is missing"):
        declared.validate(wine_csv, "input 'wine'")  # read with ',' it is one column
    declared.validate(wine_csv + "?sep=;", "input 'wine'")
    frame = declared.load(wine_csv + "?sep=;")
    assert frame.shape == (3, 3) and frame["quality"].tolist() == [5, 5, 6]


def test_unknown_read_options_are_refused_naming_them(wine_csv):
    with pytest.raises(FlowTypeError, match=r"read options \{'separator': ';'\} .* read_csv"):
        types.DATASET.validate(wine_csv + "?separator=;", "input 'wine'")


def test_read_options_are_part_of_the_content_hash(wine_csv):
    plain = types.DATASET.content_hash(wine_csv)
    with_sep = types.DATASET.content_hash(wine_csv + "?sep=;")
    assert plain != with_sep
    assert with_sep == types.DATASET.content_hash(wine_csv + "?sep=%3B")


def test_catalog_registers_read_options(wine_csv):
    entry = flowlab.datasets.register("wine_test", wine_csv, read_options={"sep": ";"})
    assert entry["uri"] == wine_csv + "?sep=;"
    assert entry["schema"] == {
        "fixed acidity": "DOUBLE",
        "volatile acidity": "DOUBLE",
        "quality": "INTEGER",
    }
    assert flowlab.datasets.load("wine_test").shape == (3, 3)
    declared = types.DATASET(schema={"quality": types.INTEGER})
    assert declared.load("wine_test")["quality"].tolist() == [5, 5, 6]
    plain = flowlab.datasets.register("wine_plain_test", wine_csv)
    assert plain["hash"] != entry["hash"]
