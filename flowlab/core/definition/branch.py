"""Branches inside a workflow body: ``flowlab.branch`` (see also ``op.map`` in mapping.py).

Both compile into ordinary Graph nodes: a mapped node carries ``mapped`` (the inputs it maps
over; its task fans out one task per element on the cluster, through the worker's client),
a node inside a branch carries a ``$when`` input (the condition) and ``guard`` (the side it
belongs to): its task checks the condition and is recorded ``skipped`` when its side is not
taken. The branch's result comes from a small select node that takes whichever side ran.
"""

from __future__ import annotations

from typing import Any

from flowlab.core.definition.futures import (
    InputRef,
    OperatorFuture,
    OutputRef,
    future_type,
    is_future,
    outputs_of,
    type_name,
)
from flowlab.core.definition.operator import operator
from flowlab.core.definition.trace import current_builder
from flowlab.errors import CompileError


def branch(condition: Any, then, otherwise):
    """Run ``then()`` when ``condition`` holds, else ``otherwise()``; only the chosen side runs.

    ``condition`` is a BOOL value or an operator's BOOL output; ``then`` and ``otherwise``
    are zero-argument callables that call operators. The result is a future of whichever
    side returned; the operators of the side not taken are recorded ``skipped``.

    Example::

        @workflow
        def pipeline(x: float):
            check = is_big(x=x)
            out = flowlab.branch(check.big, lambda: shrink(x=x), lambda: grow(x=x))
            return Output(value=out.value)
    """
    if not callable(then) or not callable(otherwise):
        raise CompileError(
            "flowlab.branch(condition, then, otherwise): then and otherwise must be "
            f"zero-argument callables (lambda: op(...)), got {then!r} and {otherwise!r}"
        )
    builder = current_builder()
    if not is_future(condition):
        if not isinstance(condition, bool):
            raise CompileError(
                f"flowlab.branch: the condition must be BOOL (True/False or an operator's BOOL "
                f"output), got {condition!r}"
            )
        return then() if condition else otherwise()
    if builder is None:  # pragma: no cover - futures exist only while compiling
        raise CompileError("flowlab.branch with a future condition outside a workflow body")
    found = future_type(condition)
    if type_name(found) != "BOOL":
        raise CompileError(
            f"flowlab.branch: the condition must be BOOL, but {condition!r} is "
            f"{type_name(found) or 'untyped'}; return a types.BOOL output to branch on"
        )
    when = builder.encode(condition)
    sides = {}
    for taken, side in ((True, then), (False, otherwise)):
        before = set(builder.graph.nodes)
        result = side()
        for node_id, node in builder.graph.nodes.items():
            if node_id not in before:
                node.inputs["$when"] = when
                node.guard = taken
        sides[taken] = result
    return _select(condition, sides[True], sides[False])


def _outputs_of(result) -> dict[str, Any]:
    if isinstance(result, OperatorFuture):
        return outputs_of(result)
    if isinstance(result, (OutputRef, InputRef)):
        return {"value": result}
    if isinstance(result, dict):
        return dict(result)
    raise CompileError(
        "flowlab.branch: each side must return an operator call (or a dict of its outputs), "
        f"got {result!r}"
    )


def _select(condition, then_result, otherwise_result):
    from flowlab import types

    left, right = _outputs_of(then_result), _outputs_of(otherwise_result)
    if set(left) != set(right):
        raise CompileError(
            "flowlab.branch: both sides must give the same outputs; then gives "
            f"{', '.join(left)}, otherwise gives {', '.join(right)}"
        )
    declared = {}
    for name in left:
        flow_type = getattr(left[name], "type", None) or getattr(right[name], "type", None)
        declared[name] = flow_type if flow_type is not None else types.ANY

    @operator(returns=types.Schema(declared), name="branch")
    def select(condition: bool, then: dict, otherwise: dict):
        return dict(then if condition else otherwise)

    return select(condition=condition, then=left, otherwise=right)
