"""Every channel's types are checked when the graph is compiled, before anything runs."""

from __future__ import annotations

import pandas as pd
import pytest

from flowlab import Output, operator, types, workflow
from flowlab.errors import ChannelTypeError, CompileError, FlowTypeError, SchemaError
from flowlab.types import DATASET, DOUBLE, ENUM, INTEGER, LIST, TEXT
from flowlab.types.compat import assignable
from tests.core import ops


@operator(returns=types.Schema(label=TEXT))
def make_label(n: int):
    return {"label": str(n)}


@operator(returns=types.Schema(count=INTEGER))
def make_count(n: int):
    return {"count": n}


@operator(returns=types.Schema(ratio=DOUBLE))
def make_ratio(n: int):
    return {"ratio": n / 2}


@operator(returns=types.Schema(ks=LIST(INTEGER), names=LIST(TEXT)))
def make_lists(n: int):
    return {"ks": list(range(n)), "names": [str(i) for i in range(n)]}


@operator(
    returns=types.Schema(
        frame=DATASET(schema=(("x", INTEGER), ("y", TEXT))),
        loose=DATASET,
    )
)
def make_frame(n: int):
    frame = pd.DataFrame({"x": range(n), "y": [str(i) for i in range(n)]})
    return {"frame": frame, "loose": frame}


@operator(returns=types.Schema(out=DOUBLE))
def train(max_depth: int, rate: float = 0.1):
    return {"out": max_depth * rate}


@operator(returns=types.Schema(total=DOUBLE))
def total_of(values: LIST(DOUBLE)):
    return {"total": float(sum(values))}


@operator(returns=types.Schema(rows=INTEGER))
def rows_of(frame: DATASET(schema=(("x", DOUBLE),))):
    return {"rows": len(frame)}


@operator(returns=types.Schema(rows=INTEGER))
def needs_z(frame: DATASET(schema=(("z", DOUBLE),))):
    return {"rows": len(frame)}


def test_text_output_into_integer_input_names_both_operators_output_and_input():
    @workflow(returns=types.Schema(out=DOUBLE))
    def mistyped(n: int = 3):
        return Output(out=train(max_depth=make_label(n=n).label).out)

    with pytest.raises(ChannelTypeError) as info:
        mistyped.compile()
    message = str(info.value)
    assert "output 'label' of operator 'make_label' (TEXT)" in message
    assert "input 'max_depth' of operator 'train' (INTEGER)" in message
    assert "workflow 'mistyped'" in message
    # one error, catchable as a type error and as a compile error
    assert isinstance(info.value, FlowTypeError) and isinstance(info.value, CompileError)
    assert isinstance(info.value, TypeError)


def test_single_output_call_passed_whole_is_checked_too():
    @workflow(returns=types.Schema(out=DOUBLE))
    def whole(n: int = 3):
        return Output(out=train(max_depth=make_label(n=n)).out)

    with pytest.raises(ChannelTypeError, match="output 'label' of operator 'make_label'"):
        whole.compile()


def test_widening_channels_compile():
    @workflow(returns=types.Schema(out=DOUBLE, total=DOUBLE, rows=INTEGER))
    def widening(n: int = 3):
        count = make_count(n=n).count
        lists = make_lists(n=n)
        frame = make_frame(n=n)
        return Output(
            out=train(max_depth=count, rate=count).out,  # INTEGER -> DOUBLE
            total=total_of(values=lists.ks).total,  # LIST(INTEGER) -> LIST(DOUBLE)
            rows=rows_of(frame=frame.frame).rows,  # declared x INTEGER fits x DOUBLE
        )

    graph = widening.compile()
    assert set(graph.nodes) >= {"train", "total_of", "rows_of"}


def test_double_into_integer_and_list_of_text_into_list_of_double_are_refused():
    @workflow(returns=types.Schema(out=DOUBLE))
    def narrowing(n: int = 3):
        return Output(out=train(max_depth=make_ratio(n=n).ratio).out)

    with pytest.raises(ChannelTypeError, match="a DOUBLE value is not an INTEGER"):
        narrowing.compile()

    @workflow(returns=types.Schema(total=DOUBLE))
    def listing(n: int = 3):
        return Output(total=total_of(values=make_lists(n=n).names).total)

    with pytest.raises(
        ChannelTypeError, match="its items do not fit: a TEXT value is not a DOUBLE"
    ):
        listing.compile()


def test_dataset_missing_a_required_column_is_refused_naming_the_column():
    @workflow(returns=types.Schema(rows=INTEGER))
    def columns(n: int = 3):
        return Output(rows=needs_z(frame=make_frame(n=n).frame).rows)

    with pytest.raises(ChannelTypeError, match="column 'z' .DOUBLE. is required") as info:
        columns.compile()
    assert "output 'frame' of operator 'make_frame'" in str(info.value)

    @workflow(returns=types.Schema(rows=INTEGER))
    def untyped_columns(n: int = 3):
        # an output that declares no columns is left to the run-time check
        return Output(rows=needs_z(frame=make_frame(n=n).loose).rows)

    assert "needs_z" in untyped_columns.compile().nodes


def test_literal_in_the_body_is_validated_at_compile_time():
    @workflow(returns=types.Schema(out=DOUBLE))
    def literal(n: int = 3):
        return Output(out=train(max_depth="deep").out)

    with pytest.raises(ChannelTypeError, match="input 'max_depth' of operator 'train'") as info:
        literal.compile()
    assert "expected an integer (INTEGER), found str 'deep'" in str(info.value)


