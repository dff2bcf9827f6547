"""Operators that draw with torch (imported here, so a worker has torch before the call)."""

from __future__ import annotations

import json
import time

import torch

import flowlab
from flowlab import Output, operator, types, workflow

COUNT = 50


def expected_generator_draws(seed: int, device: str, count: int = COUNT) -> list[float]:
    """What ``torch.rand(count, generator=flowlab.torch_generator(device))`` gives first."""
    generator = torch.Generator(device=device)
    generator.manual_seed(seed)
    return torch.rand(count, device=device, generator=generator).tolist()


def expected_global_draws(seed: int, count: int = COUNT) -> list[float]:
    """What ``torch.rand(count)`` gives first in an operator alone in its worker."""
    torch.manual_seed(seed)
    return torch.rand(count).tolist()


@operator(returns=types.Schema(drawn=types.TEXT))
def torch_draws(pause: float = 0.001):
    generator = flowlab.torch_generator()
    values = []
    for _ in range(COUNT):
        values += torch.rand(1, generator=generator).tolist()
        time.sleep(pause)  # the other operator draws meanwhile
    return Output(drawn=json.dumps({"seed": flowlab.current_seed(), "generator": values}))


@workflow(returns=types.Schema(a=types.TEXT, b=types.TEXT))
def torch_at_once(pause: float = 0.001):
    return Output(a=torch_draws(pause=pause).drawn, b=torch_draws(pause=pause).drawn)


@operator(returns=types.Schema(drawn=types.TEXT))
def torch_global_draws():
    drawn = {"seed": flowlab.current_seed(), "global": torch.rand(COUNT).tolist()}
    return Output(drawn=json.dumps(drawn))


@workflow(returns=types.Schema(drawn=types.TEXT))
def torch_alone():
    return Output(drawn=torch_global_draws().drawn)


@operator(returns=types.Schema(drawn=types.TEXT))
def torch_global_slowly(pause: float = 0.001):
    """Draws from torch's global generator, a little at a time (others run meanwhile)."""
    values = []
    for _ in range(COUNT):
        values += torch.rand(1).tolist()
        time.sleep(pause)
    layer = torch.nn.Linear(3, 2)  # nn.init draws from the global generator too
    dropped = torch.nn.functional.dropout(torch.ones(8), p=0.5).tolist()
    drawn = {
        "seed": flowlab.current_seed(),
        "global": values,
        "weights": layer.weight.flatten().tolist(),
        "dropout": dropped,
    }
    return Output(drawn=json.dumps(drawn))


def expected_global_slowly(seed: int) -> dict:
    """What ``torch_global_slowly`` gives alone in its process."""
    torch.manual_seed(seed)
    values = [torch.rand(1).item() for _ in range(COUNT)]
    layer = torch.nn.Linear(3, 2)
    dropped = torch.nn.functional.dropout(torch.ones(8), p=0.5).tolist()
    return {
        "seed": seed,
        "global": values,
        "weights": layer.weight.flatten().tolist(),
        "dropout": dropped,
    }


@workflow(returns=types.Schema(a=types.TEXT, b=types.TEXT))
def torch_global_at_once(pause: float = 0.001):
    return Output(
        a=torch_global_slowly(pause=pause).drawn, b=torch_global_slowly(pause=pause).drawn
    )
