"""Dynamic fan-out inside a workflow body: ``op.map(...)``.

Both compile into ordinary Graph nodes: a mapped node carries ``mapped`` (the inputs it maps
over; its task fans out one task per element on the cluster, through the worker's client),
a node inside a branch carries a ``$when`` input (the condition) and ``guard`` (the side it
belongs to): its task checks the condition and is recorded ``skipped`` when its side is not
taken. The branch's result comes from a small select node that takes whichever side ran.
"""

from __future__ import annotations

from flowlab.core.definition.futures import OperatorFuture, future_type, is_future, type_name
from flowlab.core.definition.trace import current_builder
from flowlab.errors import CompileError


def map_operator(op, kwargs: dict) -> OperatorFuture:
    """``op.map(**inputs)``: see :meth:`flowlab.Operator.map`."""
    from flowlab import types
    from flowlab.core.definition.graph import Node

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
        if type_name(expected) == "LIST":
            continue  # the operator takes the whole list
        if isinstance(value, (list, tuple)):
            mapped.append(name)
            lengths[name] = len(value)
        elif is_future(value) and type_name(future_type(value)) == "LIST":
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
