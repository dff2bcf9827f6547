"""API edges: launch options never collide with inputs; decorators and classes share options."""

from __future__ import annotations

import inspect

import pytest

import flowlab
from flowlab import Operator, Output, Resources, Workflow, operator, types, workflow
from flowlab.core.definition.workflow import launch_options
from flowlab.core.runs.run import Run
from flowlab.errors import SchemaError
from tests.core import ops


@pytest.mark.parametrize("option", ["cache", "tags", "client", "seed"])
def test_input_named_like_a_launch_option_is_refused_when_defined(option):
    namespace: dict = {}
    exec(f"def clashing(data, {option}=None):\n    return None", namespace)
    with pytest.raises(SchemaError) as info:
        workflow(namespace["clashing"])
    message = str(info.value)
    assert f"workflow 'clashing': input '{option}'" in message
    assert "Workflow.launch()" in message and "Rename the input" in message
    assert "cache, client, seed, tags" in message


def test_launch_options_are_keyword_only_and_all_reserved():
    params = inspect.signature(Workflow.launch).parameters
    options = [p.name for p in params.values() if p.kind is inspect.Parameter.KEYWORD_ONLY]
    assert sorted(options) == sorted(launch_options()) == ["cache", "client", "seed", "tags"]
    # Run.rerun takes inputs as keywords too: its options must be reserved as well
    rerun = inspect.signature(Run.rerun).parameters.values()
    assert {p.name for p in rerun if p.kind is inspect.Parameter.KEYWORD_ONLY} <= set(options)


def test_options_and_inputs_side_by_side_keep_working(client, store):
    run = ops.add_twice.launch(a=1, b=2, seed=42, tags=["edges"], cache=False)
    assert run.result(timeout=60).total == 5
    record = store.get_run(run.id)
    assert record["seed"] == 42 and "edges" in record["tags"]
    assert record["inputs"] == {"a": 1, "b": 2}


def _options(signature: inspect.Signature) -> list[tuple]:
    return [
        (p.name, p.kind, p.default, p.annotation)
        for p in list(signature.parameters.values())[1:]  # after the function itself
    ]


@pytest.mark.parametrize("decorator, cls", [(operator, Operator), (workflow, Workflow)])
def test_decorator_and_class_take_exactly_the_same_options(decorator, cls):
    class_options = _options(inspect.signature(cls))
    assert class_options == _options(inspect.signature(decorator))
    assert "description" in [name for name, *_ in class_options]


def test_every_operator_option_given_to_the_decorator_reaches_the_operator():
    def fn(a: int):
        return {"total": a}

    resources = Resources(cpu=1)
    made = operator(
        input_schema=types.Schema(a=types.INTEGER(min=0)),
        returns=types.Schema(total=types.INTEGER),
        resources=resources,
        retries=2,
        name="renamed",
        cache=False,
        description="adds nothing",
        version="v7",
    )(fn)
    assert made.input_schema["a"].min == 0 and list(made.returns) == ["total"]
    assert made.resources is resources and made.retries == 2 and made.name == "renamed"
    assert made.cache is False and made.description == "adds nothing" and made.version == "v7"


def test_every_workflow_option_given_to_the_decorator_reaches_the_workflow():
    def fn(x: int):
        return Output(total=ops.add(a=x, b=x).total)

    made = workflow(
        input_schema=types.Schema(x=types.INTEGER(min=1)),
        returns=types.Schema(total=types.INTEGER),
        name="doubled_for_options",
        description="twice x",
    )(fn)
    assert made.input_schema["x"].min == 1 and list(made.returns) == ["total"]
    assert made.name == "doubled_for_options" and made.description == "twice x"
    assert flowlab.core.definition.workflow.registered_workflows()["doubled_for_options"] is made


@pytest.mark.parametrize("decorator, word", [(operator, "@operator"), (workflow, "@workflow")])
def test_unknown_decorator_option_is_named(decorator, word):
    with pytest.raises(TypeError, match=f"{word} has no option 'retry'; its options are"):
        decorator(retry=2)


def test_form_view_comes_from_the_notebook_layer_and_a_second_one_is_refused():
    from flowlab.core import workflow as workflow_module

    registered = workflow_module._FORM_VIEW
    assert registered.__module__ == "flowlab.notebook"
    with pytest.raises(ValueError, match="already registered .flowlab.notebook._launch_form."):
        workflow_module.register_form_view(lambda workflow, prefill: None)
    assert workflow_module._FORM_VIEW is registered
    workflow_module.register_form_view(registered)  # the same view again is harmless
