"""The notebook layer: ``%load_ext flowlab``, launch forms, run views, the run browser.

Importing this package is cheap (ipywidgets loads on first use); ``Workflow.form`` builds
its launch forms.

Example::

    %load_ext flowlab
    form = iris.form(labeled_data="iris_labeled")   # a LaunchForm (ipywidgets)
    run = form.launch()
"""

from __future__ import annotations

from typing import Any

from flowlab.core.definition.workflow import register_form_view

__all__ = [
    "LaunchForm",
    "RunBrowser",
    "RunView",
    "SweepView",
    "load_ipython_extension",
    "register_field",
    "variant",
]

_LAZY = {
    "LaunchForm": "flowlab.notebook.form",
    "RunView": "flowlab.notebook.runview",
    "RunBrowser": "flowlab.notebook.browser",
    "SweepView": "flowlab.notebook.sweepview",
    "register_field": "flowlab.notebook.fields",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'flowlab.notebook' has no attribute {name!r}")


def _launch_form(workflow, prefill: dict):
    from flowlab.notebook.form import LaunchForm

    return LaunchForm(workflow, prefill)


# ``Workflow.form()`` builds this layer's form; the core never imports the notebook.
register_form_view(_launch_form)


def variant(run, **changes: Any):
    """A launch form pre-filled from an earlier run, with ``changes`` ("start a new variant").

    Example::

        flowlab.notebook.variant(run, max_depth=8).launch()
    """
    from flowlab.notebook.form import LaunchForm

    return LaunchForm.for_run(run, **changes)


def load_ipython_extension(ipython) -> None:
    """``%load_ext flowlab``: registers ``%%workflow`` and ``%flow``.

    Example::

        %load_ext flowlab
        %flow runs workflow = "iris"
    """
    from flowlab.core.clusters.cluster import on_local_cluster_start
    from flowlab.notebook.magics import FlowMagics
    from flowlab.notebook.status import cluster_start_message

    ipython.register_magics(FlowMagics)
    on_local_cluster_start(cluster_start_message)
