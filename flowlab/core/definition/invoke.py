"""Calling an operator's function with run-time type checks at both ends of every channel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flowlab.core.definition.output import Output
from flowlab.core.definition.randomness import operator_randomness
from flowlab.core.definition.returns import as_output_mapping, check_returned


def where_input(name: str, node_id: str) -> str:
    return f"input '{name}' of operator '{node_id}'"


def where_output(name: str, node_id: str) -> str:
    return f"output '{name}' of operator '{node_id}'"


def prepare_inputs(op, arguments: Mapping[str, Any], node_id: str) -> dict[str, Any]:
    """Validate typed inputs and load them into what the function expects."""
    prepared = dict(arguments)
    for name, flow_type in op.input_schema.items():
        if name not in prepared:
            continue
        value = prepared[name]
        if value is None and (flow_type.optional or flow_type.default is None):
            continue
        # the normalised value (a Series as a frame, an estimator as a Model) is what loads
        checked = flow_type.validate(value, where_input(name, node_id))
        prepared[name] = flow_type.load(checked)
    return prepared


def check_outputs(op, arguments: Mapping[str, Any], result: Any, node_id: str) -> Output:
    """Normalise the function's result to an Output and validate each declared output."""
    declared = op.returns_for(arguments)
    mapping = as_output_mapping(result, declared, node_id, "operator")
    check_returned(node_id, mapping, declared, "operator")
    checked = {}
    for name, value in mapping.items():
        flow_type = declared[name]
        if value is None and flow_type.optional:
            checked[name] = None
            continue
        checked[name] = flow_type.validate(value, where_output(name, node_id))
    return Output(checked)


def invoke(op, arguments: Mapping[str, Any], node_id: str, seed: int | None = None) -> Output:
    """Run ``op`` here, in this process, with validation; used outside workflows and on workers.

    Example::

        add(a=1, b=2).total   # calling an operator outside a workflow runs it at once
    """
    from flowlab.core.definition.context import operator_context

    prepared = prepare_inputs(op, arguments, node_id)
    with (
        operator_context(node_id=node_id, seed=seed),
        operator_randomness(seed, op.draws_with_torch),
    ):
        result = op.fn(**prepared)
    return check_outputs(op, arguments, result, node_id)
