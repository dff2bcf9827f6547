"""The base of every flowlab type and the registry that maps names and annotations to types.

A flowlab type brings, in one class, everything a surface needs: ``validate`` (run-time
check, error names the place), ``json_schema`` (forms, CLI, REST), and a serialiser
(``inline`` values go into the run record as JSON, the others into artifact files).
"""

from __future__ import annotations

import copy
import json
from typing import Any, ClassVar

from flowlab.errors import FlowTypeError

_REGISTRY: dict[str, FlowType] = {}
_ANNOTATIONS: dict[Any, FlowType] = {}


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

    def load(self, value: Any) -> Any:
        """Turn a validated value into what operator code receives (e.g. a path into a DataFrame)."""
        return value

    def fail(self, where: str, expected: str, value: Any) -> FlowTypeError:
        found = type(value).__name__
        return FlowTypeError(f"{where}: expected {expected}, found {found} {_short(value)}")

    # -- description ----------------------------------------------------------------------------
    def json_schema(self) -> dict:
        schema = {"x-flowlab-type": self.name, **self._json_schema()}
        if self.description:
            schema["description"] = self.description
        if self.default is not None:
            schema["default"] = self.default
        return schema

    def _json_schema(self) -> dict:
        return {}

    def to_json(self) -> dict:
        """A plain description of the type, used inside the Graph."""
        return self.json_schema()

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


def register_type(flow_type: FlowType, *annotations: Any) -> FlowType:
    """Register a type under its name (and the Python annotations that mean it)."""
    _REGISTRY[flow_type.name] = flow_type
    for annotation in annotations:
        _ANNOTATIONS[annotation] = flow_type
    return flow_type


def type_named(name: str) -> FlowType:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(
            f"no flowlab type named {name!r}; known: {', '.join(sorted(_REGISTRY))}"
        ) from None


def registered_types() -> dict[str, FlowType]:
    return dict(_REGISTRY)


def as_flow_type(spec: Any, where: str = "type") -> FlowType:
    """Accept a FlowType, a registered Python annotation (int, str, …) or a type name."""
    if isinstance(spec, FlowType):
        return spec
    if isinstance(spec, type) and issubclass(spec, FlowType):
        return spec()
    if spec in _ANNOTATIONS:
        return _ANNOTATIONS[spec]
    if isinstance(spec, str) and spec in _REGISTRY:
        return _REGISTRY[spec]
    raise TypeError(
        f"{where}: {spec!r} is not a flowlab type; use one of flowlab.types "
        f"({', '.join(sorted(_REGISTRY))}) or int, float, str, bool"
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
