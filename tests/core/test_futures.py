"""Values not known while compiling refuse every question about their value, loudly."""

from __future__ import annotations

import pytest

from flowlab import Output, operator, types, workflow
from flowlab.errors import CompileError
from tests.core import ops


@operator(returns=types.Schema(heads=types.BOOL))
def coin_toss(seed: int):
    return {"heads": seed % 2 == 0}


@operator(returns=types.Schema(items=types.LIST(types.INTEGER)))
def make_items(n: int):
    return {"items": list(range(n))}


@operator(returns=types.Schema(train=types.DOUBLE, test=types.DOUBLE))
def split_two(x: float):
    return {"train": x, "test": -x}


@workflow(returns=types.Schema(total=types.INTEGER))
def tosses(s: int = 1):
    if coin_toss(seed=s):
        return Output(total=ops.add(a=1, b=1).total)
    return Output(total=ops.add(a=2, b=2).total)


def test_if_on_an_operator_call_is_a_compile_error_pointing_to_branch():
    with pytest.raises(CompileError, match="not known while the workflow compiles") as info:
        tosses.compile(s=3)
    message = str(info.value)
    assert "coin_toss" in message and "flowlab.branch" in message and "op.map" in message


def _compile_body(body):
    """Compile a one-operator workflow whose body then does ``body(future)``."""

    @workflow(returns=types.Schema(total=types.INTEGER))
    def probe(n: int = 3):
        body(make_items(n=n), make_items(n=n).items)
        return Output(total=ops.add(a=1, b=2).total)

    return probe.compile()


@pytest.mark.parametrize(
    "question, words",
    [
        (lambda call, ref: bool(ref), "condition"),
        (lambda call, ref: ref < 3, "(<)"),
        (lambda call, ref: ref <= 3, "(<=)"),
        (lambda call, ref: ref > 3, "(>)"),
        (lambda call, ref: ref >= 3, "(>=)"),
        (lambda call, ref: 3 <= ref, "(>=)"),
        (lambda call, ref: ref == 3, "(==)"),
        (lambda call, ref: ref != 3, "(!=)"),
        (lambda call, ref: [x for x in ref], "iterate"),
        (lambda call, ref: len(ref), "len()"),
        (lambda call, ref: 2 in ref, "membership"),
        (lambda call, ref: ref in [1, 2], "(==)"),
        (lambda call, ref: bool(call), "condition"),
        (lambda call, ref: call == 3, "(==)"),
        (lambda call, ref: list(call), "iterate"),
        (lambda call, ref: len(call), "len()"),
        (lambda call, ref: max(ref, 2), "cannot compare"),
        (lambda call, ref: range(ref), "as a number"),
        (lambda call, ref: int(ref), "as a number"),
        (lambda call, ref: float(ref), "as a number"),
        (lambda call, ref: sorted([ref, ref]), "(<)"),
    ],
)
def test_operator_futures_refuse_questions_about_their_value(question, words):
    with pytest.raises(CompileError) as info:
        _compile_body(question)
    message = str(info.value)
    assert words in message, message
    assert "make_items" in message and "flowlab.branch" in message and "op.map" in message


def test_workflow_input_reference_refuses_questions_about_its_value():
    @operator(returns=types.Schema(rows=types.INTEGER))
    def count(frame: types.DATASET):
        return {"rows": len(frame)}

    for question in (bool, len, list, lambda f: f == 1, lambda f: f < 1):

        @workflow(returns=types.Schema(rows=types.INTEGER))
        def uses(frame: types.DATASET, question=question):
            question(frame)
            return Output(rows=count(frame=frame).rows)

        with pytest.raises(CompileError, match="workflow input 'frame' .DATASET.: its value"):
            uses.compile(frame=_frame())


def _frame():
    import pandas as pd

    return pd.DataFrame({"a": [1, 2]})


