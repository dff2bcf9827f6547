"""Dynamic fan-out and branches inside a workflow body: ``op.map(...)`` and ``flowlab.branch``.

Both compile into ordinary Graph nodes: a mapped node carries ``mapped`` (the inputs it maps
over; its task fans out one task per element on the cluster, through the worker's client),
a node inside a branch carries a ``$when`` input (the condition) and ``guard`` (the side it
belongs to): its task checks the condition and is recorded ``skipped`` when its side is not
taken. The branch's result comes from a small select node that takes whichever side ran.
"""

from __future__ import annotations

from typing import Any

from flowlab.core.futures import InputRef, OperatorFuture, OutputRef, is_future
from flowlab.core.trace import current_builder
from flowlab.errors import CompileError


def _type_name(flow_type) -> str | None:
    return getattr(flow_type, "name", None)


def _future_type(value) -> Any:
    if isinstance(value, OperatorFuture):
        value = value.single()
    return getattr(value, "type", None)


def map_operator(op, kwargs: dict) -> OperatorFuture:
    """``op.map(**inputs)``: see :meth:`flowlab.Operator.map`."""
    from flowlab import types
    from flowlab.core.graph import Node

    builder = current_builder()
    if builder is None:
        raise CompileError(
            f"operator '{op.name}': .map(...) is for inside a workflow body; outside one, "
            f"call the operator in a loop"
        )
    arguments = op.bind((), kwargs)
    mapped, lengths = [], {}
    for name, value in arguments.items():
        expected = op.input_schema.get(name)
        if _type_name(expected) == "LIST":
            continue  # the operator takes the whole list
        if isinstance(value, (list, tuple)):
            mapped.append(name)
            lengths[name] = len(value)
        elif is_future(value) and _type_name(_future_type(value)) == "LIST":
            mapped.append(name)
    if not mapped:
        raise CompileError(
            f"operator '{op.name}': .map(...) needs at least one input given a list (or an "
            f"operator's LIST output); got {', '.join(arguments) or 'no inputs'}"
        )
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"'{k}' has {n} items" for k, n in lengths.items())
        raise CompileError(
            f"operator '{op.name}': .map(...) zips its lists, which must have one length; "
            f"{described}"
        )
    for name in mapped:  # each literal element must fit the input's type
        flow_type = op.input_schema.get(name)
        value = arguments[name]
        if flow_type is not None and isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                if not is_future(item):
                    flow_type.validate(item, f"item {i} of input '{name}' of operator '{op.name}'")
    returns = op.returns_for({k: v for k, v in arguments.items() if k not in mapped})
    list_returns = {k: types.LIST(t) for k, t in returns.items()}
    node_id = builder.unique_id(f"{op.name}.map")
    node = Node(
        id=node_id,
        operator=op.name,
        inputs={k: builder.encode(v) for k, v in arguments.items()},
        outputs=types.Schema(list_returns).to_json(),
        resources=op.resources.to_json(),
        retries=op.retries,
        version=op.version,
        input_types={k: t.to_json() for k, t in op.input_schema.items()},
        mapped=mapped,
    )
    builder.add_node(node, op)
    return OperatorFuture(node.id, list_returns)


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
    found = _future_type(condition)
    if _type_name(found) != "BOOL":
        raise CompileError(
            f"flowlab.branch: the condition must be BOOL, but {condition!r} is "
            f"{_type_name(found) or 'untyped'}; return a types.BOOL output to branch on"
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
        return {name: result._named(name) for name in result._outputs}
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
    from flowlab.core.operator import operator

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
