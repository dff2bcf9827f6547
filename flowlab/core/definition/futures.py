"""Futures: what a workflow body holds while it compiles, in place of values not computed yet.

A future stands for a value that exists only when operators run, so Python cannot decide a
condition on it, compare it, iterate it or take its length while the body runs. Every such use
raises :class:`~flowlab.errors.CompileError` instead of quietly answering (a truthy future
made ``if op(...).flag:`` take one branch forever). Identity, hashing and attribute access
keep working, so flowlab itself may keep futures in dicts and sets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flowlab.errors import CompileError

# Where a user is sent for decisions and loops over computed values (the sweeps issue adds them).
_INSTEAD = (
    "Pass it to an operator and decide there, or use flowlab.branch(condition, then, otherwise) "
    "for a branch and op.map(...) to run an operator over each item of a computed list."
)


class Future:
    """Base of every compile-time future; refuses what needs the value."""

    def _describe(self) -> str:  # pragma: no cover - every subclass says what it is
        return "this value"

    def _refuse(self, what: str) -> CompileError:
        return CompileError(
            f"{what} {self._describe()}: its value is not known while the workflow compiles "
            f"(it exists only when operators run). {_INSTEAD}"
        )

    def __bool__(self):
        raise self._refuse("cannot use as a condition (bool)")

    def __eq__(self, other):
        raise self._refuse("cannot compare (==)")

    def __ne__(self, other):
        raise self._refuse("cannot compare (!=)")

    def __lt__(self, other):
        raise self._refuse("cannot compare (<)")

    def __le__(self, other):
        raise self._refuse("cannot compare (<=)")

    def __gt__(self, other):
        raise self._refuse("cannot compare (>)")

    def __ge__(self, other):
        raise self._refuse("cannot compare (>=)")

    def __iter__(self):
        raise self._refuse("cannot iterate over")

    def __len__(self):
        raise self._refuse("cannot take len() of")

    def __contains__(self, item):
        raise self._refuse("cannot test membership (in) in")

    def __index__(self):  # range(future), list[future]
        raise self._refuse("cannot use as a number (int, index)")

    def __int__(self):
        raise self._refuse("cannot use as a number (int, index)")

    def __float__(self):
        raise self._refuse("cannot use as a number (float)")

    # Defining __eq__ drops the default hash; identity hashing keeps futures usable as dict
    # keys and set members (distinct live objects never hash equal, so __eq__ is never asked).
    __hash__ = object.__hash__


class InputRef(Future):
    """A workflow input passed by reference (DATASET, MODEL, ARRAY) while compiling."""

    def __init__(self, name: str, flow_type):
        self.name = name
        self.type = flow_type

    def _describe(self) -> str:
        return f"workflow input {self.name!r} ({self.type.name})"

    def __repr__(self) -> str:
        return f"<workflow input {self.name!r} ({self.type.name})>"


class OutputRef(Future):
    """One named output of an operator call that has not run yet."""

    def __init__(self, node: str, output: str, flow_type=None):
        self.node = node
        self.output = output
        self.type = flow_type

    def _describe(self) -> str:
        return f"output '{self.output}' of operator '{self.node}'"

    def __repr__(self) -> str:
        return f"<future {self.node}.{self.output}>"


class OperatorFuture(Future):
    """What calling an operator inside a workflow returns; its attributes are its outputs.

    An operator with a single output stands for that output when passed on. Unpacking
    (``a, b = op(...)``) is refused with the names to use instead: ``op(...).a``.
    """

    _kind = "operator call"

    def __init__(self, node: str, outputs: Mapping):
        self._node = node
        self._outputs = dict(outputs)

    def _describe(self) -> str:
        return f"{self._kind} '{self._node}'"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # our own attributes (and dunders) while being built or copied
            raise AttributeError(name)
        return self._named(name)

    def _named(self, name: str) -> Any:
        if name not in self._outputs:
            raise AttributeError(
                f"{self._kind} '{self._node}' has no output {name!r}; its "
                f"outputs are {', '.join(self._outputs) or 'none'}"
            )
        return self._output(name)

    def _output(self, name: str) -> Any:
        return OutputRef(self._node, name, self._outputs[name])

    def __getitem__(self, name: str) -> Any:
        if not isinstance(name, str):
            # Python's old iteration protocol calls __getitem__(0); say what to do instead.
            raise self._unpack_error()
        return self._named(name)

    def __iter__(self):
        raise self._unpack_error()

    def _unpack_error(self) -> CompileError:
        if len(self._outputs) == 1:
            return self._refuse("cannot iterate over")
        names = ", ".join(f"{self._node}.{k}" for k in self._outputs)
        return CompileError(
            f"cannot unpack or iterate {self._kind} '{self._node}': it has the named outputs "
            f"{', '.join(self._outputs) or 'none'}; take them by name ({names})."
        )

    def single(self) -> Any:
        if len(self._outputs) != 1:
            raise CompileError(
                f"{self._kind} '{self._node}' has outputs "
                f"{', '.join(self._outputs) or 'none'}; pick one, e.g. "
                f"{self._node}.{next(iter(self._outputs), 'x')}"
            )
        return self._output(next(iter(self._outputs)))

    def __repr__(self) -> str:
        return f"<future {self._node} -> {', '.join(self._outputs)}>"


class WorkflowFuture(OperatorFuture):
    """A nested workflow's outputs while the outer workflow compiles.

    Its attributes are what the nested body returned: futures of the operators inside it
    (with their types), workflow inputs, or plain values.
    """

    _kind = "nested workflow"

    def __init__(self, name: str, returned: Mapping[str, Any], types: Mapping):
        super().__init__(name, types)
        self._returned = dict(returned)

    def _output(self, name: str) -> Any:
        return self._returned[name]


def is_future(value: Any) -> bool:
    return isinstance(value, Future)


def type_name(flow_type) -> str | None:
    """The name of a flow type (``"LIST"``, ``"BOOL"``…), None for something untyped."""
    return getattr(flow_type, "name", None)


def future_type(value) -> Any:
    """The flow type a future carries (a one-output call: that output's type)."""
    if isinstance(value, OperatorFuture):
        value = value.single()
    return getattr(value, "type", None)


def outputs_of(future: OperatorFuture) -> dict[str, Any]:
    """Each output of an operator call, by name.

    Example::

        outputs_of(split(frame=df))   # {'train': <OutputRef split.train>, 'test': ...}
    """
    return {name: future[name] for name in future._outputs}


def contains_future(value: Any) -> bool:
    """True when ``value`` is a future or a list/tuple/dict holding one (at any depth)."""
    if isinstance(value, Future):
        return True
    if isinstance(value, (list, tuple)):
        return any(contains_future(v) for v in value)
    if isinstance(value, dict):
        return any(contains_future(v) for v in value.values())
    return False
