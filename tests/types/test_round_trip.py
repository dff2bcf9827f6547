"""Property tests: every type round-trips through its JSON description and its serialiser.

``from_json(t.to_json()) == t`` (through JSON text, as the Graph and the run record keep it),
and the rebuilt type accepts and refuses exactly what ``t`` does, with the same messages.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowlab import types
from flowlab.errors import FlowTypeError
from flowlab.store.artifacts import ArtifactStore
from tests.types.strategies import flow_types, names, texts, values

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _outcome(flow_type, value):
    try:
        result = flow_type.validate(value, "input 'x'")
    except FlowTypeError as e:
        return ("refused", str(e))
    if isinstance(result, pd.DataFrame):
        return ("accepted", result.to_json())
    return ("accepted", repr(result))


def _rebuilt(flow_type):
    return types.from_json(json.loads(json.dumps(flow_type.to_json())))


@SETTINGS
@given(flow_types)
def test_every_type_rebuilds_exactly_from_its_json(flow_type):
    rebuilt = _rebuilt(flow_type)
    assert rebuilt == flow_type
    assert type(rebuilt) is type(flow_type)
    assert rebuilt.to_json() == flow_type.to_json()
    assert (rebuilt.default, rebuilt.description, rebuilt.optional) == (
        flow_type.default,
        flow_type.description,
        flow_type.optional,
    )


def _frame_for(flow_type) -> pd.DataFrame:
    columns = {}
    for name, column in (flow_type.schema or {}).items():
        if column.name == "ENUM":
            columns[name] = pd.Series([column.choices[0]] * 2, dtype=object)
        elif column.name == "INTEGER":
            columns[name] = [column.min if column.min is not None else 1] * 2
        else:
            columns[name] = {"DOUBLE": [0.5, 1.5], "TEXT": ["a", "b"], "BOOL": [True, False]}[
                column.name
            ]
    return pd.DataFrame(columns or {"v": [1, 2]})


@SETTINGS
@given(flow_types, st.lists(values, max_size=6), st.integers(-100, 100))
def test_rebuilt_type_accepts_and_refuses_what_the_original_does(flow_type, tries, number):
    rebuilt = _rebuilt(flow_type)
    candidates = [*tries, number, float(number), [number], {"k": number}, "a", "c"]
    if flow_type.name == "ENUM":
        candidates += list(flow_type.choices)
    if flow_type.name == "DATASET":
        candidates += [_frame_for(flow_type), pd.DataFrame({"other": [1]})]
    if flow_type.name in ("LIST", "DICT"):
        candidates += [["a", 1], {"a": [1, 2]}]
    for value in candidates:
        assert _outcome(rebuilt, value) == _outcome(flow_type, value), value


# -- serialiser round trip ------------------------------------------------------------------------
_TREE = None


def _model():
    global _TREE
    if _TREE is None:
        from sklearn.tree import DecisionTreeClassifier

        tree = DecisionTreeClassifier(max_depth=2).fit([[0], [1], [2], [3]], ["a", "a", "b", "b"])
        _TREE = types.Model(tree, features=["x"], label="y", params={"max_depth": 2})
    return _TREE


def values_for(flow_type, tmp_file: str):
    """A strategy of values ``flow_type`` accepts."""
    name = flow_type.name
    if name == "INTEGER":
        low = flow_type.min if flow_type.min is not None else -100
        return st.integers(low, flow_type.max if flow_type.max is not None else low + 200)
    if name == "DOUBLE":
        low = flow_type.min if flow_type.min is not None else -1e3
        high = flow_type.max if flow_type.max is not None else low + 2e3
        return st.floats(low, high)
    if name == "ENUM":
        return st.sampled_from(flow_type.choices)
    if name == "TEXT":
        return texts
    if name == "BOOL":
        return st.booleans()
    if name == "ANY":
        return values
    if name == "FEATURES":
        return st.lists(names, max_size=3)
    if name == "FILE":
        return st.just(tmp_file)
    if name == "MODEL":
        return st.just(_model())
    if name == "ARRAY":
        return st.lists(st.floats(-5, 5), min_size=1, max_size=4).map(
            lambda xs: xr.DataArray(np.array(xs), dims="t", name="v")
        )
    if name == "DATASET":
        return st.just(_frame_for(flow_type))
    if name == "LIST":
        item = values_for(flow_type.item, tmp_file) if flow_type.item is not None else values
        return st.lists(item, max_size=3)
    if name == "DICT":
        item = values_for(flow_type.values, tmp_file) if flow_type.values is not None else values
        return st.dictionaries(names, item, max_size=3)
    raise AssertionError(name)


def _same(a, b) -> bool:
    if isinstance(a, pd.DataFrame):  # parquet may read text columns back as another dtype
        pd.testing.assert_frame_equal(a, b, check_dtype=False)
        return True
    if isinstance(a, types.Model):
        return a.meta() == b.meta() and list(a.predict(pd.DataFrame({"x": [0, 3]}))) == list(
            b.predict(pd.DataFrame({"x": [0, 3]}))
        )
    if isinstance(a, xr.DataArray):
        return a.equals(b)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b or (a != a and b != b)  # NaN


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    root = tmp_path_factory.mktemp("artifacts")
    (root / "input.txt").write_text("a file")
    return ArtifactStore(str(root / "store")), str(root / "input.txt")


@settings(SETTINGS, max_examples=60)
@given(data=st.data(), flow_type=flow_types)
def test_every_type_round_trips_through_its_serialiser(artifacts, data, flow_type):
    store, tmp_file = artifacts
    value = flow_type.validate(data.draw(values_for(flow_type, tmp_file)), "value")
    recorded = json.loads(json.dumps(flow_type.encode(value, store)))
    back = _rebuilt(flow_type).decode(recorded, store)
    assert _same(value, back), (value, back)
    exact = json.loads(json.dumps(flow_type.encode(value, store, exact=True)))
    assert _same(value, flow_type.decode(exact, store))


def test_nested_list_of_datasets_keeps_each_frame_as_an_artifact(artifacts):
    from flowlab.store.values import dump_value, load_value

    store, _ = artifacts
    frames = [pd.DataFrame({"a": [1]}), pd.DataFrame({"a": [2, 3]})]
    kind = types.LIST(types.DATASET(schema={"a": types.INTEGER}))
    recorded = dump_value(kind, frames, store)
    assert [r["type"] for r in recorded] == ["DATASET", "DATASET"]
    assert [len(f) for f in load_value(recorded, store)] == [1, 2]


def test_content_hash_is_stable_and_sees_the_value():
    frame = pd.DataFrame({"a": [1, 2]})
    assert types.DATASET.content_hash(frame) == types.DATASET.content_hash(frame.copy())
    assert types.DATASET.content_hash(frame) != types.DATASET.content_hash(frame + 1)
    assert types.INTEGER.content_hash(3) == types.INTEGER.content_hash(3)
    assert types.LIST.content_hash([1, 2]) != types.LIST.content_hash([2, 1])