def test_nested_workflow_future_refuses_questions_about_its_value():
    @workflow(returns=types.Schema(total=types.INTEGER))
    def outer(a: int = 1):
        inner = ops.add_twice(a=a, b=1)
        if inner.total > 2:
            return Output(total=inner.total)
        return Output(total=ops.add(a=inner.total, b=1).total)

    with pytest.raises(CompileError, match=r"cannot compare \(>\) output 'total'"):
        outer.compile()


def test_unpacking_a_multi_output_call_names_its_outputs():
    @workflow(returns=types.Schema(total=types.DOUBLE))
    def unpacks(x: float = 1.0):
        train, test = split_two(x=x)
        return Output(total=ops.double(x=train).value)

    with pytest.raises(
        CompileError, match="cannot unpack or iterate operator call 'split_two'"
    ) as e:
        unpacks.compile()
    assert "split_two.train, split_two.test" in str(e.value)


def test_futures_stay_usable_as_dict_keys_and_set_members():
    seen = {}

    @workflow(returns=types.Schema(total=types.INTEGER))
    def keyed(a: int = 1):
        first, second = ops.add(a=a, b=1), ops.add(a=a, b=2)
        refs = {first.total, second.total, first.total}
        seen[first] = "first"
        seen[second] = "second"
        assert len(refs) == 3 and first in seen and seen[second] == "second"
        return Output(total=ops.add(a=first, b=second).total)

    graph = keyed.compile()
    assert list(graph.nodes) == ["add", "add_2", "add_3"]
    assert graph.nodes["add_3"].inputs == {
        "a": {"$ref": ["add", "total"]},
        "b": {"$ref": ["add_2", "total"]},
    }


@workflow(returns=types.Schema(low=types.INTEGER, high=types.INTEGER))
def low_high(a: int = 1):
    return Output(low=ops.add(a=a, b=0).total, high=ops.add(a=a, b=100))


def test_unpacking_a_nested_multi_output_workflow_names_its_outputs():
    @workflow(returns=types.Schema(total=types.INTEGER))
    def outer(a: int = 1):
        low, high = low_high(a=a)
        return Output(total=ops.add(a=low, b=high).total)

    with pytest.raises(
        CompileError, match="cannot unpack or iterate nested workflow 'low_high'"
    ) as e:
        outer.compile()
    assert "low_high.low, low_high.high" in str(e.value)


def test_nested_workflow_outputs_by_name_and_by_item_wire_like_an_operator(client):
    @workflow(returns=types.Schema(total=types.INTEGER, copied=types.INTEGER))
    def outer_by_name(a: int = 1):
        inner = low_high(a=a)
        return Output(total=ops.add(a=inner.low, b=inner["high"]).total, copied=inner.high)

    graph = outer_by_name.compile(a=2)
    assert graph.nodes["add"].inputs == {
        "a": {"$ref": ["low_high/add", "total"]},
        "b": {"$ref": ["low_high/add_2", "total"]},
    }
    assert graph.outputs["copied"] == {"$ref": ["low_high/add_2", "total"]}
    out = outer_by_name.launch(a=2, cache=False).result(timeout=60)
    assert out.total == 2 + 102 and out.copied == 102


def test_optional_dataset_input_left_out_is_none_in_the_body(client):
    @operator(returns=types.Schema(rows=types.INTEGER))
    def count_rows(frame: types.DATASET):
        return {"rows": len(frame)}

    @workflow(returns=types.Schema(rows=types.INTEGER))
    def maybe(frame: types.DATASET = None, fallback: types.DATASET = None):
        chosen = frame if frame is not None else fallback
        return Output(rows=count_rows(frame=chosen).rows)

    graph = maybe.compile(fallback=_frame())
    assert graph.nodes["count_rows"].inputs == {"frame": {"$input": "fallback"}}
    assert graph.inputs["frame"] is None
    assert maybe.launch(fallback=_frame(), cache=False).result(timeout=60).rows == 2
