"""Workflows the dashboard tests run, importable by the dashboard's server process (its
Launch page rebuilds them from the workflow catalog: ``tests.browser.dashboard_flows:NAME``)."""

from __future__ import annotations

import time

from flowlab import Output, operator, types, workflow


@operator(returns=types.Schema(total=types.DOUBLE))
def dash_sum(a: int, b: int):
    return Output(total=float(a + b))


@workflow(returns=types.Schema(total=types.DOUBLE))
def dash_add(a: int = 1, b: int = 2):
    """Add two numbers (the dashboard tests' workflow)."""
    return Output(total=dash_sum(a=a, b=b).total)


@workflow(returns=types.Schema(total=types.DOUBLE))
def dash_signed(a: int = 1, negate: bool = False):
    """Add a sign to a number (a BOOL input in the dashboard's launch form)."""
    return Output(total=dash_sum(a=-a if negate else a, b=0).total)


@operator(returns=types.Schema(value=types.DOUBLE))
def dash_refuse(x: float):
    print(f"dash_refuse got {x}")
    raise ValueError(f"x={x} is refused on purpose")


@workflow(returns=types.Schema(value=types.DOUBLE))
def dash_fail(x: float = 1.0):
    return Output(value=dash_refuse(x=x).value)


@operator(returns=types.Schema(waited=types.DOUBLE))
def dash_sleep(seconds: float):
    time.sleep(seconds)  # the workload: a run that stays running while the dashboard shows it
    return Output(waited=seconds)


@workflow(returns=types.Schema(waited=types.DOUBLE))
def dash_slow(seconds: float = 60.0):
    return Output(waited=dash_sleep(seconds=seconds).waited)


@operator(returns=types.Schema(model=types.MODEL, accuracy=types.DOUBLE))
def dash_fit(depth: int):
    from sklearn.tree import DecisionTreeClassifier

    from flowlab.types import Model

    x, y = [[0], [1], [2], [3]], [0, 0, 1, 1]
    tree = DecisionTreeClassifier(max_depth=depth, random_state=0).fit(x, y)
    return Output(model=Model(estimator=tree, features=["x"], label="y"), accuracy=1.0)


@workflow(returns=types.Schema(model=types.MODEL, accuracy=types.DOUBLE))
def dash_train(depth: int = 2):
    """Train a tiny tree (the dashboard's Deploy test)."""
    fitted = dash_fit(depth=depth)
    return Output(model=fitted.model, accuracy=fitted.accuracy)
