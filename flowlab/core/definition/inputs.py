"""An operator's or workflow's input schema, from ``input_schema=`` and the annotations together.

``input_schema`` may refine what the annotations say (bounds, choices, columns) but not
contradict it: ``max_depth: int`` with ``input_schema=Schema(max_depth=TEXT)`` is refused when
the function is decorated. A parameter the schema leaves out keeps its annotation's type, so
an annotation is never silently ignored. Annotations that are not flowlab types (``pd.DataFrame``)
are Python's business when a schema is given.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from flowlab.errors import SchemaError
from flowlab.types import FlowType, Schema, as_flow_type
from flowlab.types.compat import assignable


def input_schema_of(
    fn: Callable, signature: inspect.Signature, declared: Any, owner: str
) -> Schema:
    """Declared schema merged with the annotations; defaults come from the signature.

    ``owner`` names the decorated thing in errors, e.g. ``"workflow 'iris'"``.

    Example::

        input_schema_of(train, inspect.signature(train), Schema(depth=INTEGER(min=1)),
                        "operator 'train'")
    """
    if declared is None:
        hints = _annotations(fn)
        schema = Schema(
            {k: v for k, v in hints.items() if k != "return" and k in signature.parameters}
        )
    else:
        schema = _merge(Schema(declared), _flow_annotations(fn, signature), signature, owner)
    fields = {}
    for name, flow_type in schema.items():
        param = signature.parameters.get(name)
        if (
            param is not None
            and param.default is not inspect.Parameter.empty
            and flow_type.default is None
        ):
            flow_type = (
                flow_type(default=param.default)
                if param.default is not None
                else flow_type(optional=True)
            )
        fields[name] = flow_type
    return Schema(fields)


def _merge(
    declared: Schema, annotated: dict[str, FlowType], signature: inspect.Signature, owner: str
) -> Schema:
    params = signature.parameters
    has_var_kw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    unknown = [k for k in declared if k not in params]
    if unknown and not has_var_kw:
        raise SchemaError(
            f"{owner}: input_schema names {', '.join(unknown)} but the "
            f"function takes {', '.join(params) or 'no arguments'}"
        )
    for name, flow_type in declared.items():
        hint = annotated.get(name)
        reason = assignable(flow_type, hint) if hint is not None else None
        if reason is not None:
            raise SchemaError(
                f"{owner}: input '{name}' is annotated {hint.name} but input_schema declares "
                f"{flow_type.name} ({reason}); make the two agree, or drop one of them"
            )
    fields = {}
    for name in params:  # the function's order; the declared type wins where both say
        if name in declared:
            fields[name] = declared[name]
        elif name in annotated:
            fields[name] = annotated[name]
    fields.update({k: t for k, t in declared.items() if k not in fields})
    return Schema(fields)


def _flow_annotations(fn: Callable, signature: inspect.Signature) -> dict[str, FlowType]:
    """The parameters' annotations that are flowlab types (or int, float, str, bool, …)."""
    found = {}
    for name, hint in _annotations(fn).items():
        if name == "return" or name not in signature.parameters:
            continue
        try:
            found[name] = as_flow_type(hint)
        except TypeError:
            continue  # not a flowlab type: a hint for Python tools only
    return found


def _annotations(fn: Callable) -> dict:
    try:
        return inspect.get_annotations(fn, eval_str=True)
    except Exception:
        return {}
