"""The canonical text of a value: the same in every process, whatever its hash seed.

Code versions hash the constants an operator reads. ``repr`` will not do: a set's or a
frozenset's order follows string hashes (different in every process unless PYTHONHASHSEED is
fixed), and the ``repr`` of most objects holds their address. Here sets and dicts are written
in the order of their items' canonical texts, enum members by class and name, dataclasses,
tuples and lists by value, recursively, flowlab types by their JSON description; a value
with no such form is refused, naming why.

Example::

    canonical_form(frozenset({"b", "a"})) == canonical_form(frozenset({"a", "b"}))
    canonical_form(object())   # None: its repr holds an address
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import fractions
import functools
import inspect
import pathlib
import re
import sys
import types
import uuid
from collections.abc import Callable
from typing import Any

from flowlab.types import FlowType, Schema

#: containers nested deeper than this, or holding more items in all, have no canonical form
MAX_DEPTH = 50
MAX_ITEMS = 1_000_000

_PLAIN = (type(None), bool, int, float, complex, str, bytes)
# values whose repr is their value, in every process
_BY_REPR = (
    datetime.date,
    datetime.time,
    datetime.timedelta,
    datetime.timezone,
    decimal.Decimal,
    fractions.Fraction,
    uuid.UUID,
    pathlib.PurePath,
    range,
)


class NoStableForm(ValueError):
    """A value has no text that is the same in every process (the message says why)."""


def canonical_form(value: Any, on_code: Callable[[Any], None] | None = None) -> str | None:
    """``value`` as text that is the same in every process, or None if it has none.

    Functions and classes met inside the value are written by qualified name and passed to
    ``on_code`` (a code version follows them).

    Example::

        canonical_form({"b": 1, "a": {2, 1}})   # "dict{'a': set{1, 2}, 'b': 1}"
    """
    try:
        return canonical_text(value, on_code)
    except NoStableForm:
        return None


def canonical_text(value: Any, on_code: Callable[[Any], None] | None = None) -> str:
    """:func:`canonical_form`, raising :class:`NoStableForm` (naming why) for a value that has
    none.

    Example::

        canonical_text(threading.Lock())   # NoStableForm: ... its repr holds an address
    """
    return _Writer(on_code).write(value, 0)


class _Writer:
    def __init__(self, on_code: Callable[[Any], None] | None):
        self.on_code = on_code
        self.items = 0

    def write(self, value: Any, depth: int) -> str:
        self.items += 1
        if depth > MAX_DEPTH:
            raise NoStableForm(f"it is nested deeper than {MAX_DEPTH} levels (or holds itself)")
        if self.items > MAX_ITEMS:
            raise NoStableForm(f"it holds more than {MAX_ITEMS} values")
        kind = type(value)
        if kind in _PLAIN:
            return repr(value)
        if isinstance(value, enum.Enum):
            return self.member(value, depth)
        if isinstance(value, (bool, int, float, complex, str, bytes)):
            # a subclass (numpy.float64, a str subclass): its type and its plain value
            plain = next(t for t in (bool, int, float, complex, str, bytes) if isinstance(value, t))
            return f"{qualified(kind)}({plain(value)!r})"
        if isinstance(value, (set, frozenset)):
            items = sorted(self.write(item, depth + 1) for item in value)
            return f"{_tag(value, set, frozenset)}{{{', '.join(items)}}}"
        if isinstance(value, dict):
            pairs = sorted(
                f"{self.write(k, depth + 1)}: {self.write(v, depth + 1)}" for k, v in value.items()
            )
            return f"{_tag(value, dict)}{{{', '.join(pairs)}}}"
        if isinstance(value, (tuple, list)):
            items = [self.write(item, depth + 1) for item in value]
            return f"{_tag(value, tuple, list)}[{', '.join(items)}]"
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            fields = [
                f"{f.name}={self.write(getattr(value, f.name), depth + 1)}"
                for f in dataclasses.fields(value)
            ]
            return f"dataclass {qualified(kind)}({', '.join(fields)})"
        if isinstance(value, (FlowType, Schema)):
            # a flowlab type is its description (which rebuilds it exactly)
            return f"{qualified(kind)}:{self.write(value.to_json(), depth + 1)}"
        if isinstance(value, _BY_REPR):
            return f"{qualified(kind)}:{value!r}"
        if isinstance(value, re.Pattern):
            return f"re.Pattern({self.write(value.pattern, depth + 1)}, {value.flags})"
        if isinstance(value, types.CodeType):
            return self.code(value, depth)
        if isinstance(value, functools.partial):
            arguments = self.write((value.func, value.args, value.keywords), depth + 1)
            return f"functools.partial{arguments}"
        if inspect.isfunction(value) or inspect.isclass(value) or _is_operator(value):
            return self.named_code(value)
        if inspect.isroutine(value):
            owner = getattr(value, "__self__", None)
            if owner is None or inspect.ismodule(owner):
                return f"routine {qualified(value)}"
            raise NoStableForm(f"it is a method bound to a {qualified(type(owner))}")
        if inspect.ismodule(value):
            return f"module {value.__name__}"
        numpy_form = self.numpy(value, depth)
        if numpy_form is not None:
            return numpy_form
        if _ADDRESS.search(_safe_repr(value)):
            raise NoStableForm(f"it is a {qualified(kind)}, whose repr holds an address")
        raise NoStableForm(f"it is a {qualified(kind)}, a type with no canonical form")

    def member(self, member: enum.Enum, depth: int) -> str:
        text = f"enum {qualified(type(member))}.{member.name}"
        try:
            return f"{text}={self.write(member.value, depth + 1)}"
        except NoStableForm:
            return text  # its name says which member it is

    def code(self, code: types.CodeType, depth: int) -> str:
        consts = [self.write(c, depth + 1) for c in code.co_consts]
        return f"code {code.co_name}({code.co_code.hex()}, [{', '.join(consts)}], {code.co_names})"

    def named_code(self, value: Any) -> str:
        target = value.fn if _is_operator(value) else value
        if self.on_code is not None:
            self.on_code(target)
        return f"code {qualified(target)}"

    def numpy(self, value: Any, depth: int) -> str | None:
        numpy = sys.modules.get("numpy")
        if numpy is None:
            return None
        if isinstance(value, numpy.generic):
            return f"numpy.{type(value).__name__}({self.write(value.item(), depth + 1)})"
        if isinstance(value, numpy.ndarray):
            if value.dtype.hasobject:
                items = self.write(value.tolist(), depth + 1)
            else:
                items = numpy.ascontiguousarray(value).tobytes().hex()
            return f"numpy.ndarray({value.dtype.str}, {value.shape}, {items})"
        return None


def qualified(obj: Any) -> str:
    """``module.QualifiedName`` of a class or a function."""
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', '?')}"


def _tag(value: Any, *plain: type) -> str:
    kind = type(value)
    return kind.__name__ if kind in plain else qualified(kind)


_ADDRESS = re.compile(r"0x[0-9a-fA-F]{4,}")


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception:  # a broken __repr__ says nothing either way
        return ""


def _is_operator(value: Any) -> bool:
    return type(value).__name__ in ("Operator", "Workflow") and callable(getattr(value, "fn", None))
