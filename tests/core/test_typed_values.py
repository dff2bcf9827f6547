"""Typed channels on a real cluster: an operator receives the same Python type whatever path the
value took (fresh parent or cached parent), and declared workflow outputs keep their options."""

from __future__ import annotations

import pandas as pd
import pytest

import flowlab
from flowlab import Output, types


@flowlab.operator(returns=types.Schema(model=types.MODEL, table=types.DATASET))
def fit_raw(rows: int):
    from sklearn.linear_model import LinearRegression

    frame = pd.DataFrame({"x": [float(i) for i in range(rows)]})
    frame["y"] = 2 * frame["x"]
    # a bare scikit-learn estimator, as users return it
    return {"model": LinearRegression().fit(frame[["x"]], frame["y"]), "table": frame}


@flowlab.operator(returns=types.Schema(model_type=types.TEXT, table_type=types.TEXT))
def describe(model: types.MODEL, table: types.DATASET, label: str):
    return {
        "model_type": f"{type(model).__module__}.{type(model).__name__}",
        "table_type": f"{type(table).__module__}.{type(table).__name__}",
    }


@flowlab.workflow(returns=types.Schema(model_type=types.TEXT, table_type=types.TEXT))
def fit_then_describe(rows: int = 5, label: str = "a"):
    fitted = fit_raw(rows=rows)
    out = describe(model=fitted.model, table=fitted.table, label=label)
    return Output(model_type=out.model_type, table_type=out.table_type)


def test_fresh_and_cached_parents_hand_the_same_python_type(client):
    fresh = fit_then_describe.launch(rows=7, label="fresh")
    fresh_out = fresh.result(timeout=60)
    assert fresh.operators["fit_raw"].state == "succeeded"
    cached = fit_then_describe.launch(rows=7, label="cached")
    cached_out = cached.result(timeout=60)
    assert cached.operators["fit_raw"].state == "cached"
    assert cached.operators["describe"].state == "succeeded"
    assert fresh_out.model_type == cached_out.model_type == "flowlab.types.model.Model"
    assert fresh_out.table_type == cached_out.table_type == "pandas.DataFrame"


def test_a_series_reaches_an_operator_as_a_one_column_frame(client):
    @flowlab.workflow(returns=types.Schema(columns=types.LIST(types.TEXT)))
    def columns_of(y_train: types.DATASET(schema={"price": types.DOUBLE})):
        return Output(columns=list_columns(frame=y_train).columns)

    series = pd.Series([1.0, 2.0, 3.0], name="price")
    assert columns_of.launch(y_train=series).result(timeout=60).columns == ["price"]


@flowlab.operator(returns=types.Schema(columns=types.LIST(types.TEXT)))
def list_columns(frame: types.DATASET):
    return {"columns": [str(c) for c in frame.columns]}


@flowlab.operator(returns=types.Schema(value=types.ANY))
def echo(value):
    return {"value": value}


def _typed_outputs():
    @flowlab.workflow(
        returns=types.Schema(
            algorithm=types.ENUM("gbdt", "tree"),
            depth=types.INTEGER(min=1, max=10),
            sizes=types.LIST(types.INTEGER),
        )
    )
    def typed_outputs(algorithm="gbdt", depth=3, sizes=(1, 2)):
        return Output(
            algorithm=echo(value=algorithm).value,
            depth=echo(value=depth).value,
            sizes=echo(value=list(sizes)).value,
        )

    return typed_outputs


def test_valid_enum_bounded_integer_and_list_outputs_are_kept(client):
    out = _typed_outputs().launch(algorithm="tree", depth=10, sizes=[3, 4]).result(timeout=60)
    assert (out.algorithm, out.depth, out.sizes) == ("tree", 10, [3, 4])


@pytest.mark.parametrize(
    "inputs,message",
    [
        (
            {"algorithm": "forest"},
            "output 'algorithm' of workflow 'typed_outputs': expected one of",
        ),
        ({"depth": 0}, "output 'depth' of workflow 'typed_outputs': 0 is below the minimum 1"),
        ({"depth": 11}, "output 'depth' of workflow 'typed_outputs': 11 is above the maximum 10"),
        ({"sizes": ["a"]}, r"output 'sizes' of workflow 'typed_outputs'\[0\]: expected an integer"),
    ],
)
def test_invalid_outputs_are_refused_naming_the_output(client, inputs, message):
    run = _typed_outputs().launch(**inputs)
    with pytest.raises(flowlab.RunFailed, match=message):
        run.result(timeout=60)
    assert run.status == "failed"


def test_operators_receive_the_value_validate_normalised():
    """prepare_inputs hands the operator what ``validate`` returned, not the raw argument."""
    from sklearn.linear_model import LinearRegression

    assert list_columns(frame=pd.Series([1.0], name="price")).columns == ["price"]
    raw = LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0])
    out = describe(model=raw, table=pd.DataFrame({"a": [1]}), label="direct")
    assert out.model_type == "flowlab.types.model.Model"


@flowlab.workflow(returns=types.Schema(columns=types.LIST(types.TEXT)))
def untyped_parent_typed_child():
    return Output(columns=list_columns(frame=series_maker().value).columns)


@flowlab.operator(returns=types.Schema(value=types.ANY))
def series_maker():
    return {"value": pd.Series([1.0, 2.0], name="y")}


def test_an_untyped_parent_output_is_normalised_by_the_child_input_type(client):
    run = untyped_parent_typed_child.launch(cache=False)
    assert run.result(timeout=60).columns == ["y"]
