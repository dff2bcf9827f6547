"""The one registry of flowlab types: names and Python annotations to types, and back from JSON.

Other packages add types through the entry point group ``flowlab.types``; an entry point names
a :class:`FlowType` instance (or a list of them, or a function returning either). A name may be
registered once: a second registration under the same name is refused, saying who holds it.

Example::

    from flowlab.types import from_json, INTEGER
    from_json(INTEGER(min=1).to_json()) == INTEGER(min=1)    # True
"""

from __future__ import annotations

import threading
from typing import Any

from flowlab.types.base import FlowType

ENTRY_POINT_GROUP = "flowlab.types"

_REGISTRY: dict[str, FlowType] = {}
_ORIGIN: dict[str, str] = {}
_ANNOTATIONS: dict[Any, FlowType] = {}
_loaded_entry_points: set[tuple[str, str]] = set()
_load_lock = threading.RLock()


def register_type(
    flow_type: FlowType, *annotations: Any, replace: bool = False, origin: str | None = None
) -> FlowType:
    """Register a type under its name (and the Python annotations that mean it).

    A name already registered is refused unless ``replace=True``.

    Example::

        class Money(FlowType):
            name = "MONEY"
        MONEY = register_type(Money())
    """
    if not isinstance(flow_type, FlowType):
        raise TypeError(
            f"register_type expects a flowlab type instance, found {type(flow_type).__name__}"
        )
    name = flow_type.name
    origin = origin or f"{type(flow_type).__module__}.{type(flow_type).__qualname__}"
    if name in _REGISTRY and not replace:
        raise ValueError(
            f"flowlab type {name!r} is registered twice: by {_ORIGIN[name]} and by {origin}; "
            "rename one, or pass replace=True to replace it on purpose"
        )
    _REGISTRY[name] = flow_type
    _ORIGIN[name] = origin
    for annotation in annotations:
        _ANNOTATIONS[annotation] = flow_type
    return flow_type


def type_named(name: str) -> FlowType:
    """The registered type called ``name`` (bare, without options)."""
    if name not in _REGISTRY:
        load_entry_points()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(
            f"no flowlab type named {name!r}; known: {', '.join(sorted(_REGISTRY))}"
        ) from None


def registered_types() -> dict[str, FlowType]:
    """Every registered type by name, entry points included."""
    load_entry_points()
    return dict(_REGISTRY)


def from_json(data: dict | str) -> FlowType:
    """The type a :meth:`FlowType.to_json` description stands for: the exact inverse.

    Example::

        t = LIST(ENUM("a", "b"), default=["a"])
        assert from_json(t.to_json()) == t
    """
    if isinstance(data, str):
        return type_named(data)
    if not isinstance(data, dict) or "x-flowlab-type" not in data:
        raise TypeError(f"not a flowlab type description (no 'x-flowlab-type'): {data!r}")
    registered = type_named(data["x-flowlab-type"])
    return type(registered).from_json(data)


def as_flow_type(spec: Any, where: str = "type") -> FlowType:
    """Accept a FlowType, a registered Python annotation (int, str, …) or a type name."""
    if isinstance(spec, FlowType):
        return spec
    if isinstance(spec, type) and issubclass(spec, FlowType):
        return spec()
    if spec in _ANNOTATIONS:
        return _ANNOTATIONS[spec]
    if isinstance(spec, str):
        if spec not in _REGISTRY:
            load_entry_points()
        if spec in _REGISTRY:
            return _REGISTRY[spec]
    raise TypeError(
        f"{where}: {spec!r} is not a flowlab type; use one of flowlab.types "
        f"({', '.join(sorted(_REGISTRY))}) or int, float, str, bool"
    )


def load_entry_points() -> None:
    """Register the types other packages declare in the ``flowlab.types`` entry point group."""
    with _load_lock:
        for origin, flow_type in entry_point_objects(ENTRY_POINT_GROUP, FlowType, "flowlab type"):
            register_type(flow_type, origin=origin)


def entry_point_objects(
    group: str, kind: type, what: str, seen: set | None = None
) -> list[tuple[str, Any]]:
    """The objects of ``kind`` named by entry points of ``group`` not loaded before.

    An entry point names an object, a list of them, or a function returning either. Each
    comes with its origin (``entry point 'name' (module:attr) of dist``) for error messages.
    Shared by every flowlab registry (types, renderers), so plugins join them the same way.
    """
    from importlib.metadata import entry_points

    seen = _loaded_entry_points if seen is None else seen
    found: list[tuple[str, Any]] = []
    for point in entry_points(group=group):
        dist = getattr(point.dist, "name", None) or "?"
        marker = (group, f"{dist}:{point.name}:{point.value}")
        if marker in seen:
            continue
        seen.add(marker)
        origin = f"entry point {point.name!r} ({point.value}) of {dist}"
        loaded = point.load()
        if callable(loaded) and not isinstance(loaded, (kind, list, tuple)):
            loaded = loaded()
        for item in loaded if isinstance(loaded, (list, tuple)) else [loaded]:
            if not isinstance(item, kind):
                raise TypeError(
                    f"{origin} in group {group!r} gave {type(item).__name__}; "
                    f"it must give {what} objects ({kind.__module__}.{kind.__qualname__})"
                )
            found.append((origin, item))
    return found
