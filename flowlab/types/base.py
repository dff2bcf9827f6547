"""The base of every flowlab type: one class carries everything a type means.

A flowlab type brings, in one place, what every surface and layer needs:

- ``validate`` (run-time check, error names the place; returns the normalised value),
- ``to_json`` / ``json_schema`` (forms, CLI, REST, the Graph) and its exact inverse
  ``from_json`` (bounds, choices, element types, columns, default, description survive),
- ``content_hash`` (what cache keys see of a value),
- ``encode`` / ``decode`` (what a run record holds: inline JSON, or an artifact reference),
- ``serialise`` / ``deserialise`` (the artifact file's bytes, for non-inline types).
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any, ClassVar

from flowlab.errors import FlowTypeError


class FlowType:
    """One flowlab type. Instances are immutable; calling one returns a configured copy.

    Example::

        INTEGER(min=1, max=10, default=4, description="tree depth")
    """

    name: ClassVar[str] = "ANY"
    #: stored as JSON in the run record (True) or as an artifact file (False)
    inline: ClassVar[bool] = True
    #: artifact file extension for non-inline values
    extension: ClassVar[str] = "bin"
    #: large values travel through the graph as references, never as compile-time literals
    by_reference: ClassVar[bool] = False

    def __init__(self, *, default: Any = None, description: str = "", optional: bool = False):
        self.default = default
        self.description = description
        self.optional = optional

    def __call__(self, **options: Any) -> FlowType:
        new = copy.copy(self)
        for key, value in options.items():
            if not hasattr(new, key):
                raise TypeError(f"{self.name} has no option {key!r}")
            setattr(new, key, value)
        return new

    # -- validation ---------------------------------------------------------------------------
    def validate(self, value: Any, where: str = "value") -> Any:
        """Check ``value``; return it (possibly normalised) or raise FlowTypeError naming ``where``."""
        return value

    def parse_text(self, text: str, where: str = "value") -> Any:
        """A value from text (a form field, a ``--input k=v`` flag, a query string), validated.

        Untyped inputs take JSON when the text is JSON, else the text itself.

        Example::

            INTEGER(min=1).parse_text("3", "input 'max_depth'")   # 3; "3.7" raises
        """
        text = given_text(self, text, where, "a value")
        if text is None:
            return None
        try:
            return self.validate(json.loads(text), where)
        except ValueError:
            return self.validate(text, where)

    def validate_with(self, value: Any, inputs: Any, where: str = "value") -> Any:
        """Checks that need the workflow's other (validated) inputs; launch and forms run it.

        ``FEATURES`` overrides it: its columns must be in the dataset its ``of`` names.
        """
        return value

    def load(self, value: Any) -> Any:
        """Turn a validated value into what operator code receives (e.g. a path into a DataFrame)."""
        return value

    def fail(self, where: str, expected: str, value: Any) -> FlowTypeError:
        found = type(value).__name__
        return FlowTypeError(f"{where}: expected {expected}, found {found} {_short(value)}")

    def fits_dtype(self, dtype: Any) -> bool:
        """Whether a table column of this pandas dtype may be declared as this type."""
        return True

    # -- description ----------------------------------------------------------------------------
    def json_schema(self) -> dict:
        """The JSON Schema of this type, ``x-flowlab-type`` naming it; ``from_json`` inverts it."""
        schema = {"x-flowlab-type": self.name, **self._json_schema()}
        if self.description:
            schema["description"] = self.description
        if self.default is not None:
            schema["default"] = self.default
        if self.optional:
            schema["x-optional"] = True
        return schema

    def _json_schema(self) -> dict:
        return {}

    def to_json(self) -> dict:
        """A plain description of the type, used inside the Graph; ``from_json`` rebuilds it."""
        return self.json_schema()

    @classmethod
    def from_json(cls, data: dict) -> FlowType:
        """The type ``data`` (from :meth:`to_json`) describes, options included."""
        common = {
            "default": data.get("default"),
            "description": data.get("description", ""),
            "optional": bool(data.get("x-optional", False)),
        }
        return cls._from_json(data, **common)

    @classmethod
    def _from_json(cls, data: dict, **common: Any) -> FlowType:
        return cls(**common)

    # -- cache keys -----------------------------------------------------------------------------
    def content_hash(self, value: Any) -> str:
        """A stable hash of what an operator sees of ``value`` (cache keys are made of it)."""
        digest = hashlib.sha256()
        try:
            digest.update(json.dumps(value, sort_keys=True).encode())
        except (TypeError, ValueError):
            from dask.base import tokenize

            digest.update(tokenize(value).encode())
        return "sha256:" + digest.hexdigest()

    # -- the run record -------------------------------------------------------------------------
    def encode(self, value: Any, artifacts: Any, *, exact: bool = False) -> Any:
        """What a run record holds for ``value``: JSON, or a reference to an artifact file
        written through ``artifacts`` (an object with ``put(bytes, extension) -> ref``).

        ``exact=True`` (cache entries) raises NotRecordable rather than keep an approximation
        (a ``repr``) of a value JSON cannot hold.
        """
        if value is None:
            return None
        if self.inline:
            return jsonable(value, exact=exact)
        ref = artifacts.put(self.serialise(value), self.extension)
        return {
            "$artifact": ref["uri"],
            "hash": ref["hash"],
            "size": ref["size"],
            "type": self.name,
            **self.summary(value),
        }

    def decode(self, data: Any, artifacts: Any) -> Any:
        """The value a record entry stands for (reads the artifact file through ``artifacts``)."""
        if isinstance(data, dict) and "$artifact" in data:
            ref = {"uri": data["$artifact"], "hash": data.get("hash", "")}
            return self.deserialise(artifacts.get(ref))
        return data

    def summary(self, value: Any) -> dict:
        """A few facts about a non-inline value kept next to its artifact reference."""
        return {}

    def warm(self) -> None:
        """Import now what writing a value of this type needs (nothing for most types).

        A run's first write of a MODEL imports skops and much of scikit-learn (seconds):
        launching a workflow warms its output types in the background while the local cluster
        starts, so that time is off the first result's path.

        Example::

            types.MODEL.warm()
        """

    # -- serialisation --------------------------------------------------------------------------
    def serialise(self, value: Any) -> Any:
        """For inline types: a JSON value. Otherwise: bytes for an artifact file."""
        return value

    def deserialise(self, data: Any) -> Any:
        return data

    def __repr__(self) -> str:
        return self.name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FlowType) and self.to_json() == other.to_json()

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_json(), sort_keys=True, default=str))


class NotRecordable(ValueError):
    """A value a run record cannot hold exactly (an untyped object that is not JSON)."""


class AnyType(FlowType):
    """The untyped ANY: every value passes; JSON values are recorded, others by their repr."""

    name = "ANY"


def jsonable(value: Any, exact: bool = False) -> Any:
    """``value`` as JSON (numpy scalars and arrays become numbers and lists).

    With ``exact`` a value JSON cannot hold as it is raises NotRecordable (cache entries
    must give children back the very value, not a converted one).
    """
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError) as e:
        if exact:  # a converted value would reach children as another Python type
            raise NotRecordable(f"{_short(value)} cannot be kept as JSON: {e}") from None

    def fallback(item: Any) -> Any:
        if hasattr(item, "item"):
            return item.item()
        if hasattr(item, "tolist"):
            return item.tolist()
        if hasattr(item, "value"):
            return item.value
        return repr(item)

    return json.loads(json.dumps(value, default=fallback))


def given_text(flow_type: FlowType, text: Any, where: str, expected: str) -> str | None:
    """``text`` stripped; None when empty and the type is optional; else an error naming
    ``expected`` (an empty required field never becomes a value, e.g. FILE the current dir)."""
    if not isinstance(text, str):
        raise flow_type.fail(where, f"text giving {expected} ({flow_type.name})", text)
    if text.strip():
        return text.strip()
    if flow_type.optional:
        return None
    raise FlowTypeError(f"{where}: expected {expected} ({flow_type.name}), found nothing")


def text_error(
    flow_type: FlowType, where: str, expected: str, text: str, why: str = ""
) -> FlowTypeError:
    """The error of a text that does not read as ``expected`` (``why``: the parser's reason)."""
    found = f"{where}: expected {expected} ({flow_type.name}), found {text!r}"
    return FlowTypeError(found + (f": {why}" if why else ""))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
