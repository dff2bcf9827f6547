"""Return annotations declare outputs: honoured, checked against ``returns=``, never ignored."""

from typing import NamedTuple, TypedDict

import pandas as pd
import pytest

from flowlab import Output, operator, types, workflow
from flowlab.errors import FlowTypeError, ReturnsMismatch, SchemaError


class Bounds(NamedTuple):
    low: float
    high: float


class Scores(TypedDict, total=False):
    accuracy: float
    note: str


class Framed(NamedTuple):
    frame: pd.DataFrame


@operator
def half(x: float) -> float:
    return x / 2


@operator
def bounds(x: float) -> Bounds:
    return Bounds(x - 1, x + 1)


@operator
def as_text(x: float) -> str:
    return x  # a float where the annotation says str


@workflow
def halved(x: float) -> float:
    return half(x=x).result


@workflow
def widened(x: float) -> Bounds:
    found = bounds(x=half(x=x))  # a one-output call stands for its output
    return Bounds(found.low, found.high)


def test_a_single_type_annotation_is_one_output_named_result():
    assert dict(half.returns) == {"result": types.DOUBLE}
    assert half(x=3.0).result == 1.5
    assert half(x=3.0) == Output(result=1.5)


def test_the_annotated_output_is_checked_like_a_declared_one():
    with pytest.raises(FlowTypeError, match="output 'result' of operator 'as_text'"):
        as_text(x=1.0)


def test_a_named_tuple_annotation_names_several_outputs():
    assert list(bounds.returns) == ["low", "high"]
    assert bounds(x=2.0) == Output(low=1.0, high=3.0)


def test_a_typed_dict_annotation_names_outputs_its_optional_keys_optional():
    @operator
    def score(x: int) -> Scores:
        return {"accuracy": x / 10}

    assert list(score.returns) == ["accuracy", "note"]
    assert score.returns["note"].optional
    assert score(x=9).accuracy == 0.9


def test_an_optional_annotation_is_an_optional_output():
    @operator
    def maybe(x: int) -> float | None:
        return None if x < 0 else float(x)

    assert maybe.returns["result"].optional
    assert maybe(x=-1).result is None and maybe(x=2).result == 2.0


def test_a_flowlab_type_or_schema_annotation_declares_the_outputs():
    @operator
    def depth(x: int) -> types.INTEGER(min=1):
        return x

    @operator
    def pair(x: int) -> types.Schema(a=types.INTEGER, b=types.TEXT):
        return Output(a=x, b=str(x))

    assert depth.returns["result"].min == 1
    with pytest.raises(FlowTypeError, match="output 'result' of operator 'depth'"):
        depth(x=0)
    assert pair(x=4) == Output(a=4, b="4")


def test_a_none_annotation_declares_no_outputs():
    @operator
    def log(x: int) -> None:
        print(x)

    assert dict(log.returns) == {} and log(x=1) == Output()


@pytest.mark.parametrize(
    ("annotation", "named"),
    [
        (pd.DataFrame, "its return annotation DataFrame is not a flowlab type"),
        (dict, "its return annotation dict does not name the outputs"),
        (Output, "its return annotation Output does not name the outputs"),
        (dict[str, float], "does not name the outputs"),
        (Framed, "field 'frame' of its return annotation Framed (DataFrame) is not a flowlab"),
        (int | str, "is not a flowlab type"),
    ],
)
def test_an_annotation_that_is_no_flowlab_type_is_refused_naming_returns(annotation, named):
    def fn(x: int):
        return x

    fn.__annotations__["return"] = annotation
    with pytest.raises(SchemaError, match="returns=") as refused:
        operator(fn)
    assert str(refused.value).startswith("operator 'fn': ")
    assert named in str(refused.value)
    with pytest.raises(SchemaError, match="returns="):
        workflow(fn)


def test_an_annotation_that_cannot_be_evaluated_is_refused_naming_it():
    def fn(x: int) -> "Undefined":  # noqa: F821 - the point of the test
        return x

    with pytest.raises(SchemaError, match="'Undefined' cannot be evaluated .*returns="):
        operator(fn)
    # with returns= the annotation is Python's business
    assert list(operator(returns=types.Schema(y=types.INTEGER))(fn).returns) == ["y"]


def test_a_string_annotation_is_evaluated():
    def fn(x: float) -> "Bounds":
        return Bounds(x, x)

    assert list(operator(fn).returns) == ["low", "high"]


def test_explicit_returns_wins_and_may_refine_the_annotation():
    @operator(returns=types.Schema(total=types.DOUBLE(min=0)))
    def total(x: float) -> float:
        return x

    @operator(returns=types.Schema(label=types.ENUM("a", "b")))
    def label(x: int) -> str:
        return "ab"[x]

    @operator(returns=types.Schema(y=types.INTEGER))
    def counted(x: int) -> Output:  # names no outputs: nothing to compare
        return Output(y=x)

    assert total(x=2.0) == Output(total=2.0)
    assert label(x=1).label == "b"
    assert counted(x=3).y == 3


def test_returns_given_as_one_type_is_the_result_output_too():
    @operator(returns=float)
    def third(x: float):
        return x / 3

    assert third(x=3.0) == Output(result=1.0)


def test_computed_returns_are_not_compared_with_the_annotation():
    @operator(returns=lambda args: types.Schema({args["name"]: types.INTEGER}))
    def named(x: int, name: str) -> float:
        return {name: x}

    assert named(x=1, name="z") == Output(z=1)


@pytest.mark.parametrize(
    ("returns", "annotation", "message"),
    [
        (
            types.Schema(a=types.INTEGER, b=types.INTEGER),
            float,
            "its return annotation float declares result (DOUBLE) but returns= declares "
            "a (INTEGER), b (INTEGER)",
        ),
        (
            types.Schema(low=types.DOUBLE, top=types.DOUBLE),
            Bounds,
            "its return annotation Bounds declares low (DOUBLE), high (DOUBLE) but returns= "
            "declares low (DOUBLE), top (DOUBLE)",
        ),
        (types.Schema(a=types.INTEGER), str, "output 'a' is annotated TEXT but returns= declares"),
        (types.Schema(a=types.INTEGER), None, "declares no outputs but returns= declares a"),
    ],
)
def test_returns_and_an_annotation_that_disagree_are_refused(returns, annotation, message):
    def fn(x: int):
        return x

    fn.__annotations__["return"] = annotation
    with pytest.raises(SchemaError, match="make the two agree") as refused:
        operator(returns=returns)(fn)
    assert message in str(refused.value)


def test_a_mismatch_names_the_declared_outputs():
    @operator
    def wrong(x: float) -> Bounds:
        return x

    @operator
    def undeclared(x: float):
        return x

    with pytest.raises(ReturnsMismatch, match="declared outputs low, high; it returned float"):
        wrong(x=1.0)
    with pytest.raises(ReturnsMismatch, match="declares no outputs but returned float; .*returns="):
        undeclared(x=1.0)


def test_annotated_workflows_compile_to_their_outputs():
    assert dict(halved.returns) == {"result": types.DOUBLE}
    assert halved.compile(x=4.0).outputs == {"result": {"$ref": ["half", "result"]}}
    assert list(widened.compile(x=4.0).outputs) == ["low", "high"]


def test_an_annotated_workflow_runs_on_the_cluster(client):
    client.wait_for_workers(1, timeout=300)  # the session's cluster may still be starting
    run = widened.launch(x=4.0)
    assert run.result(timeout=300) == Output(low=1.0, high=3.0)
    assert halved.launch(x=3.0).result(timeout=300).result == 1.5
