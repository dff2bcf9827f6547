"""What an operator can ask about the call it is in: its seed, its node, its run, its client."""

from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class OperatorContext:
    node_id: str
    seed: int | None = None
    run_id: str | None = None
    attempt: int = 1
    #: where flowlab.checkpoint keeps this call's state (None: checkpoints unavailable)
    checkpoint: str | None = None
    #: what the call did that flowlab must tidy after it (e.g. {"checkpointed": True})
    notes: dict | None = None


_current: contextvars.ContextVar[OperatorContext | None] = contextvars.ContextVar(
    "flowlab_operator_context", default=None
)


@contextlib.contextmanager
def operator_context(**fields):
    token = _current.set(OperatorContext(**fields))
    try:
        yield
    finally:
        _current.reset(token)


def current() -> OperatorContext | None:
    """The context of the operator running in this thread, or None outside operators."""
    return _current.get()


def current_seed(default: int | None = None) -> int | None:
    """The seed flowlab derived for the running operator (from the run's seed).

    Example::

        rng = numpy.random.default_rng(flowlab.current_seed())
    """
    ctx = _current.get()
    return ctx.seed if ctx is not None and ctx.seed is not None else default