def test_workflow_input_used_as_a_literal_is_validated_against_the_operator():
    # the workflow declares the input TEXT; the trainer needs INTEGER: refused before running
    @workflow(input_schema=types.Schema(depth=TEXT), returns=types.Schema(out=DOUBLE))
    def passes_text(depth):
        return Output(out=train(max_depth=depth).out)

    with pytest.raises(ChannelTypeError, match="found str 'deep'"):
        passes_text.compile(depth="deep")


def test_list_holding_futures_is_checked_item_by_item():
    @workflow(returns=types.Schema(total=DOUBLE))
    def listed(n: int = 3):
        return Output(total=total_of(values=[make_count(n=n), make_label(n=n).label]).total)

    with pytest.raises(ChannelTypeError, match=r"input 'values' of operator 'total_of'\[1\]"):
        listed.compile()


def test_workflow_output_gets_a_mistyped_value_is_refused():
    @workflow(returns=types.Schema(total=INTEGER))
    def returns_text(n: int = 3):
        return Output(total=make_label(n=n).label)

    with pytest.raises(ChannelTypeError, match="cannot feed output 'total' of workflow"):
        returns_text.compile()


def test_nested_workflow_inputs_are_checked():
    @workflow(returns=types.Schema(total=INTEGER))
    def outer(n: int = 3):
        return Output(total=ops.add_twice(a=make_label(n=n).label, b=1).total)

    with pytest.raises(ChannelTypeError, match="cannot feed input 'a' of workflow 'add_twice'"):
        outer.compile()


def test_dataset_input_reference_is_checked_against_operator_columns():
    @workflow(input_schema=types.Schema(data=DATASET(schema=(("x", TEXT),))))
    def wrong_column(data):
        return Output(rows=rows_of(frame=data).rows)

    frame = pd.DataFrame({"x": ["a"]})
    with pytest.raises(ChannelTypeError, match="workflow input 'data' .DATASET.") as info:
        wrong_column.compile(data=frame)
    assert "column 'x' is declared TEXT but DOUBLE is required" in str(info.value)


def test_annotation_and_input_schema_that_disagree_fail_at_decoration():
    with pytest.raises(SchemaError, match="input 'max_depth' is annotated INTEGER") as info:

        @workflow(input_schema=types.Schema(max_depth=TEXT))
        def disagrees(max_depth: int):
            return Output()

    assert "workflow 'disagrees'" in str(info.value) and "TEXT" in str(info.value)

    with pytest.raises(SchemaError, match="operator 'op_disagrees': input 'n'"):

        @operator(input_schema=types.Schema(n=DOUBLE))
        def op_disagrees(n: int):
            return {}


def test_input_schema_refines_annotations_and_keeps_the_ones_it_leaves_out():
    @workflow(input_schema=types.Schema(depth=INTEGER(min=1)))
    def refined(depth: int, label: str, frame: pd.DataFrame = None):
        return Output()

    assert refined.input_schema["depth"].min == 1
    # the annotation of an input the schema leaves out is kept, not ignored
    assert refined.input_schema["label"].name == "TEXT"
    with pytest.raises(FlowTypeError, match="input 'label' of workflow 'refined'"):
        refined.validate_inputs({"depth": 2, "label": 3})
    # a hint that is not a flowlab type stays Python's
    assert "frame" not in refined.input_schema


def test_max_depth_deep_never_reaches_the_trainer():
    # the case: the annotation said int, the schema left it out; launch refuses "deep"
    @workflow(input_schema=types.Schema(rate=DOUBLE), returns=types.Schema(out=DOUBLE))
    def tune(max_depth: int, rate: float = 0.5):
        return Output(out=train(max_depth=max_depth, rate=rate).out)

    with pytest.raises(FlowTypeError, match="input 'max_depth' of workflow 'tune'"):
        tune.compile(max_depth="deep")


@pytest.mark.parametrize(
    "source, target, fits",
    [
        (INTEGER, DOUBLE, True),
        (DOUBLE, INTEGER, False),
        (TEXT, INTEGER, False),
        (types.BOOL, INTEGER, False),
        (None, INTEGER, True),
        (types.FlowType(), INTEGER, True),
        (INTEGER, types.FlowType(), True),
        (LIST(INTEGER), LIST(DOUBLE), True),
        (LIST(TEXT), LIST(INTEGER), False),
        (LIST(LIST(INTEGER)), LIST(LIST(DOUBLE)), True),
        (LIST, LIST(INTEGER), True),
        (ENUM("a", "b"), TEXT, True),
        (ENUM("a", 1), TEXT, False),
        (ENUM("a"), ENUM("a", "b"), True),
        (ENUM("a", "c"), ENUM("a", "b"), False),
        (TEXT, ENUM("a"), False),
        (INTEGER(max=3), INTEGER(min=5), False),
        (INTEGER(max=6), INTEGER(min=5), True),
        (DATASET(schema=(("a", INTEGER), ("b", TEXT))), DATASET(schema=(("a", DOUBLE),)), True),
        (DATASET(schema=(("a", TEXT),)), DATASET(schema=(("a", INTEGER),)), False),
        (DATASET(schema=(("a", INTEGER),)), DATASET(schema=(("b", INTEGER),)), False),
        (DATASET, DATASET(schema=(("b", INTEGER),)), True),
        (TEXT, DATASET, True),
        (types.MODEL, DATASET, False),
        (LIST(TEXT), types.FEATURES, True),
        (LIST(INTEGER), types.FEATURES, False),
        (types.FILE, TEXT, True),
    ],
)
def test_assignable_rule(source, target, fits):
    reason = assignable(source, target)
    assert (reason is None) == fits, reason
    if not fits:
        assert isinstance(reason, str) and reason
