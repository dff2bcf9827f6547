"""Static snapshots of flowlab widgets: what a saved notebook shows when no kernel is there.

Every flowlab widget (launch form, run view, run browser, comparison) displays as a bundle of
three: the live widget view, a ``text/html`` snapshot of what it shows, and a short
``text/plain`` line. nbconvert, nbviewer and GitHub render the snapshot (the widget state is
not saved), so a saved notebook shows the final form, run view, outputs and comparison.

The snapshot is kept current: a widget calls :meth:`Snapshot.refresh_snapshot` when what it
shows changes for good (a run finished), and after every cell the kernel re-publishes the
snapshots that changed (``update_display_data``), so the saved file holds the last state.

Example::

    class RunView(Snapshot, w.VBox):
        def snapshot_html(self): return "<div>run … succeeded</div>"
        def snapshot_text(self): return "run … succeeded"
"""

from __future__ import annotations

import threading
import uuid
import weakref
from typing import Any

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
MARKER = "flowlab-snapshot"

_displayed: weakref.WeakSet = weakref.WeakSet()
_lock = threading.RLock()
_hook_installed = False


class Snapshot:
    """Mixin for an ipywidgets widget: adds the static snapshot to its display data.

    A subclass draws itself in :meth:`snapshot_html` (and may define :meth:`snapshot_text`
    and :meth:`settle`, which brings the widget up to date before a snapshot is taken); one
    that does not still leaves its text in the saved notebook.
    """

    def snapshot_html(self) -> str:
        """The widget as static HTML; by default its text, escaped."""
        import html

        return f"<pre>{html.escape(self.snapshot_text())}</pre>"

    def snapshot_text(self) -> str:
        return f"<flowlab {type(self).__name__}>"

    def settle(self) -> None:
        """Bring the widget up to date (called before each snapshot); nothing by default."""

    # -- display -------------------------------------------------------------------------------
    def _snapshot_bundle(self) -> dict[str, Any]:
        try:
            body = self.snapshot_html()
        except Exception as exc:  # a broken snapshot must not hide the live widget
            body = f"<pre>snapshot unavailable: {type(exc).__name__}: {exc}</pre>"
        return {
            "text/plain": self.snapshot_text(),
            "text/html": f'<div class="{MARKER}">{body}</div>',
        }

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = super()._repr_mimebundle_(**kwargs) or {}  # the live view
        return {**bundle, **self._snapshot_bundle()}

    def _ipython_display_(self) -> None:
        """Display with a display id, so the snapshot can be replaced when it changes."""
        from IPython.display import display

        self.settle()
        bundle = self._repr_mimebundle_()
        display_id = uuid.uuid4().hex
        with _lock:
            ids = self.__dict__.setdefault("_snapshot_displays", {})
            ids[display_id] = bundle.get("text/html")
            _displayed.add(self)
        display(bundle, raw=True, display_id=display_id)
        _install_hook()

    def refresh_snapshot(self) -> None:
        """Re-publish the snapshot of every display showing this widget (or a parent of it)."""
        for shown in list(_displayed):
            if shown is self or _contains(shown, self):
                shown._publish_snapshot()

    def _publish_snapshot(self) -> None:
        from IPython.display import update_display

        displays = self.__dict__.get("_snapshot_displays") or {}
        if not displays:
            return
        for widget in _walk(self):
            if isinstance(widget, Snapshot) and widget is not self:
                widget.settle()
        self.settle()
        bundle = self._repr_mimebundle_()
        with _lock:
            changed = [i for i, html in displays.items() if html != bundle.get("text/html")]
            for display_id in changed:
                displays[display_id] = bundle.get("text/html")
        for display_id in changed:
            update_display(bundle, raw=True, display_id=display_id)


class HTMLSnapshot(Snapshot):
    """A snapshot of plain HTML content (no widget view): the comparison table uses it."""


def refresh_all() -> None:
    """Re-publish every shown snapshot that changed (run after each cell)."""
    for shown in list(_displayed):
        try:
            shown._publish_snapshot()
        except Exception:  # pragma: no cover - never break the user's next cell
            pass


def _install_hook() -> None:
    global _hook_installed
    if _hook_installed:
        return
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return
    shell = get_ipython()
    if shell is None:
        return
    shell.events.register("post_run_cell", lambda *_a: refresh_all())
    _hook_installed = True


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()) or ():
        yield from _walk(child)


def _contains(parent, widget) -> bool:
    return any(child is widget for child in _walk(parent))


def strip_live_views(notebook: dict) -> dict:
    """Drop the live widget view from outputs that carry a flowlab snapshot, in place.

    A notebook saved without widget state then shows the snapshot on reopen in JupyterLab
    (whose widget renderer would otherwise say "model not found").

    Example::

        strip_live_views(nbformat.read("01_iris.ipynb", 4))
    """
    state = (notebook.get("metadata") or {}).get("widgets")
    if state:
        return notebook  # the widgets can be rebuilt from the saved state: keep them
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []) or []:
            data = output.get("data") or {}
            if WIDGET_VIEW in data and MARKER in str(data.get("text/html", "")):
                del data[WIDGET_VIEW]
    return notebook


def pre_save_hook(model: dict, **_kwargs: Any) -> None:
    """Jupyter server ``ContentsManager.pre_save_hook``: saved notebooks keep snapshots only.

    Example (``jupyter_server_config.py``)::

        c.ContentsManager.pre_save_hook = "flowlab.notebook.snapshot.pre_save_hook"
    """
    if model.get("type") == "notebook" and isinstance(model.get("content"), dict):
        strip_live_views(model["content"])


def form_html(workflow, values: dict, errors: dict, view=None) -> str:
    """A launch form as static HTML: each input's value (or its error), then its run's view.

    Example::

        form_html(iris, form.values(), form.errors, form.view)
    """
    import html

    from flowlab.render.compare import show_value

    rows = []
    names = [n for n in workflow.signature.parameters if n in values or n in errors]
    for name in names:
        shown = _describe(values[name]) if name in values else "—"
        error = errors.get(name)
        mark = (
            f"<span style='color:#c0392b'>✗ {html.escape(error)}</span>"
            if error
            else "<span style='color:#2e7d32'>✓</span>"
        )
        rows.append(
            f"<tr data-input='{html.escape(name)}'><th style='text-align:left;padding:2px 12px 2px 0'>"
            f"{html.escape(name)}</th><td style='padding:2px 12px 2px 0'>"
            f"<code>{html.escape(show_value(shown) if not isinstance(shown, str) else shown)}</code>"
            f"</td><td>{mark}</td></tr>"
        )
    body = (
        f"<h4 style='margin:4px 0'>{html.escape(workflow.name)} "
        "<span style='color:#777;font-weight:normal'>launch form</span></h4>"
        f"<table class='flowlab-form-snapshot' style='border-collapse:collapse'>{''.join(rows)}"
        "</table>"
    )
    if view is not None and isinstance(view, Snapshot):
        body += f"<div style='margin-top:8px'>{view.snapshot_html()}</div>"
    return body


def _describe(value: Any) -> Any:
    """A form value in a few words (a DataFrame by its shape, not its rows)."""
    if hasattr(value, "shape") and hasattr(value, "columns"):
        rows = value.shape[0] if isinstance(value.shape[0], int) else "?"
        return f"DataFrame {rows}×{len(value.columns)}"
    return value
