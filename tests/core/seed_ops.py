"""Operators that draw random numbers every way an operator may, and what they must draw.

Each draw step takes, in order: ``random.random()``, ``numpy.random.rand()``,
``flowlab.rng().random()``, ``check_random_state(None).rand()`` (scikit-learn's and SciPy's
``random_state=None``, NumPy's global RandomState), and ``random`` and ``rand`` taken with
``from ... import`` after flowlab; then ``random.shuffle`` and ``numpy.random.permutation``
of ten items. :func:`expected_draws` computes the same from the
seed alone, with generators of its own: what an operator draws must be exactly that, whatever
runs beside it.
"""

from __future__ import annotations

import json
import os
import random
import time

import numpy
from sklearn.utils import check_random_state

import flowlab
from flowlab import Output, operator, types, workflow

# isort: split
# names taken from the modules after flowlab is imported: they draw from the call's too
from random import random as python_random

from numpy.random import rand as numpy_rand

#: draws between two pauses: the pause lets the worker's other threads draw meanwhile
DRAWS_PER_PAUSE = 10


def draw(count: int, pause: float) -> str:
    """Draw ``count`` steps from every generator an operator may use; the draws as JSON."""
    drawn: dict = {"seed": flowlab.current_seed(), "steps": []}
    for i in range(count):
        drawn["steps"].append(
            [
                random.random(),
                float(numpy.random.rand()),
                float(flowlab.rng().random()),
                float(check_random_state(None).rand()),
                python_random(),
                float(numpy_rand()),
            ]
        )
        if pause and i % DRAWS_PER_PAUSE == DRAWS_PER_PAUSE - 1:
            time.sleep(pause)
    items = list(range(10))
    random.shuffle(items)
    drawn["shuffle"] = items
    drawn["permutation"] = [int(v) for v in numpy.random.permutation(10)]
    return json.dumps(drawn)


def expected_draws(seed: int, count: int) -> dict:
    """What :func:`draw` gives in an operator whose seed is ``seed``."""
    python = random.Random(seed)
    legacy = numpy.random.RandomState(seed % 2**32)
    generator = numpy.random.default_rng(seed)
    steps = [
        [
            python.random(),
            float(legacy.rand()),
            float(generator.random()),
            float(legacy.rand()),
            python.random(),
            float(legacy.rand()),
        ]
        for _ in range(count)
    ]
    items = list(range(10))
    python.shuffle(items)
    permutation = [int(v) for v in legacy.permutation(10)]
    return {"seed": seed, "steps": steps, "shuffle": items, "permutation": permutation}


@operator(returns=types.Schema(drawn=types.TEXT))
def draws(count: int, pause: float = 0.001):
    return Output(drawn=draw(count, pause))


@workflow(
    returns=types.Schema(a=types.TEXT, b=types.TEXT, c=types.TEXT, d=types.TEXT),
)
def four_at_once(count: int = 200, pause: float = 0.001):
    """Four operators with nothing between them: a two-thread worker runs two at once."""
    return Output(
        a=draws(count=count, pause=pause).drawn,
        b=draws(count=count, pause=pause).drawn,
        c=draws(count=count, pause=pause).drawn,
        d=draws(count=count, pause=pause).drawn,
    )


@operator(returns=types.Schema(drawn=types.TEXT))
def draws_for(label: str, count: int, pause: float = 0.001):
    return Output(drawn=draw(count, pause))


@workflow(returns=types.Schema(drawn=types.LIST(types.TEXT)))
def mapped_draws(labels: list, count: int = 100, pause: float = 0.001):
    """One element per label, each drawing with its own seed."""
    return Output(drawn=draws_for.map(label=labels, count=count, pause=pause).drawn)


@operator(returns=types.Schema(drawn=types.TEXT), retries=1)
def draws_then_fails_once(marker: str, count: int):
    """Draws, then fails on its first attempt (no ``marker`` file yet): its retry draws again."""
    drawn = draw(count, 0)
    if not os.path.exists(marker):
        open(marker, "w").close()
        raise RuntimeError("the first attempt fails on purpose")
    return Output(drawn=drawn)


@workflow(returns=types.Schema(drawn=types.TEXT))
def retried_draws(marker: str, count: int = 50):
    return Output(drawn=draws_then_fails_once(marker=marker, count=count).drawn)
