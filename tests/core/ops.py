"""Small operators and workflows the engine tests run on real workers."""

from __future__ import annotations

import logging
import os
import time

from flowlab import Output, Resources, operator, types, workflow


@operator(
    input_schema=types.Schema(a=types.INTEGER, b=types.INTEGER),
    returns=types.Schema(total=types.INTEGER),
    resources=Resources(cpu=1, gpu=0, memory="100MB"),
    retries=0,
)
def add(a, b):
    return Output(total=a + b)


@operator(returns=types.Schema(value=types.DOUBLE))
def sleepy(seconds: float, value: float = 1.0):
    time.sleep(seconds)
    return {"value": value}


@operator(returns=types.Schema(value=types.DOUBLE))
def boom(x: float):
    print("about to fail")
    logging.getLogger("tests.boom").warning("failing on purpose")
    raise ValueError(f"bad value {x}")


@operator(returns=types.Schema(value=types.DOUBLE))
def double(x: float):
    return {"value": 2 * x}


@operator(returns=types.Schema(attempt=types.INTEGER), retries=2)
def flaky(marker: str):
    """Fails on its first attempt (no marker file yet), succeeds on the next."""
    if not os.path.exists(marker):
        open(marker, "w").close()
        raise RuntimeError("first attempt fails")
    return {"attempt": 2}


@operator(returns=types.Schema(pid=types.INTEGER))
def slow_once(marker: str, seconds: float = 60):
    """Sleeps on its first attempt (so the test can kill its worker); returns at once after."""
    if not os.path.exists(marker):
        with open(marker, "w") as f:
            f.write(str(os.getpid()))
        time.sleep(seconds)
    return {"pid": os.getpid()}


@operator(returns=types.Schema(devices=types.TEXT), resources=Resources(cpu=1, gpu=1))
def needs_gpu():
    return {"devices": os.environ.get("CUDA_VISIBLE_DEVICES", "")}


@operator(returns=types.Schema(printed=types.TEXT))
def chatty(n: int):
    for i in range(n):
        print(f"line {i}")
    logging.getLogger("tests.chatty").info("done printing")
    return {"printed": "yes"}


@operator(returns=types.Schema(sample=types.DOUBLE))
def random_number():
    import numpy as np

    return {"sample": float(np.random.random())}


@workflow(returns=types.Schema(left=types.DOUBLE, right=types.DOUBLE))
def two_sleepers(seconds: float = 1.0):
    return Output(
        left=sleepy(seconds=seconds, value=1.0).value,
        right=sleepy(seconds=seconds, value=2.0).value,
    )


@workflow(returns=types.Schema(failed=types.DOUBLE, after=types.DOUBLE, independent=types.DOUBLE))
def half_broken(x: float = 1.0):
    bad = boom(x=x)
    return Output(
        failed=bad.value, after=double(x=bad).value, independent=sleepy(seconds=0.5, value=x).value
    )


@workflow(
    input_schema=types.Schema(a=types.INTEGER, b=types.INTEGER),
    returns=types.Schema(total=types.INTEGER),
)
def add_twice(a, b):
    first = add(a=a, b=b)
    return Output(total=add(a=first.total, b=b).total)


@workflow(returns=types.Schema(total=types.INTEGER, again=types.INTEGER))
def nested(a: int = 1):
    inner = add_twice(a=a, b=10)
    return Output(total=inner.total, again=add(a=inner.total, b=1))


@workflow(returns=types.Schema(x=types.DOUBLE, y=types.DOUBLE))
def two_randoms():
    return Output(x=random_number(), y=random_number())


@operator(returns=types.Schema(value=types.DOUBLE))
def seconds_of(seconds: float):
    """A small parent whose output two siblings read."""
    return {"value": seconds}


@workflow(returns=types.Schema(left=types.DOUBLE, right=types.DOUBLE))
def siblings(seconds: float = 2.0):
    """Two sleepers reading one parent's (small) output: they should start together."""
    parent = seconds_of(seconds=seconds)
    return Output(
        left=sleepy(seconds=parent.value, value=1.0).value,
        right=sleepy(seconds=parent.value, value=2.0).value,
    )


@operator(returns=types.Schema(total=types.INTEGER, child=types.TEXT))
def launches_a_workflow(a: int):
    """Launches a whole workflow from inside an operator and waits for it."""
    child = add_twice.launch(a=a, b=1, cache=False)
    return {"total": child.result(timeout=120).total, "child": child.id}


@workflow(returns=types.Schema(total=types.INTEGER, child=types.TEXT))
def launcher(a: int = 1):
    out = launches_a_workflow(a=a)
    return Output(total=out.total, child=out.child)


@operator(returns=types.Schema(frame=types.DATASET))
def scaled(frame: types.DATASET, by: float = 2.0):
    return {"frame": frame * by}


@operator(returns=types.Schema(value=types.DOUBLE))
def frame_sum(frame: types.DATASET):
    return {"value": float(frame.to_numpy().sum())}


@workflow(returns=types.Schema(value=types.DOUBLE))
def frame_chain(frame: types.DATASET, by: float = 2.0):
    """Two DATASET hops, then a number: only the number is the workflow's output."""
    twice = scaled(frame=scaled(frame=frame, by=by).frame, by=by)
    return Output(value=frame_sum(frame=twice.frame).value)


@operator(returns=types.Schema(table=types.DICT))
def big_table(n: int):
    return {"table": {f"key{i}": "x" * 100 for i in range(n)}}


@workflow(returns=types.Schema(table=types.DICT))
def big_dict(n: int = 20_000):
    return Output(table=big_table(n=n).table)


@operator(returns=types.Schema(done=types.BOOL))
def talks_then_waits(marker: str, seconds: float = 60):
    """Prints a line, then waits until ``marker`` (a file) exists, at most ``seconds``."""
    import os

    from tests.polling import poll_for

    print("epoch 1: loss 0.5", flush=True)
    poll_for(lambda: os.path.exists(marker), seconds, what=f"{marker} to be written")
    return {"done": True}
