"""What an operator or a workflow returns: declared by ``returns=`` or by the return annotation,
and what it returned, checked against the declaration.

A return annotation is honoured, never silently ignored:

- ``-> float`` (any annotation that is a flowlab type: int, float, str, bool, list,
  ``types.DOUBLE(min=0)``…, or ``X | None`` for an optional one) is one output named
  ``result``: the function returns the bare value, ``op(...).result`` reads it;
- a ``NamedTuple`` or ``TypedDict`` (or a ``types.Schema(...)``) names several outputs;
- ``-> None`` declares no outputs;
- anything else (``-> pd.DataFrame``, ``-> dict``, ``-> Output``) is refused when the
  function is decorated, asking for ``returns=``.

``returns=`` given explicitly wins; an annotation that contradicts it is refused. ``returns=float``
(one type, no name) is the same one output named ``result``.
"""

from __future__ import annotations

import inspect
import types as pytypes
import typing
from collections.abc import Callable, Mapping
from typing import Any

from flowlab.core.definition.output import Output
from flowlab.errors import ReturnsMismatch, SchemaError
from flowlab.types import FlowType, Schema, as_flow_type
from flowlab.types.compat import assignable

#: the name of the one output a single-type return annotation (``-> float``) declares
SINGLE_OUTPUT = "result"

_NO_ANNOTATION = object()
#: annotations saying "a mapping of outputs" without naming them
_UNNAMED = (Output, dict, Mapping, typing.Dict, typing.Mapping)  # noqa: UP006


def single_output(returns: Any) -> Schema | None:
    """The one-output Schema of ``returns=`` given as a bare type (``returns=float``), else None.

    Example::

        single_output(float)   # Schema(result=DOUBLE)
    """
    if isinstance(returns, (FlowType, type)):
        return Schema({SINGLE_OUTPUT: as_flow_type(returns)})
    return None


def declared_returns(fn: Callable, returns: Any, owner: str) -> Any:
    """What ``fn`` declares it returns: ``returns`` when given (checked against the return
    annotation), else the Schema its return annotation stands for (None: no annotation).

    ``owner`` names the decorated thing in errors, e.g. ``"operator 'half'"``.

    Example::

        def half(x: float) -> float: ...
        declared_returns(half, None, "operator 'half'")   # Schema(result=DOUBLE)
    """
    hint = _return_annotation(fn, owner, needed=returns is None)
    if hint is _NO_ANNOTATION:
        return returns
    if returns is None:
        return annotated_outputs(hint, owner)
    if _computed(returns) or _unnamed(hint) or not _maps(hint):
        return returns  # nothing to compare: computed per call, or the annotation names none
    _check_agree(annotated_outputs(hint, owner), _as_schema(returns), hint, owner)
    return returns


def annotated_outputs(hint: Any, owner: str) -> Schema:
    """The outputs a return annotation declares; SchemaError naming ``returns=`` when it
    declares none that flowlab can check.

    Example::

        class Split(NamedTuple):
            train: list
            test: list
        annotated_outputs(Split, "operator 'split'")   # Schema(train=LIST, test=LIST)
    """
    if hint is None or hint is type(None):
        return Schema()
    if isinstance(hint, Schema):
        return Schema(hint)
    fields = _fields_of(hint)
    if fields is not None:
        kind, hints, optional = fields
        outputs = {}
        for name, field_hint in hints.items():
            flow_type = _flow_type(field_hint)
            if flow_type is None:
                raise SchemaError(
                    f"{owner}: field '{name}' of its return annotation {_shown(hint)} "
                    f"({_shown(field_hint)}) is not a flowlab type; annotate it with one "
                    f"(int, float, str, bool, list, flowlab.types.X), or declare the outputs "
                    f"with returns=types.Schema({name}=types.X, ...)"
                )
            outputs[name] = flow_type(optional=True) if name in optional else flow_type
        return Schema(outputs)
    if _unnamed(hint):
        raise SchemaError(
            f"{owner}: its return annotation {_shown(hint)} does not name the outputs; declare "
            f"them with returns=types.Schema(NAME=types.X, ...), or annotate a NamedTuple or "
            f"TypedDict (several outputs) or one flowlab type (one output named "
            f"'{SINGLE_OUTPUT}')"
        )
    flow_type = _flow_type(hint)
    if flow_type is None:
        raise SchemaError(
            f"{owner}: its return annotation {_shown(hint)} is not a flowlab type; declare "
            f"the outputs with returns= (e.g. returns=types.Schema({SINGLE_OUTPUT}="
            f"types.DATASET)), or annotate a flowlab type (int, float, str, bool, list, "
            f"flowlab.types.X), a NamedTuple or a TypedDict"
        )
    return Schema({SINGLE_OUTPUT: flow_type})


def check_returned(owner: str, returned: Mapping, declared: Schema, kind: str) -> None:
    """Raise ReturnsMismatch naming both sides when returned names differ from declared ones."""
    extra = [k for k in returned if k not in declared]
    missing = [k for k in declared if k not in returned and not declared[k].optional]
    if not extra and not missing:
        return
    parts = []
    if extra:
        parts.append(f"returned {_names(extra)}, which its returns schema does not declare")
    if missing:
        parts.append(f"did not return {_names(missing)}, which its returns schema declares")
    raise ReturnsMismatch(
        f"{kind} '{owner}' "
        + " and ".join(parts)
        + f" (declared: {', '.join(declared) or 'nothing'}; returned: "
        f"{', '.join(returned) or 'nothing'}). Make the names match."
    )


