"""Output: the named values an operator or workflow returns (a mapping with attributes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Output(Mapping):
    """Named outputs; reads as a mapping and by attribute.

    Example::

        out = Output(total=3)
        out.total == out["total"] == 3
    """

    def __init__(self, mapping: Mapping | None = None, /, **values: Any):
        data = dict(mapping or {})
        data.update(values)
        object.__setattr__(self, "_values", data)

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(
                f"no output {name!r}; outputs are {', '.join(self._values) or 'none'}"
            ) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Output is read-only")

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={short_repr(v)}" for k, v in self._values.items())
        return f"Output({inner})"

    def __getstate__(self):
        return self._values

    def __setstate__(self, state):
        object.__setattr__(self, "_values", state)


def short_repr(value: Any) -> str:
    """A value as one short line of a repr: a DataFrame by its shape, long text cut.

    Example::

        short_repr(frame)   # '<DataFrame 150x5>'
    """
    if hasattr(value, "shape") and hasattr(value, "columns"):
        return f"<DataFrame {value.shape[0]}x{value.shape[1]}>"
    text = repr(value)
    return text if len(text) < 60 else text[:57] + "..."
