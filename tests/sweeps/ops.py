"""Workflows the sweep tests run on real workers (importable by the workers)."""

from __future__ import annotations

import time

import flowlab
from flowlab import Output, operator, types, workflow


@operator(returns=types.Schema(loss=types.DOUBLE(direction="lower"), score=types.DOUBLE))
def quadratic(x: int, y: int, fail_at: int = -1, seconds: float = 0.0):
    """loss = (x - 4)^2 + (y - 5)^2; raises when x == fail_at (a child made to fail)."""
    if seconds:
        time.sleep(seconds)
    if x == fail_at:
        raise ValueError(f"x={x} fails on purpose")
    return {"loss": float((x - 4) ** 2 + (y - 5) ** 2), "score": float(x * 10 + y)}


@workflow(
    input_schema=types.Schema(
        x=types.INTEGER(min=0),
        y=types.INTEGER,
        fail_at=types.INTEGER,
        seconds=types.DOUBLE,
    ),
    returns=types.Schema(loss=types.DOUBLE(direction="lower"), score=types.DOUBLE),
)
def bowl(x: int, y: int = 0, fail_at: int = -1, seconds: float = 0.0):
    out = quadratic(x=x, y=y, fail_at=fail_at, seconds=seconds)
    return Output(loss=out.loss, score=out.score)


@operator(returns=types.Schema(loss=types.DOUBLE(direction="lower")))
def training(lr: float, steps: int = 8, pause: float = 0.15):
    """A loss curve that flattens at a level set by ``lr``: bad rates are visibly bad early."""
    loss = 0.0
    for step in range(steps):
        loss = abs(lr - 0.1) * 10 + 1.0 / (step + 1)
        flowlab.report(step, loss)
        time.sleep(pause)
    return {"loss": loss}


@workflow(returns=types.Schema(loss=types.DOUBLE(direction="lower")))
def tune(lr: float, steps: int = 8, pause: float = 0.15):
    return Output(loss=training(lr=lr, steps=steps, pause=pause).loss)
