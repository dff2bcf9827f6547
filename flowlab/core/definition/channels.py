"""Compile-time checks of every channel: what is wired into an input must fit its type.

A future carries the type its operator declared for it, so a TEXT output wired into an
INTEGER input is refused while the workflow compiles, before anything runs, by the rule of
:func:`flowlab.types.compat.assignable`. A plain value (a literal written in the workflow body,
or a workflow input used as one) is validated by the input's type there and then. Both raise
:class:`~flowlab.errors.ChannelTypeError` naming both ends. The run-time checks stay: they see
the values, which a declaration cannot promise (bounds, DATASET columns of untyped outputs).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flowlab.core.definition.futures import (
    Future,
    InputRef,
    OperatorFuture,
    OutputRef,
    contains_future,
)
from flowlab.errors import ChannelTypeError, FlowTypeError
from flowlab.types.compat import assignable


def check_inputs(
    workflow: str,
    types: Mapping[str, Any],
    values: Mapping[str, Any],
    where: Callable[[str], str],
) -> None:
    """Check each value against ``types[name]``; ``where(name)`` says which input it is, e.g.
    ``"input 'max_depth' of operator 'train'"``."""
    for name, value in values.items():
        target = types.get(name)
        if target is not None:
            check_value(workflow, value, target, where(name))


def check_value(workflow: str, value: Any, target, where: str) -> None:
    """Refuse ``value`` (a future, a literal, or a list holding futures) that cannot fit ``target``."""
    while isinstance(value, OperatorFuture):
        value = value.single()  # an operator call with one output stands for it
    if isinstance(value, (OutputRef, InputRef)):
        reason = assignable(value.type, target)
        if reason is not None:
            raise ChannelTypeError(
                f"workflow '{workflow}': {_source(value)} cannot feed {where} "
                f"({target.name}): {reason}. Make the declared types agree, or convert the "
                "value in an operator."
            )
        return
    if isinstance(value, Future):
        return  # a kind of future this module does not know: the run-time check decides
    if contains_future(value):
        _check_container(workflow, value, target, where)
        return
    if value is None and (target.optional or target.default is None):
        return
    try:
        target.validate(value, where)
    except FlowTypeError as e:
        raise ChannelTypeError(
            f"workflow '{workflow}' does not compile: {e} (a value written in the workflow "
            "is checked before anything runs)"
        ) from None


def _check_container(workflow: str, value: Any, target, where: str) -> None:
    """A list or dict holding futures: check its items where the target says their type."""
    if target.name in ("ANY", "DICT"):
        return
    if isinstance(value, (list, tuple)) and target.name in ("LIST", "FEATURES"):
        item = getattr(target, "item", None)
        if target.name == "FEATURES":
            from flowlab.types import TEXT

            item = TEXT
        if item is None:
            return
        for i, element in enumerate(value):
            check_value(workflow, element, item, f"{where}[{i}]")
        return
    kind = "a list" if isinstance(value, (list, tuple)) else "a dict"
    raise ChannelTypeError(
        f"workflow '{workflow}': {where} ({target.name}) is given {kind} of operator outputs; "
        f"it takes {target.name}"
    )


def _source(ref: OutputRef | InputRef) -> str:
    kind = ref.type.name if ref.type is not None else "untyped"
    if isinstance(ref, InputRef):
        return f"workflow input '{ref.name}' ({kind})"
    return f"output '{ref.output}' of operator '{ref.node}' ({kind})"
