"""Search spaces: the ranges a random search or an Optuna study draws each input from.

Example::

    import flowlab
    space = {"max_depth": flowlab.space.int(2, 32),
             "learning_rate": flowlab.space.float(1e-3, 0.3, log=True),
             "criterion": flowlab.space.choice(["gini", "entropy"])}
"""

from __future__ import annotations

import builtins
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

__all__ = ["Choice", "Dimension", "Float", "Int", "choice", "float", "int"]


class Dimension(ABC):
    """One input's range. ``sample(rng)`` draws a value; ``suggest(trial, name)`` asks Optuna."""

    @abstractmethod
    def sample(self, rng) -> Any:
        """A value drawn with ``rng`` (a ``random.Random``)."""

    @abstractmethod
    def suggest(self, trial, name: str) -> Any:
        """The value Optuna's ``trial`` suggests for input ``name``."""

    @abstractmethod
    def values_to_check(self) -> list:
        """Values that must all be acceptable to the input's type (bounds, every choice)."""


@dataclass(frozen=True)
class Int(Dimension):
    low: builtins.int
    high: builtins.int
    log: bool = False

    def __post_init__(self):
        _check_bounds("int", self.low, self.high, self.log, builtins.int)

    def sample(self, rng) -> builtins.int:
        if self.log:
            value = math.exp(rng.uniform(math.log(self.low), math.log(self.high + 1)))
            return min(self.high, builtins.int(math.floor(value)))
        return builtins.int(rng.integers(self.low, self.high + 1))

    def suggest(self, trial, name: str) -> builtins.int:
        return trial.suggest_int(name, self.low, self.high, log=self.log)

    def values_to_check(self) -> list:
        return [self.low, self.high]


@dataclass(frozen=True)
class Float(Dimension):
    low: builtins.float
    high: builtins.float
    log: bool = False

    def __post_init__(self):
        _check_bounds("float", self.low, self.high, self.log, (builtins.int, builtins.float))

    def sample(self, rng) -> builtins.float:
        if self.log:
            return builtins.float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))
        return builtins.float(rng.uniform(self.low, self.high))

    def suggest(self, trial, name: str) -> builtins.float:
        return trial.suggest_float(name, self.low, self.high, log=self.log)

    def values_to_check(self) -> list:
        # the bounds may be whole numbers an INTEGER input accepts, but draws in between are
        # not: an interior value that is not whole shows such an input refuses the range
        inside = self.low + (self.high - self.low) * 0.3819660112501051
        return [builtins.float(self.low), builtins.float(self.high), inside]


@dataclass(frozen=True)
class Choice(Dimension):
    values: tuple

    def __post_init__(self):
        if not self.values:
            raise ValueError("flowlab.space.choice needs at least one value, got none")

    def sample(self, rng) -> Any:
        return self.values[builtins.int(rng.integers(0, len(self.values)))]

    def suggest(self, trial, name: str) -> Any:
        return trial.suggest_categorical(name, list(self.values))

    def values_to_check(self) -> list:
        return list(self.values)


def int(low: builtins.int, high: builtins.int, log: bool = False) -> Int:  # noqa: A001
    """Whole numbers from ``low`` to ``high`` inclusive (``log=True``: uniform in log space).

    Example::

        flowlab.space.int(1, 20, log=True)
    """
    return Int(low, high, log)


def float(low: builtins.float, high: builtins.float, log: bool = False) -> Float:  # noqa: A001
    """Real numbers from ``low`` to ``high`` (``log=True``: uniform in log space).

    Example::

        flowlab.space.float(1e-4, 1e-1, log=True)
    """
    return Float(low, high, log)


def choice(values) -> Choice:
    """One of ``values``.

    Example::

        flowlab.space.choice(["gini", "entropy"])
    """
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"flowlab.space.choice takes a list of values, got {values!r}")
    return Choice(tuple(values))


def _check_bounds(kind: str, low, high, log: bool, accepted) -> None:
    for name, value in (("low", low), ("high", high)):
        if isinstance(value, bool) or not isinstance(value, accepted):
            raise TypeError(f"flowlab.space.{kind}: {name} must be a number, got {value!r}")
    if low > high:
        raise ValueError(f"flowlab.space.{kind}: low ({low}) is above high ({high})")
    if log and low <= 0:
        raise ValueError(f"flowlab.space.{kind}(log=True): low must be above 0, got {low}")
