"""Every type reads text (a form box, ``--input k=v``, a query string) into its value, or
says what it expected: ``t.parse_text(text)``."""

from __future__ import annotations

import pandas as pd
import pytest
import xarray as xr

from flowlab import types
from flowlab.errors import FlowTypeError
from flowlab.types import Model


@pytest.mark.parametrize(
    "flow_type,text,value",
    [
        (types.INTEGER, "3", 3),
        (types.INTEGER, " -12 ", -12),
        (types.DOUBLE, "0.5", 0.5),
        (types.DOUBLE, "1e-3", 0.001),
        (types.DOUBLE, "2", 2.0),
        (types.TEXT, "hello world", "hello world"),
        (types.BOOL, "true", True),
        (types.BOOL, "No", False),
        (types.BOOL, "1", True),
        (types.ENUM("gbdt", "tree"), "tree", "tree"),
        (types.ENUM(1, 2), "2", 2),
        (types.LIST(types.INTEGER), "1, 2,3", [1, 2, 3]),
        (types.LIST(types.INTEGER), "[1, 2]", [1, 2]),
        (types.LIST(types.TEXT), "a, b c", ["a", "b c"]),
        (types.LIST(types.DOUBLE), "0.5,", [0.5]),
        (types.LIST, '["a", 1]', ["a", 1]),
        (types.DICT, '{"a": 1, "b": [2]}', {"a": 1, "b": [2]}),
        (types.FEATURES, "petal_width, sepal_width", ["petal_width", "sepal_width"]),
        (types.FEATURES, '["a", "b"]', ["a", "b"]),
        (types.FlowType(), "[1, 2]", [1, 2]),
        (types.FlowType(), "plain words", "plain words"),
    ],
)
def test_text_reads_as_the_value(flow_type, text, value):
    assert flow_type.parse_text(text, "input 'x'") == value


@pytest.mark.parametrize(
    "flow_type,text,message",
    [
        (types.INTEGER, "3.7", r"expected an integer \(INTEGER\), found '3.7'"),
        (types.INTEGER, "37abc", "expected an integer"),
        (types.INTEGER, "1_000", "expected an integer"),
        (types.INTEGER(min=1), "0", "0 is below the minimum 1"),
        (types.DOUBLE, "1,5", r"expected a number \(DOUBLE\), found '1,5'"),
        (types.DOUBLE, "nan", "expected a number"),
        (types.DOUBLE(max=1), "1.5", "above the maximum 1"),
        (types.BOOL, "maybe", r"expected true or false \(BOOL\), found 'maybe'"),
        (types.ENUM("gbdt", "tree"), "forest", "expected one of gbdt, tree"),
        (types.LIST(types.INTEGER), "1, x", r"input 'x'\[1\]: expected an integer"),
        (types.LIST(types.INTEGER), "1,,2", "item 2 of '1,,2' is empty"),
        (types.LIST(types.INTEGER), "[1, 2", "not JSON"),
        (types.DICT, "{a: 1}", r"expected a JSON object \(DICT\), found '\{a: 1\}': not JSON"),
        (types.DICT, "[1]", "expected a mapping"),
        (types.FEATURES, "a, a", "column 'a' named twice"),
        (types.FILE, "/no/such/file.txt", "file '/no/such/file.txt' does not exist"),
        (types.DATASET, "/no/such/table.csv", "does not exist"),
        (types.MODEL, "/no/such.model.zip", "expected the path of a MODEL file"),
        (types.ARRAY, "/no/such.nc", "expected the path of a ARRAY file"),
    ],
)
def test_bad_text_names_what_was_expected(flow_type, text, message):
    with pytest.raises(FlowTypeError, match=message) as caught:
        flow_type.parse_text(text, "input 'x'")
    assert str(caught.value).startswith("input 'x'")


@pytest.mark.parametrize(
    "flow_type",
    [
        types.INTEGER,
        types.DOUBLE,
        types.TEXT,
        types.BOOL,
        types.ENUM("a"),
        types.LIST(types.INTEGER),
        types.DICT,
        types.DATASET,
        types.MODEL,
        types.FEATURES,
        types.FILE,
        types.ARRAY,
    ],
)
def test_empty_text_is_an_error_when_required_and_none_when_optional(flow_type):
    for empty in ("", "   "):
        with pytest.raises(FlowTypeError, match=r"input 'x': expected .*, found nothing"):
            flow_type.parse_text(empty, "input 'x'")
        assert flow_type(optional=True).parse_text(empty, "input 'x'") is None


def test_empty_file_is_never_the_current_directory():
    with pytest.raises(FlowTypeError, match=r"expected a path or URI \(FILE\), found nothing"):
        types.FILE.parse_text("", "input 'config'")
    with pytest.raises(FlowTypeError, match="found nothing"):
        types.FILE(must_exist=False).parse_text(" ", "input 'config'")


def test_file_dataset_model_and_array_read_paths(tmp_path):
    config = tmp_path / "config.json"
    config.write_text("{}")
    assert types.FILE.parse_text(str(config)) == str(config)

    table = tmp_path / "t.csv"
    pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}).to_csv(table, index=False)
    with_a = types.DATASET(schema=(("a", types.INTEGER),))
    assert with_a.parse_text(str(table)) == str(table)
    assert with_a.parse_text(f"file://{table}") == f"file://{table}"
    with pytest.raises(FlowTypeError, match="column 'c' \\(DOUBLE\\) is missing"):
        types.DATASET(schema=(("c", types.DOUBLE),)).parse_text(str(table), "input 'd'")

    from sklearn.dummy import DummyClassifier

    estimator = DummyClassifier().fit([[0], [1]], [0, 1])
    model_file = tmp_path / "m.model.zip"
    model_file.write_bytes(types.MODEL.serialise(Model(estimator=estimator, features=["a"])))
    model = types.MODEL.parse_text(str(model_file))
    assert isinstance(model, Model) and model.features == ["a"]
    not_a_model = tmp_path / "x.model.zip"
    not_a_model.write_text("hello")
    with pytest.raises(FlowTypeError, match="expected a flowlab model file"):
        types.MODEL.parse_text(str(not_a_model), "input 'm'")

    array_file = tmp_path / "a.nc"
    array_file.write_bytes(types.ARRAY.serialise(xr.DataArray([[1.0, 2.0]], dims=("x", "y"))))
    assert types.ARRAY.parse_text(str(array_file)).values.tolist() == [[1.0, 2.0]]
    assert types.ARRAY.parse_text("[[1, 2], [3, 4]]").shape == (2, 2)


def test_dataset_text_may_be_a_catalog_name(iris_catalog):
    with_width = types.DATASET(schema=(("petal_width", types.INTEGER),))
    assert with_width.parse_text("iris_unlabeled") == "iris_unlabeled"
    with pytest.raises(FlowTypeError, match="column 'species' \\(TEXT\\) is missing"):
        types.DATASET(schema=(("species", types.TEXT),)).parse_text("iris_unlabeled", "input 'd'")