def as_output_mapping(result: Any, declared: Schema, owner: str, kind: str) -> Mapping:
    """Accept an Output, a dict, a NamedTuple, or a bare value when exactly one output is
    declared."""
    if isinstance(result, Mapping):
        return result
    if _is_named_tuple(type(result)) and (len(declared) != 1 or set(result._fields) == {*declared}):
        return result._asdict()
    if len(declared) == 1:
        return Output({next(iter(declared)): result})
    if result is None and not declared:
        return Output()
    if not declared:
        raise ReturnsMismatch(
            f"{kind} '{owner}' declares no outputs but returned {type(result).__name__}; "
            f"declare them with returns=types.Schema(NAME=types.X, ...) or a return "
            f"annotation (-> float: one output named '{SINGLE_OUTPUT}')"
        )
    raise ReturnsMismatch(
        f"{kind} '{owner}' must return Output(...), a dict or a NamedTuple with its declared "
        f"outputs {', '.join(declared)}; it returned {type(result).__name__}"
    )


# -- reading the annotation -----------------------------------------------------------------------
def _return_annotation(fn: Callable, owner: str, needed: bool) -> Any:
    """The evaluated return annotation, or _NO_ANNOTATION. One that cannot be evaluated is
    refused when nothing else declares the outputs (``needed``), else left to Python."""
    try:
        raw = inspect.get_annotations(fn)
    except TypeError:  # not a function (a callable object): nothing annotated
        return _NO_ANNOTATION
    if "return" not in raw:
        return _NO_ANNOTATION
    hint = raw["return"]
    if not isinstance(hint, str):
        return hint
    try:
        return eval(hint, getattr(fn, "__globals__", {}))  # noqa: S307 - as typing does
    except Exception as exc:  # noqa: BLE001 - any failure: the name is not known here
        if not needed:
            return _NO_ANNOTATION
        raise SchemaError(
            f"{owner}: its return annotation {hint!r} cannot be evaluated "
            f"({type(exc).__name__}: {exc}); import what it names, or declare the outputs "
            f"with returns=types.Schema(NAME=types.X, ...)"
        ) from None


def _fields_of(hint: Any) -> tuple[str, dict, set] | None:
    """(kind, name → annotation, optional names) of a NamedTuple or TypedDict, else None."""
    if _is_named_tuple(hint):
        return "NamedTuple", typing.get_type_hints(hint), set()
    if typing.is_typeddict(hint):
        return "TypedDict", typing.get_type_hints(hint), set(hint.__optional_keys__)
    return None


def _is_named_tuple(cls: Any) -> bool:
    return isinstance(cls, type) and issubclass(cls, tuple) and hasattr(cls, "_fields")


def _unnamed(hint: Any) -> bool:
    return hint in _UNNAMED or typing.get_origin(hint) in (dict, Mapping)


def _maps(hint: Any) -> bool:
    """Whether the annotation declares outputs flowlab can compare with ``returns=``."""
    try:
        annotated_outputs(hint, "")
    except SchemaError:
        return False
    return True


def _flow_type(hint: Any) -> FlowType | None:
    """The flowlab type an annotation stands for (``X | None``: an optional X), else None."""
    optional = False
    if typing.get_origin(hint) in (typing.Union, pytypes.UnionType):
        others = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(others) != 1:
            return None
        hint, optional = others[0], True
    try:
        flow_type = as_flow_type(hint)
    except TypeError:
        return None
    return flow_type(optional=True) if optional else flow_type


def _computed(returns: Any) -> bool:
    return callable(returns) and not isinstance(returns, (Schema, FlowType, type))


def _as_schema(returns: Any) -> Schema:
    return single_output(returns) or Schema(returns)


def _check_agree(annotated: Schema, declared: Schema, hint: Any, owner: str) -> None:
    """Refuse ``returns=`` and an annotation that contradict each other (names or types)."""
    said = f"its return annotation {_shown(hint)} declares {_described(annotated)}"
    if set(annotated) != set(declared):
        one_each = len(annotated) == len(declared) == 1 and SINGLE_OUTPUT in annotated
        if not one_each:  # `-> float` with returns=Schema(total=DOUBLE): one unnamed output
            raise SchemaError(
                f"{owner}: {said} but returns= declares {_described(declared)}; make the "
                f"two agree, or drop one of them"
            )
        annotated = Schema({next(iter(declared)): annotated[SINGLE_OUTPUT]})
    for name, flow_type in declared.items():
        reason = assignable(flow_type, annotated[name])
        if reason is not None:
            raise SchemaError(
                f"{owner}: output '{name}' is annotated {annotated[name].name} but returns= "
                f"declares {flow_type.name} ({reason}); make the two agree, or drop one of them"
            )


def _described(schema: Schema) -> str:
    if not schema:
        return "no outputs"
    return ", ".join(f"{k} ({t.name})" for k, t in schema.items())


def _shown(hint: Any) -> str:
    if isinstance(hint, type):
        return hint.__qualname__
    return str(hint).removeprefix("typing.")


def _names(names: list[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)
