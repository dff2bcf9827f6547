"""The experiment dashboard: a Panel app over the run store the notebooks write.

``flowlab ui`` serves it (pages ``/runs?q=``, ``/run?id=``, ``/compare?ids=A,B&baseline=A``,
``/sweeps``, ``/launch?workflow=NAME`` and plugin pages); ``flowlab.dashboard()`` shows the
runs page inline in a notebook, with a static snapshot for saved notebooks.

Example::

    flowlab.dashboard('workflow = "iris"')      # in a notebook cell
"""

from __future__ import annotations

import html

from flowlab.dashboard.plugins import ENTRY_POINT_GROUP, DashboardPage, RunPanel, load_plugins
from flowlab.dashboard.rows import RunsPage, runs_page, table_html

__all__ = [
    "ENTRY_POINT_GROUP",
    "Dashboard",
    "DashboardPage",
    "RunPanel",
    "RunsPage",
    "dashboard",
    "load_plugins",
    "runs_page",
]

MARKER = "flowlab-snapshot"  # the class saved notebooks' snapshots carry (notebook/snapshot.py)


class Dashboard:
    """The runs page as a Panel object in a notebook, with a static HTML snapshot.

    In JupyterLab the live Panel view shows (its renderer wins over ``text/html``); nbconvert,
    nbviewer and GitHub show the snapshot: the page of runs as a table.
    """

    def __init__(self, query: str = ""):
        import panel as pn

        from flowlab.dashboard.app import runs_content

        self.query = query
        pn.extension("tabulator")
        self.panel = pn.Column(*runs_content(query), sizing_mode="stretch_width")

    def snapshot_html(self) -> str:
        try:
            page = runs_page(self.query)
        except Exception as exc:  # noqa: BLE001 - the snapshot says what the page said
            return f"<pre>{html.escape(str(exc))}</pre>"
        return (
            f"<div style='color:#555'>flowlab runs for <code>{html.escape(self.query or '(all)')}"
            f"</code>: {page.total}</div>{table_html(page, 'flowlab-dashboard-snapshot')}"
        )

    def _repr_mimebundle_(self, include=None, exclude=None):
        data, metadata = self.panel._repr_mimebundle_(include, exclude)
        data = dict(data)
        # the live view's script hides the snapshot; where scripts do not run it stays
        hide = (
            "<script>(function(s){var d=s&&s.previousElementSibling;if(d)d.style.display='none';})"
            "(document.currentScript)</script>"
        )
        data["text/html"] = (
            data.get("text/html", "") + f'<div class="{MARKER}">{self.snapshot_html()}</div>' + hide
        )
        data["text/plain"] = f"flowlab dashboard: runs for {self.query or '(all)'}"
        return data, metadata


def dashboard(query: str = "") -> Dashboard:
    """The dashboard's runs page inline in a notebook (``flowlab ui`` serves every page).

    Example::

        flowlab.dashboard('status = "failed"')
    """
    return Dashboard(query)
