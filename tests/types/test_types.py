"""Each type validates, describes itself as JSON Schema, and round-trips through its serialiser."""

from __future__ import annotations

import pandas as pd
import pytest
import xarray as xr

from flowlab import types
from flowlab.errors import FlowTypeError


@pytest.mark.parametrize(
    "flow_type,good,bad",
    [
        (types.INTEGER, 3, "3"),
        (types.INTEGER, 4.0, 4.5),
        (types.DOUBLE, 0.5, "x"),
        (types.TEXT, "a", 1),
        (types.BOOL, True, 1),
        (types.ENUM("a", "b"), "a", "c"),
        (types.LIST(types.INTEGER), [1, 2], [1, "x"]),
        (types.DICT, {"a": 1}, [1]),
        (types.FEATURES, ["a", "b"], [1]),
    ],
)
def test_scalar_and_container_types_accept_good_and_refuse_bad(flow_type, good, bad):
    flow_type.validate(good, "input 'x'")
    with pytest.raises(TypeError, match="input 'x'"):
        flow_type.validate(bad, "input 'x'")


def test_integer_bounds_name_the_limit():
    depth = types.INTEGER(min=1, max=10)
    with pytest.raises(FlowTypeError, match="below the minimum 1"):
        depth.validate(0, "input 'max_depth'")
    assert depth.json_schema() == {
        "x-flowlab-type": "INTEGER",
        "type": "integer",
        "minimum": 1,
        "maximum": 10,
    }


def test_schema_json_schema_lists_fields_defaults_and_required():
    schema = types.Schema(
        a=types.INTEGER(default=4, description="depth"),
        b=types.DATASET(schema=(("x", types.DOUBLE),)),
    )
    js = schema.json_schema()
    assert js["required"] == ["b"]
    assert js["properties"]["a"] == {
        "x-flowlab-type": "INTEGER",
        "type": "integer",
        "description": "depth",
        "default": 4,
    }
    assert js["properties"]["b"]["x-columns"] == {"x": "DOUBLE"}


def test_dataset_missing_column_names_column_place_and_present_columns():
    ds = types.DATASET(schema=(("sepal_width", types.INTEGER), ("species", types.TEXT)))
    frame = pd.DataFrame({"petal_width": [1], "species": ["a"]})
    with pytest.raises(TypeError) as info:
        ds.validate(frame, "input 'labeled_data' of workflow 'iris'")
    assert str(info.value) == (
        "input 'labeled_data' of workflow 'iris': column 'sepal_width' "
        "(INTEGER) is missing; the dataset has petal_width, species"
    )


def test_dataset_accepts_dask_frames_and_csv_paths(tmp_path):
    import dask.dataframe as dd

    frame = pd.DataFrame({"x": [1, 2], "y": ["a", "b"]})
    ds = types.DATASET(schema=(("x", types.INTEGER), ("y", types.TEXT)))
    ds.validate(dd.from_pandas(frame, npartitions=1), "d")
    frame.to_csv(tmp_path / "t.csv", index=False)
    ds.validate(str(tmp_path / "t.csv"), "d")
    assert ds.load(str(tmp_path / "t.csv")).equals(frame.astype({"y": object})) or list(
        ds.load(str(tmp_path / "t.csv"))["x"]
    ) == [1, 2]
    with pytest.raises(TypeError, match="does not exist"):
        ds.validate(str(tmp_path / "missing.csv"), "input 'd'")


def test_dataset_round_trips_through_parquet():
    frame = pd.DataFrame({"x": [1, 2], "y": ["a", "b"]})
    back = types.DATASET.deserialise(types.DATASET.serialise(frame))
    assert back["x"].tolist() == [1, 2] and back["y"].tolist() == ["a", "b"]


def test_model_round_trips_through_skops_with_metadata():
    from sklearn.tree import DecisionTreeClassifier

    tree = DecisionTreeClassifier(max_depth=2).fit([[0], [1], [2], [3]], ["a", "a", "b", "b"])
    model = types.Model(
        estimator=tree, features=["x"], label="y", library="scikit-learn", params={"max_depth": 2}
    )
    back = types.MODEL.deserialise(types.MODEL.serialise(model))
    assert back.features == ["x"] and back.params == {"max_depth": 2}
    assert list(back.predict(pd.DataFrame({"x": [0, 3]}))) == ["a", "b"]


def test_array_round_trips_through_netcdf():
    array = xr.DataArray([[1.0, 2.0]], dims=("a", "b"), name="v")
    back = types.ARRAY.deserialise(types.ARRAY.serialise(array))
    assert back.equals(array)


def test_file_checks_existence(tmp_path):
    path = tmp_path / "f.txt"
    path.write_text("x")
    assert types.FILE.validate(str(path), "input 'f'") == str(path)
    with pytest.raises(TypeError, match="input 'f': file .* does not exist"):
        types.FILE.validate(str(tmp_path / "nope"), "input 'f'")


def test_annotations_map_to_types():
    assert types.as_flow_type(int) is types.INTEGER
    assert types.as_flow_type(str) is types.TEXT
    with pytest.raises(TypeError, match="not a flowlab type"):
        types.as_flow_type(object)
