"""The renderer registry: a renderer says what it applies to; the highest priority wins.

A renderer may name the flowlab types it is for (``types=("FILE",)``): it is then only asked
about values of those types. Other packages join the lookup through the entry point group
``flowlab.renderers``; an entry point names a :class:`Renderer` (or a list of them, or a
function returning either), loaded the same way as types (``flowlab.types`` group). A name is
registered once: a second renderer under the same name is refused unless ``replace=True``.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ENTRY_POINT_GROUP = "flowlab.renderers"


@dataclass(frozen=True)
class Subject:
    """What is rendered: a value, its type's JSON Schema (``x-flowlab-type``…) and its name."""

    value: Any
    schema: dict = field(default_factory=dict)
    name: str | None = None

    @property
    def type_name(self) -> str | None:
        return self.schema.get("x-flowlab-type")


@dataclass(frozen=True)
class Renderer:
    """One way to show a value.

    Example::

        Renderer("percent", applies=lambda s: s.name == "share",
                 render=lambda s: f"<b>{s.value:.0%}</b>", priority=10)
    """

    name: str
    applies: Callable[[Subject], bool]
    render: Callable[[Subject], Any]
    priority: int = 0
    #: flowlab type names (``x-flowlab-type``) this renderer is for; empty: any type
    types: tuple[str, ...] = ()

    def matches(self, subject: Subject) -> bool:
        if self.types and subject.type_name not in self.types:
            return False
        return bool(self.applies(subject))


_RENDERERS: dict[str, Renderer] = {}
_ORIGIN: dict[str, str] = {}
_entry_points_loaded = False
_seen_entry_points: set = set()
_load_lock = threading.Lock()


def register_renderer(
    renderer: Renderer, *, replace: bool = False, origin: str | None = None
) -> Renderer:
    """Add a renderer; a name already registered is refused unless ``replace=True``.

    Example::

        register_renderer(Renderer("nothing", lambda s: s.value is None,
                                   lambda s: "<i>none</i>", priority=50))
    """
    origin = origin or getattr(renderer.render, "__module__", None) or "?"
    if renderer.name in _RENDERERS and not replace:
        raise ValueError(
            f"renderer {renderer.name!r} is registered twice: by {_ORIGIN[renderer.name]} and "
            f"by {origin}; rename one, or pass replace=True to replace it on purpose"
        )
    _RENDERERS[renderer.name] = renderer
    _ORIGIN[renderer.name] = origin
    return renderer


def renderers() -> list[Renderer]:
    """Every registered renderer (entry points included), highest priority first."""
    _load_entry_points()
    return sorted(_RENDERERS.values(), key=lambda r: -r.priority)


def renderer_for(subject: Subject) -> Renderer:
    """The highest-priority renderer that applies to ``subject``."""
    for renderer in renderers():
        try:
            if renderer.matches(subject):
                return renderer
        except Exception:  # a plugin's broken test must not hide the value
            continue
    return _FALLBACK


def render(value: Any, schema: dict | None = None, name: str | None = None) -> Any:
    """Render ``value`` by its type: an HTML string, or a Panel/Bokeh object from a plugin.

    Example::

        render(0.12, {"x-flowlab-type": "DOUBLE", "x-direction": "lower"}, name="logloss")
    """
    subject = Subject(value, dict(schema or {}), name)
    return renderer_for(subject).render(subject)


def render_html(value: Any, schema: dict | None = None, name: str | None = None) -> str:
    """Like :func:`render`, always as an HTML string (objects are asked for ``_repr_html_``).

    Example::

        render_html(frame, {"x-flowlab-type": "DATASET"}, name="predictions")
    """
    shown = render(value, schema, name)
    if isinstance(shown, str):
        return shown
    for method in ("_repr_html_", "_repr_mimebundle_"):
        if hasattr(shown, method):
            result = getattr(shown, method)()
            if isinstance(result, tuple):
                result = result[0]
            if isinstance(result, dict):
                result = result.get("text/html")
            if result:
                return result
    return f"<pre>{html.escape(repr(shown))}</pre>"


def _load_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    with _load_lock:
        if _entry_points_loaded:
            return
        from flowlab.types.registry import entry_point_objects

        found = entry_point_objects(
            ENTRY_POINT_GROUP, Renderer, "flowlab.render.Renderer", seen=_seen_entry_points
        )
        for origin, renderer in found:
            register_renderer(renderer, origin=origin)
        _entry_points_loaded = True


def _fallback_render(subject: Subject) -> str:
    value = subject.value
    if hasattr(value, "_repr_html_"):
        try:
            shown = value._repr_html_()
            if shown:
                return shown
        except Exception:
            pass
    return f'<code class="flowlab-value">{html.escape(_short_repr(value))}</code>'


def _short_repr(value: Any, limit: int = 2000) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


_FALLBACK = Renderer("repr", lambda s: True, _fallback_render, priority=-1000)
