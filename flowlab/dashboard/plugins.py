"""Dashboard plugins: pages and run-page panels other packages add.

A package declares, in its ``pyproject.toml``::

    [project.entry-points."flowlab.dashboard"]
    team = "team_pkg.dashboard:PLUGINS"

where ``PLUGINS`` is a :class:`DashboardPage`, a :class:`RunPanel`, or a list of them. A page
is served at ``/NAME`` and linked from the navigation bar; a run panel is drawn on every run
page. ``build`` returns anything Panel shows (a Panel object, HTML text, a figure).

Example::

    PLUGINS = [
        DashboardPage("team", "Team board", lambda: "<h2>Our runs</h2>"),
        RunPanel("Cost", lambda run: f"<b>{run.id}</b> cost 3 GPU-hours"),
    ]
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

ENTRY_POINT_GROUP = "flowlab.dashboard"
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
#: pages the dashboard itself serves: a plugin cannot take these names
BUILTIN_PAGES = ("runs", "run", "compare", "sweeps", "launch")


@dataclass(frozen=True)
class DashboardPage:
    """A page at ``/name``: ``build()`` returns what it shows."""

    name: str
    title: str
    build: Callable[[], Any]


@dataclass(frozen=True)
class RunPanel:
    """A panel on every run page: ``build(run)`` returns what it shows for that run."""

    title: str
    build: Callable[[Any], Any]


@dataclass
class Plugins:
    pages: list[DashboardPage]
    run_panels: list[RunPanel]
    #: entry point -> why it was not loaded (shown on the runs page, never fatal)
    problems: dict[str, str]


def load_plugins() -> Plugins:
    """Every page and run panel the installed packages declare (group ``flowlab.dashboard``).

    A plugin that fails to load, or declares something else, is reported in ``problems``.

    Example::

        [p.name for p in load_plugins().pages]   # ['team']
    """
    found = Plugins([], [], {})
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = ep.load()
            items = loaded if isinstance(loaded, (list, tuple)) else [loaded]
            for item in items:
                _add(found, item, ep.name)
        except Exception as exc:  # noqa: BLE001 - one broken plugin must not stop the dashboard
            found.problems[f"{ep.name} = {ep.value}"] = f"{type(exc).__name__}: {exc}"
    return found


def _add(found: Plugins, item: Any, source: str) -> None:
    if isinstance(item, DashboardPage):
        if not _NAME.match(item.name) or item.name in BUILTIN_PAGES:
            raise ValueError(
                f"page name {item.name!r}: use lower-case letters, digits, '-' or '_', and "
                f"none of {', '.join(BUILTIN_PAGES)}"
            )
        if any(p.name == item.name for p in found.pages):
            raise ValueError(f"page {item.name!r} is declared twice ({source})")
        found.pages.append(item)
    elif isinstance(item, RunPanel):
        found.run_panels.append(item)
    else:
        raise TypeError(
            f"declares {type(item).__name__}; a flowlab.dashboard entry point names a "
            "DashboardPage, a RunPanel or a list of them"
        )
