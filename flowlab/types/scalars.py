"""INTEGER, DOUBLE, TEXT, BOOL, ENUM: values stored inline in the run record."""

from __future__ import annotations

import numbers
from typing import Any

from flowlab.types.base import FlowType, given_text, text_error
from flowlab.types.registry import register_type


class Integer(FlowType):
    name = "INTEGER"

    def __init__(self, *, min: int | None = None, max: int | None = None, **kw: Any):
        super().__init__(**kw)
        self.min, self.max = min, max

    def validate(self, value, where="value"):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise self.fail(where, "an integer (INTEGER)", value)
        _check_bounds(self, int(value), where)
        return int(value)

    def parse_text(self, text, where="value"):
        """Digits with an optional sign: "3" -> 3; "3.7" is an error, never 37."""
        text = given_text(self, text, where, "an integer")
        if text is None:
            return None
        try:
            value = int(text) if "_" not in text else None
        except ValueError:
            value = None
        if value is None:
            raise text_error(self, where, "an integer", text)
        return self.validate(value, where)

    def _json_schema(self):
        return _bounds_schema(self, "integer")

    @classmethod
    def _from_json(cls, data, **common):
        return cls(min=data.get("minimum"), max=data.get("maximum"), **common)

    def fits_dtype(self, dtype):
        from pandas.api import types as pdt

        return pdt.is_integer_dtype(dtype) and not pdt.is_bool_dtype(dtype)


class Double(FlowType):
    name = "DOUBLE"

    def __init__(
        self,
        *,
        min: float | None = None,
        max: float | None = None,
        direction: str | None = None,
        **kw: Any,
    ):
        super().__init__(**kw)
        self.min, self.max = min, max
        # "lower" or "higher" is better: comparisons colour metric deltas with it
        self.direction = direction

    def validate(self, value, where="value"):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise self.fail(where, "a number (DOUBLE)", value)
        _check_bounds(self, float(value), where)
        return float(value)

    def parse_text(self, text, where="value"):
        """A decimal number: "0.5", "-2", "1e-3"; "nan" and "1,5" are errors."""
        text = given_text(self, text, where, "a number")
        if text is None:
            return None
        try:
            value = float(text)
        except ValueError:
            value = None
        if value is None or value != value or "_" in text:
            raise text_error(self, where, "a number", text)
        return self.validate(value, where)

    def _json_schema(self):
        schema = _bounds_schema(self, "number")
        if self.direction:
            schema["x-direction"] = self.direction
        return schema

    @classmethod
    def _from_json(cls, data, **common):
        return cls(
            min=data.get("minimum"),
            max=data.get("maximum"),
            direction=data.get("x-direction"),
            **common,
        )

    def fits_dtype(self, dtype):
        from pandas.api import types as pdt

        return pdt.is_numeric_dtype(dtype) and not pdt.is_bool_dtype(dtype)


class Text(FlowType):
    name = "TEXT"

    def validate(self, value, where="value"):
        if not isinstance(value, str):
            raise self.fail(where, "a string (TEXT)", value)
        return value

    def parse_text(self, text, where="value"):
        """The text itself (as typed, not stripped); empty text is no value."""
        if given_text(self, text, where, "some text") is None:
            return None
        return self.validate(text, where)

    def _json_schema(self):
        return {"type": "string"}

    def fits_dtype(self, dtype):
        return _is_text_dtype(dtype)


class Bool(FlowType):
    name = "BOOL"

    def validate(self, value, where="value"):
        if not isinstance(value, bool):
            try:
                import numpy as np

                if isinstance(value, np.bool_):
                    return bool(value)
            except ImportError:  # pragma: no cover
                pass
            raise self.fail(where, "True or False (BOOL)", value)
        return value

    def parse_text(self, text, where="value"):
        """true/false, yes/no, on/off, 1/0 (any case)."""
        text = given_text(self, text, where, "true or false")
        if text is None:
            return None
        words = {"true": True, "yes": True, "on": True, "1": True}
        words.update({"false": False, "no": False, "off": False, "0": False})
        if text.lower() not in words:
            raise text_error(self, where, "true or false", text)
        return words[text.lower()]

    def _json_schema(self):
        return {"type": "boolean"}

    def fits_dtype(self, dtype):
        from pandas.api import types as pdt

        return pdt.is_bool_dtype(dtype)


class Enum(FlowType):
    """A choice among fixed values: ``ENUM("gbdt", "logistic_regression")``."""

    name = "ENUM"

    def __init__(self, *choices: Any, **kw: Any):
        super().__init__(**kw)
        self.choices = tuple(getattr(c, "value", c) for c in choices)

    def __call__(self, *choices: Any, **options: Any) -> FlowType:
        new = super().__call__(**options)
        if choices:
            new.choices = tuple(getattr(c, "value", c) for c in choices)
        return new

    def validate(self, value, where="value"):
        value = getattr(value, "value", value)
        if value not in self.choices:
            raise self.fail(where, f"one of {', '.join(map(repr, self.choices))} (ENUM)", value)
        return value

    def parse_text(self, text, where="value"):
        """The choice whose text is ``text`` (choices may be numbers: "3" picks 3)."""
        text = given_text(self, text, where, "a choice")
        if text is None:
            return None
        for choice in self.choices:
            if str(choice) == text:
                return choice
        expected = f"one of {', '.join(map(str, self.choices)) or 'no choices'}"
        raise text_error(self, where, expected, text)

    def _json_schema(self):
        return {"enum": list(self.choices)}

    @classmethod
    def _from_json(cls, data, **common):
        return cls(*data.get("enum", ()), **common)

    def fits_dtype(self, dtype):
        numeric = [c for c in self.choices if isinstance(c, numbers.Number)]
        if numeric and len(numeric) == len(self.choices):  # ENUM(1, 2, 3): codes in a column
            from pandas.api import types as pdt

            return pdt.is_numeric_dtype(dtype) or _is_text_dtype(dtype)
        return _is_text_dtype(dtype)


def _is_text_dtype(dtype) -> bool:
    from pandas.api import types as pdt

    return (
        pdt.is_string_dtype(dtype)
        or pdt.is_object_dtype(dtype)
        or isinstance(dtype, pdt.CategoricalDtype)
    )


def _check_bounds(t: FlowType, value: float, where: str) -> None:
    from flowlab.errors import FlowTypeError

    if t.min is not None and value < t.min:
        raise FlowTypeError(f"{where}: {value} is below the minimum {t.min}")
    if t.max is not None and value > t.max:
        raise FlowTypeError(f"{where}: {value} is above the maximum {t.max}")


def _bounds_schema(t: FlowType, json_type: str) -> dict:
    schema: dict = {"type": json_type}
    if t.min is not None:
        schema["minimum"] = t.min
    if t.max is not None:
        schema["maximum"] = t.max
    return schema


INTEGER = register_type(Integer(), int)
DOUBLE = register_type(Double(), float)
TEXT = register_type(Text(), str)
BOOL = register_type(Bool(), bool)
ENUM = register_type(Enum())
