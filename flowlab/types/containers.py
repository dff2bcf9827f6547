"""LIST(T), DICT, FEATURES, COLUMN and Schema: structured values built from other types."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from flowlab.errors import FlowTypeError, SchemaError
from flowlab.types.base import FlowType, given_text, text_error
from flowlab.types.registry import as_flow_type, from_json, register_type


class List(FlowType):
    """A list whose items all have one type: ``LIST(INTEGER)`` or ``LIST(TEXT)``."""

    name = "LIST"

    def __init__(self, item: Any = None, **kw: Any):
        super().__init__(**kw)
        self.item = as_flow_type(item) if item is not None else None

    def __call__(self, item: Any = None, **options: Any) -> FlowType:
        new = super().__call__(**options)
        if item is not None:
            new.item = as_flow_type(item)
        return new

    def validate(self, value, where="value"):
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
            raise self.fail(where, "a list (LIST)", value)
        items = list(value)
        if self.item is not None:
            items = [self.item.validate(v, f"{where}[{i}]") for i, v in enumerate(items)]
        return items

    def parse_text(self, text, where="value"):
        """``a, b, c`` (each item read by the item type) or a JSON list ``[1, 2]``."""
        text = given_text(self, text, where, "a list: a, b, c or JSON")
        if text is None:
            return None
        items = _split_items(self, text, where)
        if self.item is not None and not text.startswith("["):
            items = [self.item.parse_text(v, f"{where}[{i}]") for i, v in enumerate(items)]
        return self.validate(items, where)

    def _json_schema(self):
        schema: dict = {"type": "array"}
        if self.item is not None:
            schema["items"] = self.item.to_json()
        return schema

    @classmethod
    def _from_json(cls, data, **common):
        item = data.get("items")
        return cls(from_json(item) if item is not None else None, **common)

    def encode(self, value, artifacts, *, exact=False):
        if value is None or self.item is None:
            return super().encode(value, artifacts, exact=exact)
        return [self.item.encode(v, artifacts, exact=exact) for v in value]

    def decode(self, data, artifacts):
        if self.item is None or not isinstance(data, list):
            return data
        return [self.item.decode(v, artifacts) for v in data]

    def warm(self) -> None:
        if self.item is not None:
            self.item.warm()

    def __repr__(self) -> str:
        return f"LIST({self.item!r})" if self.item is not None else "LIST"


class Dict(FlowType):
    """A JSON-like mapping with string keys; ``DICT(DOUBLE)`` types its values too."""

    name = "DICT"

    def __init__(self, values: Any = None, **kw: Any):
        super().__init__(**kw)
        self.values = as_flow_type(values) if values is not None else None

    def __call__(self, values: Any = None, **options: Any) -> FlowType:
        new = super().__call__(**options)
        if values is not None:
            new.values = as_flow_type(values)
        return new

    def warm(self) -> None:
        if self.values is not None:
            self.values.warm()

    def validate(self, value, where="value"):
        if not isinstance(value, Mapping):
            raise self.fail(where, "a mapping (DICT)", value)
        bad = [k for k in value if not isinstance(k, str)]
        if bad:
            raise FlowTypeError(f"{where}: DICT keys must be strings, found {bad[0]!r}")
        if self.values is not None:
            return {k: self.values.validate(v, f"{where}[{k!r}]") for k, v in value.items()}
        return dict(value)

    def parse_text(self, text, where="value"):
        """A JSON object: ``{"key": "value"}``."""
        text = given_text(self, text, where, 'a JSON object {"key": value}')
        if text is None:
            return None
        try:
            value = json.loads(text)
        except json.JSONDecodeError as e:
            why = f"not JSON, {e.msg} at column {e.colno}"
            raise text_error(self, where, "a JSON object", text, why) from None
        return self.validate(value, where)

    def _json_schema(self):
        schema: dict = {"type": "object"}
        if self.values is not None:
            schema["additionalProperties"] = self.values.to_json()
        return schema

    @classmethod
    def _from_json(cls, data, **common):
        values = data.get("additionalProperties")
        return cls(from_json(values) if isinstance(values, dict) else None, **common)

    def encode(self, value, artifacts, *, exact=False):
        if value is None or self.values is None:
            return super().encode(value, artifacts, exact=exact)
        return {k: self.values.encode(v, artifacts, exact=exact) for k, v in value.items()}

    def decode(self, data, artifacts):
        if self.values is None or not isinstance(data, dict):
            return data
        return {k: self.values.decode(v, artifacts) for k, v in data.items()}

    def __repr__(self) -> str:
        return f"DICT({self.values!r})" if self.values is not None else "DICT"


class Features(FlowType):
    """Column names of another input: ``FEATURES(of="dataset")``."""

    name = "FEATURES"

    def __init__(self, of: str | None = None, label: str | None = None, **kw: Any):
        super().__init__(**kw)
        self.of = of
        # the label column (or the input holding it); without one, the input named "label"
        self.label = label

    def validate(self, value, where="value"):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, Iterable) or not all(isinstance(v, str) for v in value):
            raise self.fail(where, "a list of column names (FEATURES)", value)
        return list(value)

    def parse_text(self, text, where="value"):
        """Column names: ``a, b, c`` or a JSON list; a column named twice is an error."""
        text = given_text(self, text, where, "column names: a, b, c")
        if text is None:
            return None
        names = self.validate(_split_items(self, text, where), where)
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise FlowTypeError(f"{where}: column {', '.join(map(repr, twice))} named twice")
        return names

    def validate_with(self, value, inputs, where="value"):
        """Each feature is a column of the dataset input ``of`` names, and not its label."""
        offered = self.columns(inputs)
        if value is None or offered is None:
            return value
        label = self.label_in(inputs)
        if label in value:
            raise FlowTypeError(
                f"{where}: '{label}' is the label column; a feature cannot be the label"
            )
        unknown = [c for c in value if c not in offered]
        if unknown:
            names = ", ".join(map(repr, unknown))
            raise FlowTypeError(
                f"{where}: {names} {'is not a column' if len(unknown) == 1 else 'are not columns'}"
                f" of input '{self.of}'; choose among {', '.join(offered) or 'no columns'}"
            )
        return value

    def columns(self, inputs) -> list[str] | None:
        """The columns offered as features (the label excluded); None when not known yet."""
        found = columns_of(self.of, inputs)
        label = self.label_in(inputs)
        return None if found is None else [c for c in found if c != label]

    def label_in(self, inputs) -> str | None:
        """The label column: the ``label`` option (a column, or an input's name), else the
        value of the input named ``label``."""
        label = inputs.get(self.label, self.label) if self.label else inputs.get("label")
        return label if isinstance(label, str) else None

    def _json_schema(self):
        schema: dict = {"type": "array", "items": {"type": "string"}}
        if self.of:
            schema["x-features-of"] = self.of
        if self.label:
            schema["x-label"] = self.label
        return schema

    @classmethod
    def _from_json(cls, data, **common):
        return cls(of=data.get("x-features-of"), label=data.get("x-label"), **common)


def columns_of(of: str | None, inputs) -> list[str] | None:
    """The column names of the dataset input ``of`` among ``inputs``; None when it is not
    given yet or cannot be read (the dataset input reports its own error).

    Example::

        columns_of("dataset", {"dataset": frame})   # ["petal_width", …, "species"]
    """
    from flowlab.types.dataset import column_dtypes

    source = inputs.get(of) if of else None
    if source is None:
        return None
    try:
        found = column_dtypes(source, f"input '{of}'")
    except (TypeError, ValueError, OSError):
        return None
    return None if found is None else [str(c) for c in found]


class Column(FlowType):
    """One column name of another input (a label, a target, an id): ``COLUMN(of="dataset")``.
    A form offers that dataset's columns; a name it does not have is an error naming both.

    Example::

        Schema(dataset=DATASET, label=COLUMN(of="dataset"))
    """

    name = "COLUMN"

    def __init__(self, of: str | None = None, **kw: Any):
        super().__init__(**kw)
        self.of = of

    def validate(self, value, where="value"):
        if not isinstance(value, str) or not value:
            raise self.fail(where, "a column name (COLUMN)", value)
        return value

    def parse_text(self, text, where="value"):
        text = given_text(self, text, where, "a column name")
        return None if text is None else self.validate(text, where)

    def validate_with(self, value, inputs, where="value"):
        """The column is one of the dataset input ``of`` names."""
        offered = self.columns(inputs)
        if value is None or offered is None or value in offered:
            return value
        close = [c for c in offered if value.lower() in c.lower()]
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise FlowTypeError(
            f"{where}: {value!r} is not a column of input '{self.of}' (its columns: "
            f"{', '.join(offered) or 'none'}){hint}"
        )

    def columns(self, inputs) -> list[str] | None:
        """Every column of the dataset input ``of``; None when not known yet."""
        return columns_of(self.of, inputs)

    def label_in(self, inputs) -> None:
        """A column field has no label of its own (forms ask FEATURES fields for theirs)."""
        return None

    def _json_schema(self):
        schema: dict = {"type": "string"}
        if self.of:
            schema["x-column-of"] = self.of
        return schema

    @classmethod
    def _from_json(cls, data, **common):
        return cls(of=data.get("x-column-of"), **common)


def _split_items(flow_type: FlowType, text: str, where: str) -> list:
    """``a, b, c`` -> ["a", "b", "c"]; ``[...]`` is read as JSON; an empty item is an error."""
    if text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            why = f"not JSON, {e.msg} at column {e.colno}"
            raise text_error(flow_type, where, "a JSON list", text, why) from None
    items = [item.strip() for item in text.split(",")]
    if len(items) > 1 and items[-1] == "":
        items.pop()  # "a, b," as typed so far
    if "" in items:
        raise FlowTypeError(f"{where}: item {items.index('') + 1} of {text!r} is empty")
    return items


class Schema(Mapping):
    """An ordered set of named, typed fields.

    Accepts keywords or (name, type) pairs, as the seed writes dataset schemas::

        Schema(a=INTEGER, b=DOUBLE)
        Schema((("petal_width", INTEGER), ("species", TEXT)))
    """

    def __init__(self, fields: Iterable | Mapping | None = None, /, **kwargs: Any):
        pairs: list = []
        if isinstance(fields, Schema):
            pairs.extend(fields.items())
        elif isinstance(fields, Mapping):
            pairs.extend(fields.items())
        elif fields is not None:
            for pair in fields:
                if not (isinstance(pair, tuple) and len(pair) == 2):
                    raise SchemaError(f"schema entries must be (name, type) pairs, got {pair!r}")
                pairs.append(pair)
        pairs.extend(kwargs.items())
        self._fields: dict[str, FlowType] = {}
        for name, spec in pairs:
            if not isinstance(name, str) or not name:
                raise SchemaError(f"schema field name {name!r} must be a string")
            self._fields[name] = as_flow_type(spec, where=f"schema field {name!r}")

    def __getitem__(self, name: str) -> FlowType:
        return self._fields[name]

    def __iter__(self):
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self._fields.items())
        return f"Schema({inner})"

    def json_schema(self) -> dict:
        """The JSON Schema of an object with these fields (forms, CLI and REST use it)."""
        required = [k for k, t in self._fields.items() if t.default is None and not t.optional]
        return {
            "type": "object",
            "properties": {k: t.json_schema() for k, t in self._fields.items()},
            "required": required,
        }

    def to_json(self) -> dict:
        return {k: t.to_json() for k, t in self._fields.items()}


LIST = register_type(List(), list)
DICT = register_type(Dict(), dict)
FEATURES = register_type(Features())
COLUMN = register_type(Column())
