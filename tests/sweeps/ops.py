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


@operator(returns=types.Schema(values=types.LIST(types.INTEGER)))
def make_list(n: int):
    return {"values": list(range(1, n + 1))}


@operator(returns=types.Schema(square=types.INTEGER))
def square(x: int, offset: int = 0):
    return {"square": x * x + offset}


@operator(returns=types.Schema(total=types.INTEGER))
def total(values: list):
    return {"total": sum(values)}


@operator(
    input_schema=types.Schema(values=types.LIST(types.INTEGER)),
    returns=types.Schema(total=types.INTEGER),
)
def sum_all(values):
    return {"total": sum(values)}


@workflow(returns=types.Schema(squares=types.LIST(types.INTEGER), total=types.INTEGER))
def fan(n: int = 4, offset: int = 0):
    squares = square.map(x=make_list(n=n).values, offset=offset)
    return Output(squares=squares.square, total=sum_all(values=squares.square).total)


@operator(returns=types.Schema(big=types.BOOL))
def is_big(x: int):
    return {"big": x > 10}


@operator(returns=types.Schema(value=types.INTEGER))
def halve(x: int):
    return {"value": x // 2}


@operator(returns=types.Schema(value=types.INTEGER))
def triple(x: int):
    return {"value": x * 3}


@workflow(returns=types.Schema(value=types.INTEGER))
def decide(x: int):
    chosen = flowlab.branch(is_big(x=x).big, lambda: halve(x=x), lambda: triple(x=x))
    return Output(value=chosen.value)


@operator(returns=types.Schema(value=types.INTEGER))
def logged_square(x: int, log: str):
    """x * x; appends x to the file ``log`` (which elements ran), raises for x while the file
    ``{log}.fail-{x}`` exists (an element made to fail once)."""
    from pathlib import Path

    with open(log, "a") as f:
        f.write(f"{x}\n")
    if Path(f"{log}.fail-{x}").exists():
        raise ValueError(f"x={x} fails on purpose")
    return {"value": x * x}


@workflow(
    input_schema=types.Schema(values=types.LIST(types.INTEGER), log=types.TEXT),
    returns=types.Schema(squares=types.LIST(types.INTEGER)),
)
def logged_fan(values, log):
    return Output(squares=logged_square.map(x=values, log=log).value)


@operator(returns=types.Schema(loss=types.DOUBLE(direction="lower")), cache=False)
def gated_loss(x: int, y: int, gate: str = ""):
    """(x - y)^2 once the file ``gate`` exists, when x > 1: the sweep stays unfinished until
    a test opens the gate."""
    import os

    while x > 1 and not os.path.exists(gate):
        time.sleep(0.05)
    return {"loss": float((x - y) ** 2)}


@workflow(returns=types.Schema(loss=types.DOUBLE(direction="lower")))
def gated_grid(x: int, y: int, gate: str = ""):
    return Output(loss=gated_loss(x=x, y=y, gate=gate).loss)
