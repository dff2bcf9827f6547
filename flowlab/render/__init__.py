"""Renderers: typed values as HTML (or Panel/Bokeh objects), for every surface.

A renderer says what it applies to and with what priority; the highest that applies wins.
Other packages add theirs through the entry point group ``flowlab.renderers``. Nothing here
imports ipywidgets: the notebook, the dashboard and the JupyterLab extension share it.

Example::

    from flowlab.render import render_html, Renderer, register_renderer
    render_html(0.12, {"x-flowlab-type": "DOUBLE", "x-direction": "lower"}, name="logloss")
"""

from flowlab.render import builtin as _builtin  # noqa: F401  (registers the shipped renderers)
from flowlab.render import sweeps as _sweeps  # noqa: F401  (sweep and study views)
from flowlab.render.compare import Comparison, compare
from flowlab.render.dag import STATE_COLOURS, dag_svg, record_dag_svg
from flowlab.render.registry import (
    ENTRY_POINT_GROUP,
    Renderer,
    Subject,
    register_renderer,
    render,
    render_html,
    renderer_for,
    renderers,
)
from flowlab.render.run import run_html  # noqa: F401  (registers the Run's HTML view)

__all__ = [
    "ENTRY_POINT_GROUP",
    "STATE_COLOURS",
    "Comparison",
    "Renderer",
    "Subject",
    "compare",
    "dag_svg",
    "record_dag_svg",
    "register_renderer",
    "render",
    "render_html",
    "renderer_for",
    "renderers",
]
