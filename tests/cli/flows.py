"""Workflows the CLI tests submit (by module and by file path)."""

import os
import time

from flowlab import Output, Resources, operator, types, workflow


@operator(returns=types.Schema(total=types.INTEGER))
def add(a: int, b: int):
    print(f"adding {a} and {b}")
    return Output(total=a + b)


@operator(returns=types.Schema(value=types.INTEGER))
def slow(x: int, seconds: float):
    time.sleep(seconds)
    return Output(value=x)


@operator(returns=types.Schema(where=types.TEXT), resources=Resources(gpu=1))
def on_gpu(x: int):
    from distributed import get_worker

    return Output(where=str(get_worker().name))


@workflow(
    input_schema=types.Schema(
        a=types.INTEGER(min=0), b=types.INTEGER, flags=types.LIST(types.TEXT), fast=types.BOOL
    ),
    returns=types.Schema(total=types.INTEGER, count=types.INTEGER),
)
def adder(a, b=1, flags=None, fast=True):
    """Add two integers.

    a: the first one
    """
    total = add(a=a, b=b).total
    return Output(total=total, count=len(flags or []) + (1 if fast else 0))


@workflow(
    input_schema=types.Schema(x=types.INTEGER, seconds=types.DOUBLE),
    returns=types.Schema(first=types.INTEGER, second=types.INTEGER),
)
def sleeper(x, seconds=30.0):
    first = add(a=x, b=0).total
    second = slow(x=first, seconds=seconds).value
    return Output(first=first, second=second)


@workflow(input_schema=types.Schema(x=types.INTEGER), returns=types.Schema(where=types.TEXT))
def gpu_flow(x):
    return Output(where=on_gpu(x=x).where)


@operator(returns=types.Schema(value=types.INTEGER))
def explode(x: int):
    raise ValueError(f"cannot take {x}")


@workflow(input_schema=types.Schema(x=types.INTEGER), returns=types.Schema(value=types.INTEGER))
def failing(x):
    return Output(value=explode(x=x).value)


@operator(returns=types.Schema(half=types.INTEGER))
def halve_even(a: int):
    if a % 2:
        raise ValueError(f"{a} is odd")
    return Output(half=a // 2)


@workflow(
    input_schema=types.Schema(a=types.INTEGER, b=types.INTEGER),
    returns=types.Schema(half=types.INTEGER),
)
def evens(a, b=0):
    """Half of a + b; fails when it is odd (a sweep with failed children)."""
    return Output(half=halve_even(a=a + b).half)


@operator(returns=types.Schema(count=types.INTEGER))
def tick(n: int, seconds: float, gate: str = ""):
    for i in range(n):
        print(f"tick {i}", flush=True)
        # a gate: the first line stays the only one until the test has seen it
        while i == 0 and gate and not os.path.exists(gate):
            time.sleep(0.05)
        time.sleep(seconds)
    return Output(count=n)


@workflow(
    input_schema=types.Schema(n=types.INTEGER, seconds=types.DOUBLE, gate=types.TEXT),
    returns=types.Schema(count=types.INTEGER),
)
def ticker(n, seconds=1.0, gate=""):
    return Output(count=tick(n=n, seconds=seconds, gate=gate).count)
