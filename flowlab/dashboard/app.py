"""The dashboard's pages, as Panel objects: runs, run, compare, sweeps, launch, plugins.

Each page reads its query string (``/run?id=RUN``), builds from flowlab's public API and the
shared renderers, and never shows a traceback: a bad query, an unknown run, invalid form
values or a store that cannot be opened become a message on the page.

Example::

    pages = app_pages()          # {"runs": callable, "run": callable, ...} for panel.serve
    panel.serve(pages, port=5006)
"""

from __future__ import annotations

import html
import os
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pandas as pd
import panel as pn

from flowlab.dashboard.boot import first_paint
from flowlab.dashboard.plugins import DashboardPage, Plugins, load_plugins
from flowlab.dashboard.rows import (
    PAGE_SIZE,
    STATUSES,
    column_path,
    count_text,
    runs_page,
    table_html,
)

REFRESH_MS = 2000
RUN_REFRESH_MS = 1000
ERROR_STYLE = "color:#c0392b;white-space:pre-wrap;margin:4px 0"
#: runs this process launched (Launch page, rerun, resume): their handles can cancel directly
_launched: dict[str, Any] = {}
_lock = threading.Lock()


# -- page plumbing ---------------------------------------------------------------------------
def _arg(name: str, default: str = "") -> str:
    values = (pn.state.session_args or {}).get(name) or []
    return values[0].decode() if values else default


def _nav_html(plugins: Plugins) -> str:
    links = [("runs", "Runs"), ("sweeps", "Sweeps"), ("launch", "Launch")]
    links += [(p.name, p.title) for p in plugins.pages]
    items = " ".join(
        f"<a href='{name}' style='margin-right:14px;font-weight:600'>{html.escape(title)}</a>"
        for name, title in links
    )
    return (
        f"<div class='flowlab-nav' style='border-bottom:1px solid #ddd;padding:4px 0'>"
        f"<span style='color:#1f6feb;font-weight:700;margin-right:18px'>flowlab</span>{items}"
        f"<span style='color:#888;margin-left:12px;font-size:90%'>{html.escape(_store_url())}"
        "</span></div>"
    )


def _nav(plugins: Plugins) -> pn.pane.HTML:
    return pn.pane.HTML(_nav_html(plugins), sizing_mode="stretch_width")


def _store_url() -> str:
    """The configured store's URL as the pages show it: without its password."""
    try:
        from flowlab.store.config import redacted, store_url

        return redacted(store_url())
    except Exception:  # noqa: BLE001 - only shown
        return ""


def message(text: str, error: bool = True) -> pn.pane.HTML:
    """A message on the page (an error in red)."""
    style = ERROR_STYLE if error else "color:#555;margin:4px 0;font-family:inherit"
    return pn.pane.HTML(
        f"<pre class='flowlab-message' style='{style}'>{html.escape(text)}</pre>",
        sizing_mode="stretch_width",
    )


def _open_store():
    """The configured store, or a message saying why it cannot be opened."""
    from flowlab.store import get_store, redacted

    try:
        store = get_store()
        store.count()
        return store, None
    except Exception as exc:  # noqa: BLE001 - any reason is shown on the page
        return None, message(
            f"the run store {_store_url() or '(FLOWLAB_STORE)'} cannot be opened: "
            f"{type(exc).__name__}: {redacted(str(exc))}"  # a driver's text may quote the URL
        )


def _page(title: str, build: Callable[[], list], plugins: Plugins) -> pn.Column:
    try:
        body = build()
    except Exception as exc:  # noqa: BLE001 - a page shows what went wrong, never a traceback
        from flowlab.store.config import redacted

        body = [
            message(
                f"the {title} page could not be shown: {type(exc).__name__}: {redacted(str(exc))}"
            )
        ]
    pn.state.curdoc.title = f"flowlab · {title}" if pn.state.curdoc else None
    return pn.Column(_nav(plugins), *body, sizing_mode="stretch_width")


def _html(text: str, **kw: Any) -> pn.pane.HTML:
    return pn.pane.HTML(text, sizing_mode="stretch_width", **kw)


def _go(path: str) -> None:
    """Navigate the browser to ``path`` (relative to the dashboard)."""
    location = pn.state.location
    if location is None:
        return
    pathname, _, search = path.partition("?")
    base = (location.pathname or "/").rsplit("/", 1)[0]
    location.param.update(reload=True, pathname=f"{base}/{pathname}", search=f"?{search}")


# -- runs ------------------------------------------------------------------------------------
class RunsView:
    """The runs table: query box, saved searches, filters, store-paged rows, live refresh."""

    def __init__(
        self,
        store,
        query: str = "",
        page_size: int = PAGE_SIZE,
        status: str = "",
        tag: str = "",
        mine: bool = False,
    ):
        from flowlab.store.config import current_user
        from flowlab.store.search import SavedSearches

        self.store, self.page_size = store, page_size
        self.me = current_user()  # who the dashboard runs as: what it launches is theirs
        self.searches = SavedSearches(store)
        self.sort: str | None = None
        self.descending = False
        self.page_number = 0
        self.page = None
        self._shown: Any = None
        self.query = pn.widgets.TextInput(
            value=query,
            placeholder='workflow = "iris" and outputs.logloss < 0.3 order by created desc',
            sizing_mode="stretch_width",
            css_classes=["flowlab-query"],
        )
        self.query.param.watch(lambda _e: self.search(), "value")
        self.search_button = pn.widgets.Button(label="Search", color="primary", width=90)
        self.search_button.on_click(lambda _e: self.search())
        self.error = _html("", css_classes=["flowlab-query-error"])
        self.status = pn.widgets.Select(
            label="status",
            options=["any", *STATUSES],
            value=status if status in STATUSES else "any",
            width=130,
            css_classes=["flowlab-status"],
        )
        self.tag = pn.widgets.TextInput(
            label="tag", value=tag, placeholder="tag", width=150, css_classes=["flowlab-tag"]
        )
        self.mine = pn.widgets.Checkbox(
            label=f"mine ({self.me})",
            value=mine,
            margin=(34, 10, 10, 10),  # level with the boxes under the labels beside it
            css_classes=["flowlab-mine"],
        )
        for widget in (self.status, self.tag, self.mine):
            widget.param.watch(lambda _e: self.search(), "value")
        self.saved = pn.widgets.Select(
            label="saved searches", options=[""], width=220, css_classes=["flowlab-saved"]
        )
        self.saved.param.watch(self._pick_saved, "value")
        self.save_name = pn.widgets.TextInput(
            label="save as", placeholder="name", width=160, css_classes=["flowlab-save-name"]
        )
        self.save_button = pn.widgets.Button(
            label="Save search", width=110, css_classes=["flowlab-save"]
        )
        self.save_button.on_click(lambda _e: self.save_search())
        # the page line sits between its buttons, level with their labels
        self.info = pn.pane.HTML("", css_classes=["flowlab-count"], margin=(14, 12, 0, 12))
        self.prev_button = pn.widgets.Button(label="◀ prev", width=80)
        self.next_button = pn.widgets.Button(label="next ▶", width=80)
        self.prev_button.on_click(lambda _e: self.go_to(self.page_number - 1))
        self.next_button.on_click(lambda _e: self.go_to(self.page_number + 1))
        self.compare_link = pn.pane.HTML(
            "", css_classes=["flowlab-compare-link"], margin=(14, 12, 0, 24)
        )
        self.table = pn.widgets.Tabulator(
            pd.DataFrame(),
            selectable="checkbox",
            show_index=False,
            disabled=True,
            pagination=None,
            formatters={"id": {"type": "html"}, "status": {"type": "html"}},
            sizing_mode="stretch_width",
            css_classes=["flowlab-runs-table"],
        )
        self.table.param.watch(self._sorted, "sorters")
        self.table.param.watch(lambda _e: self._update_compare(), "selection")
        self._refresh_saved()
        self.search()

    def panel(self) -> list:
        return [
            pn.Row(self.query, self.search_button, sizing_mode="stretch_width"),
            self.error,
            pn.Row(self.status, self.tag, self.mine, self.saved, self.save_name, self.save_button),
            pn.Row(self.prev_button, self.info, self.next_button, self.compare_link),
            self.table,
        ]

    # -- searching -------------------------------------------------------------------------
    def search(self) -> None:
        """Run the query box's query from the first page."""
        self.page_number = 0
        if pn.state.location is not None:
            # the whole filter in the URL: the address bar is a link to this very list
            status = self.status.value if self.status.value != "any" else ""
            pn.state.location.update_query(
                q=self.query.value,
                status=status,
                tag=self.tag.value,
                mine="1" if self.mine.value else "",
            )
        self.refresh(force=True)

    def go_to(self, number: int) -> None:
        self.page_number = max(0, number)
        self.refresh(force=True)

    def refresh(self, force: bool = False) -> None:
        """Read the current page from the store; redraw when it changed (live refresh)."""
        try:
            page = runs_page(
                self.query.value,
                **_page_filters(self.status.value, self.tag.value, self.mine.value, self.me),
                sort=self.sort,
                descending=self.descending,
                page=self.page_number,
                page_size=self.page_size,
                store=self.store,
            )
        except Exception as exc:  # noqa: BLE001 - a malformed query: say where, keep the rows
            self.error.object = (
                f"<pre class='flowlab-message' style='{ERROR_STYLE}'>{html.escape(str(exc))}</pre>"
            )
            return
        self.error.object = ""
        shown = (page.total, page.page, tuple(tuple(r.items()) for r in page.rows))
        if not force and shown == self._shown:
            return
        ticked = set(self.ticked)
        self.page, self.page_number, self._shown = page, page.page, shown
        frame = pd.DataFrame(page.rows, columns=page.columns)
        # Tabulator puts a column title in with innerHTML: output and input names are text
        self.table.titles = {c: html.escape(t) for c, t in page.titles.items()}
        self.table.value = frame
        self.table.selection = [i for i, run_id in enumerate(page.ids) if run_id in ticked]
        self.info.object = f"<span style='color:#555'>{html.escape(count_text(page))}</span>"
        self._update_compare()

    def _sorted(self, event) -> None:
        sorters = event.new or []
        if not sorters:
            self.sort, self.descending = None, False
        else:
            path = column_path(sorters[0].get("field", ""))
            if path is None:
                return  # duration, tags: not kept by the store in a sortable form
            self.sort, self.descending = path, sorters[0].get("dir") == "desc"
        self.go_to(0)

    # -- ticking and comparing ---------------------------------------------------------------
    @property
    def ticked(self) -> list[str]:
        if self.page is None:
            return []
        return [self.page.ids[i] for i in self.table.selection if i < len(self.page.ids)]

    def _update_compare(self) -> None:
        ids = self.ticked
        if len(ids) < 2:
            self.compare_link.object = (
                "<span style='color:#888'>tick two or more runs to compare them</span>"
            )
            return
        joined = ",".join(quote(i, safe="") for i in ids)
        href = f"compare?ids={joined}&baseline={quote(ids[0], safe='')}"
        self.compare_link.object = (
            f"<a class='flowlab-compare' href='{html.escape(href)}' "
            f"style='font-weight:600'>Compare {len(ids)} runs →</a>"
        )

    # -- saved searches ----------------------------------------------------------------------
    def save_search(self) -> None:
        name = self.save_name.value.strip()
        if not name:
            self.error.object = f"<pre style='{ERROR_STYLE}'>give the search a name</pre>"
            return
        try:
            self.searches.save(name, self.query.value, order_by=self._order_by())
        except Exception as exc:  # noqa: BLE001 - a malformed query is not saved: say why
            self.error.object = f"<pre style='{ERROR_STYLE}'>{html.escape(str(exc))}</pre>"
            return
        self._refresh_saved()
        self.error.object = f"<span style='color:#2e7d32'>saved '{html.escape(name)}'</span>"

    def _order_by(self) -> str | None:
        if self.sort is None:
            return None
        return ("-" if self.descending else "") + self.sort

    def _refresh_saved(self) -> None:
        self.saved.options = [""] + [e["name"] for e in self.searches.list()]

    def _pick_saved(self, event) -> None:
        if not event.new:
            return
        entry = self.searches.get(event.new)
        order = entry.get("order_by")
        if order:
            self.sort, self.descending = order.lstrip("-"), order.startswith("-")
        if self.query.value == entry["query"]:
            self.search()
        else:
            self.query.value = entry["query"]  # searches, through its watcher


RUNS_HEADING = "<h3 style='margin:6px 0'>Runs</h3>"


def runs_content(query: str | None = None, nav: str | None = None) -> list:
    """The runs page's content, for ``query`` (the URL's ``q=`` when None).

    Served (``nav`` given: the page's navigation bar as HTML), the first page of rows goes out
    in the HTML response as a plain table, painted before any JavaScript runs; the live view
    is built once the browser has connected, and takes over from it.
    """
    store, problem = _open_store()
    if problem is not None:
        return [problem]
    query = _arg("q") if query is None else query
    size = _page_size()
    if nav is None or pn.state.curdoc is None or pn.state.curdoc.session_context is None:
        return [_html(RUNS_HEADING), *_live_runs(store, query, size)]
    pn.extension("tabulator")  # its JavaScript goes in the page; the table comes later
    try:  # the rows the live view will show: the link's filters too
        first = runs_page(query, store=store, page_size=size, **_page_filters(**_url_filters()))
    except Exception:  # noqa: BLE001 - a malformed query: the live view says where
        first = None
    if first is not None and first.rows:
        first_paint(
            pn.state.curdoc,
            f"{nav}{RUNS_HEADING}{_first_controls(query)}<div class='flowlab-first-count' "
            f"style='color:#555;margin:0 0 14px 100px'>{html.escape(count_text(first))}</div>"
            f"{table_html(first)}",
        )
    live = pn.Column(sizing_mode="stretch_width")

    def build() -> None:
        try:
            live.objects = _live_runs(store, query, size)
        except Exception as exc:  # noqa: BLE001 - a page shows what went wrong
            live.objects = [message(f"the runs page could not be shown: {exc}")]

    pn.state.onload(build)
    return [_html(RUNS_HEADING), live]


def _first_controls(query: str) -> str:
    """The query box as the first paint shows it (read-only), where the live one will be, so
    the rows do not move when the live view takes over."""
    return (
        f"<input readonly value='{html.escape(query)}' style='box-sizing:border-box;"
        "width:calc(100% - 110px);height:31px;margin:14px 0 0;padding:0 12px;"
        "border:1px solid #ccc;border-radius:4px;font:inherit'>"
        "<div style='height:94px'></div>"
    )


def _page_size() -> int:
    """Rows per page: the URL's ``size=`` (1–500), else ``PAGE_SIZE``."""
    try:
        return min(500, max(1, int(_arg("size", str(PAGE_SIZE)))))
    except ValueError:
        return PAGE_SIZE


def _url_filters() -> dict:
    """The filters a shared link carries: ``status=``, ``tag=``, ``mine=1``."""
    mine = _arg("mine").lower() in ("1", "true", "yes", "on")
    return {"status": _arg("status"), "tag": _arg("tag"), "mine": mine}


def _page_filters(status: str, tag: str, mine: bool, me: str | None = None) -> dict:
    """The filters as ``runs_page`` takes them: ``mine`` is ``user`` = whom this runs as."""
    if mine and me is None:
        from flowlab.store.config import current_user

        me = current_user()
    return {
        "status": status if status in STATUSES else None,
        "tag": tag.strip() or None,
        "user": me if mine else None,
    }


def _live_runs(store, query: str, size: int = PAGE_SIZE) -> list:
    # the filters a shared link carries (the page writes them back as they change)
    view = RunsView(store, query, page_size=size, **_url_filters())
    pn.state.add_periodic_callback(view.refresh, period=REFRESH_MS)
    return view.panel()


# -- run -------------------------------------------------------------------------------------
def inputs_html(record: dict) -> str:
    """The run's inputs: scalars as they are, datasets by name, artifacts by kind."""
    from flowlab.render.compare import show_value
    from flowlab.store.config import redacted

    rows = []
    for name, value in (record.get("inputs") or {}).items():
        if isinstance(value, dict) and "$uri" in value:
            shown = value.get("catalog") or redacted(value["$uri"])  # s3://key:secret@…
        elif isinstance(value, dict) and "$artifact" in value:
            shown = f"({value.get('type') or 'artifact'} {str(value.get('hash', ''))[:12]})"
        else:
            shown = show_value(value)
        rows.append(
            f"<tr><th style='text-align:left;padding:1px 12px 1px 0'>{html.escape(name)}</th>"
            f"<td><code>{html.escape(str(shown))}</code></td></tr>"
        )
    if not rows:
        return ""
    return f"<h4>inputs</h4><table class='flowlab-inputs'>{''.join(rows)}</table>"


def metrics_html(record: dict) -> str:
    """The run's scalar outputs, names and values as text."""
    from flowlab.render.compare import show_value

    scalars = {
        k: v
        for k, v in (record.get("outputs") or {}).items()
        if isinstance(v, (int, float, str, bool))
    }
    if not scalars:
        return ""
    items = " · ".join(
        f"<span class='flowlab-metric' data-metric='{html.escape(k)}'><b>{html.escape(k)}</b> "
        f"{html.escape(show_value(v))}</span>"
        for k, v in scalars.items()
    )
    return f"<div class='flowlab-metrics' style='margin:6px 0'>{items}</div>"


class RunView:
    """One run, live while it runs: header, DAG, operators, logs, outputs or failure; inputs,
    tags and notes; cancel, resume, rerun with changes, deploy; plugin panels."""

    def __init__(self, run, plugins: Plugins):
        self.run = run
        self.body = _html("", css_classes=["flowlab-run-page"])
        self.note = _html("", css_classes=["flowlab-action-message"])
        self.cancel_button = pn.widgets.Button(
            label="Cancel", color="danger", width=90, css_classes=["flowlab-cancel"]
        )
        self.cancel_button.on_click(lambda _e: self.cancel())
        self.resume_button = pn.widgets.Button(label="Resume", width=90)
        self.resume_button.on_click(lambda _e: self.resume())
        self.rerun_link = pn.pane.HTML(
            "<a class='flowlab-rerun' href='"
            + html.escape(f"launch?workflow={quote(run.workflow, safe='')}&from=")
            + html.escape(quote(run.id, safe=""))
            + "'>Rerun with changes…</a>",
            margin=(14, 12, 0, 10),
        )
        self.deploy_name = pn.widgets.TextInput(
            placeholder="model name", width=160, css_classes=["flowlab-deploy-name"]
        )
        self.deploy_button = pn.widgets.Button(
            label="Deploy", width=90, css_classes=["flowlab-deploy"]
        )
        self.deploy_button.on_click(lambda _e: self.deploy())
        self.tags = pn.widgets.TextInput(label="tags (comma-separated)", width=320)
        self.tags_button = pn.widgets.Button(label="Save tags", width=100)
        self.tags_button.on_click(lambda _e: self.save_tags())
        self.new_note = pn.widgets.TextAreaInput(label="add a note", width=420, height=60)
        self.note_button = pn.widgets.Button(label="Add note", width=100)
        self.note_button.on_click(lambda _e: self.add_note())
        self.notes = _html("")
        self.panels = [self._plugin_panel(p) for p in plugins.run_panels]
        self.draw()
        self.tags.value = ", ".join(run.tags)

    def panel(self) -> list:
        return [
            pn.Row(
                self.cancel_button,
                self.resume_button,
                self.rerun_link,
                self.deploy_name,
                self.deploy_button,
            ),
            self.note,
            self.body,
            pn.Row(self.tags, self.tags_button),
            self.notes,
            pn.Row(self.new_note, self.note_button),
            *self.panels,
        ]

    def _plugin_panel(self, panel) -> pn.Card:
        try:
            shown = panel.build(self.run)
            content = _html(shown) if isinstance(shown, str) else pn.panel(shown)
        except Exception as exc:  # noqa: BLE001 - a broken plugin panel says so, alone
            content = message(f"panel {panel.title!r} failed: {type(exc).__name__}: {exc}")
        return pn.Card(content, title=panel.title, sizing_mode="stretch_width")

    def draw(self) -> None:
        from flowlab.core.record.records import TERMINAL_RUN
        from flowlab.render.run import run_html

        record = self.run.record
        self.body.object = run_html(
            self.run, expanded=True, after_header=metrics_html(record)
        ) + inputs_html(record)
        #: whether the record drawn is the run's end. Only this decides when the page stops
        #: refreshing: ``run.done`` reads the store again when the record is not an end, and
        #: a run ending between that read and this draw would leave the page stale for good
        self.done = record.get("status") in TERMINAL_RUN
        self.cancel_button.visible = not self.done
        self.resume_button.visible = record.get("status") in ("failed", "cancelled")
        self.deploy_name.visible = self.deploy_button.visible = record.get(
            "status"
        ) == "succeeded" and bool(self.model_outputs)
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.run.notes)
        self.notes.object = f"<h4>notes</h4><ul class='flowlab-notes'>{notes}</ul>" if notes else ""

    def refresh(self) -> None:
        """Redraw from the store: the cluster writes the run's record there, while a handle
        this process launched may hear of the run's end later, or not at all."""
        from flowlab.core.runs.run import Run

        store = self.run.store
        self.run = Run(store.get_run(self.run.id), store=store).refresh()
        self.draw()

    def _say(self, text: str, error: bool = False) -> None:
        style = ERROR_STYLE if error else "color:#2e7d32;margin:4px 0;font-family:inherit"
        self.note.object = f"<pre class='flowlab-message' style='{style}'>{html.escape(text)}</pre>"

    def cancel(self) -> None:
        with _lock:
            live = _launched.get(self.run.id)
        # this process's own handle cancels at once; any other asks the run's tracker. In a
        # thread not waited for: cancelling restarts the workers still running the run's
        # tasks (seconds), and every page of this server would wait with it
        threading.Thread(
            target=(live or self.run).cancel, name="flowlab-dashboard-cancel", daemon=True
        ).start()
        self._say(f"cancelling {self.run.id}…")

    def resume(self) -> None:
        try:
            new = off_loop(self.run.resume)
        except Exception as exc:  # noqa: BLE001
            self._say(f"resume failed: {exc}", error=True)
            return
        _remember(new)
        _go(f"run?id={new.id}")
        self._say(f"resumed as {new.id}")

    def deploy(self) -> None:
        name = self.deploy_name.value.strip()
        if not name:
            self._say("give the model a name to deploy it under", error=True)
            return
        try:
            version = self.run.deploy(name, output=self.model_outputs[0])
        except Exception as exc:  # noqa: BLE001
            self._say(f"deploy failed: {exc}", error=True)
            return
        self._say(f"deployed {self.model_outputs[0]} as {name} version {version}")

    @property
    def model_outputs(self) -> list[str]:
        """The run's MODEL outputs (Deploy registers the first)."""
        outputs = self.run.record.get("outputs") or {}
        return [k for k, v in outputs.items() if isinstance(v, dict) and v.get("type") == "MODEL"]

    def save_tags(self) -> None:
        wanted = [t.strip() for t in self.tags.value.split(",") if t.strip()]
        try:
            gone = [t for t in self.run.tags if t not in wanted]
            if gone:
                self.run.untag(*gone)
            self.run.tag(*wanted)
        except Exception as exc:  # noqa: BLE001
            self._say(f"tags not saved: {exc}", error=True)
            return
        self._say("tags saved")

    def add_note(self) -> None:
        try:
            self.run.note(self.new_note.value)
        except Exception as exc:  # noqa: BLE001
            self._say(f"note not added: {exc}", error=True)
            return
        self.new_note.value = ""
        self.draw()


def off_loop(fn: Callable[[], Any]) -> Any:
    """``fn()`` in a thread of its own, waited for: what talks to Dask (launch, resume,
    cancel) must not run on the server's event loop, where a Dask client would take that
    loop for its own and block it."""
    box: dict[str, Any] = {}

    def call() -> None:
        try:
            box["result"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            box["error"] = exc

    thread = threading.Thread(target=call, name="flowlab-dashboard-action", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box.get("result")


def _remember(run) -> None:
    with _lock:
        _launched[run.id] = run


def run_content(plugins: Plugins) -> list:
    from flowlab.core.runs.run import Run

    run_id = _arg("id").strip()
    if not run_id:
        return [message("no run given: open /run?id=RUN (pick one on the Runs page)")]
    store, problem = _open_store()
    if problem is not None:
        return [problem]
    try:
        run = Run(store.get_run(run_id), store=store).refresh()
    except KeyError:
        return [message(f"no run {run_id!r} in the store {_store_url()}")]
    view = RunView(run, plugins)
    if not view.done:  # what the page shows, not what the store says by now
        callback = None

        def tick() -> None:
            view.refresh()
            if view.done and callback is not None:
                callback.stop()

        callback = pn.state.add_periodic_callback(tick, period=RUN_REFRESH_MS)
    return view.panel()


# -- compare ---------------------------------------------------------------------------------
def compare_content() -> list:
    from flowlab.render.compare import compare

    ids = [i.strip() for i in _arg("ids").split(",") if i.strip()]
    if len(ids) < 2:
        return [message("compare needs two or more runs: /compare?ids=A,B&baseline=A")]
    store, problem = _open_store()
    if problem is not None:
        return [problem]
    records, missing = [], []
    for run_id in ids:
        try:
            records.append(store.get_run(run_id))
        except KeyError:
            missing.append(run_id)
    if missing:
        return [message(f"no run {', '.join(map(repr, missing))} in the store {_store_url()}")]
    baseline = _arg("baseline") or ids[0]
    if baseline not in ids:
        baseline = ids[0]
    picker = pn.widgets.Select(label="baseline", options=ids, value=baseline, width=260)
    table = _html("", css_classes=["flowlab-comparison"])

    def draw(_event=None) -> None:
        table.object = compare(records, baseline=picker.value)._repr_html_()
        if pn.state.location is not None:
            pn.state.location.update_query(baseline=picker.value)

    picker.param.watch(draw, "value")
    draw()
    return [_html(f"<h3 style='margin:6px 0'>Compare {len(ids)} runs</h3>"), picker, table]


# -- sweeps ----------------------------------------------------------------------------------
SWEEPS_QUERY = 'tags = "sweep" or tags = "study"'
SWEEPS_HEADING = "<h3 style='margin:6px 0'>Sweeps and studies</h3>"
#: what the live view shows once it can stand in for the first paint (boot.first_paint): a
#: drawing (wrapped in this class only there) or a message
SWEEP_TAKEOVER = ".flowlab-sweep-live, .flowlab-message"


def sweeps_content(nav: str | None = None) -> list:
    """The sweeps page: a picker and the chosen sweep or study (the URL's ``id=``) drawn.

    Served (``nav`` given: the page's navigation bar as HTML), the drawing goes out in the
    HTML response too, painted before any JavaScript runs; the live view takes over from it.
    A finished sweep is drawn once; one still running is drawn again every ``REFRESH_MS``.
    """
    import time

    store, problem = _open_store()
    if problem is not None:
        return [problem]
    from flowlab.store.search import make_query

    found = store.search(make_query(SWEEPS_QUERY, limit=100))
    if not found:
        return [message("no sweeps or studies yet: workflow.sweep(...) or .optimize(...)", False)]
    labels = {f"{s['id']} · {s.get('workflow')} · {s.get('status')}": s["id"] for s in found}
    chosen = _arg("id") or found[0]["id"]
    picker = pn.widgets.Select(
        label="sweep", options=labels, value=chosen if chosen in labels.values() else found[0]["id"]
    )
    view = _html("", css_classes=["flowlab-sweep"])
    drawn = {"id": None, "ended": False, "html": "", "at": 0.0, "took": 0.0}

    def draw(_event=None) -> None:
        start = time.monotonic()
        drawing, ended = _sweep_drawing(picker.value)
        view.object = f"<div class='flowlab-sweep-live'>{drawing}</div>"
        drawn.update(id=picker.value, ended=ended, html=drawing, at=time.monotonic())
        drawn["took"] = drawn["at"] - start

    def refresh() -> None:
        # a finished sweep is drawn once; a running one again, but a draw runs on the
        # server's loop (every page's), so at most a fifth of the time: a big study drawn
        # every REFRESH_MS by a few open pages would leave the server no time for anything
        if drawn["id"] == picker.value and drawn["ended"]:
            return
        if time.monotonic() - drawn["at"] >= 4 * drawn["took"]:
            draw()

    picker.param.watch(draw, "value")
    draw()
    pn.state.add_periodic_callback(refresh, period=REFRESH_MS)
    doc = pn.state.curdoc
    if nav is not None and doc is not None and doc.session_context is not None:
        import json

        from markupsafe import Markup

        label = next(k for k, v in labels.items() if v == picker.value)
        first_paint(doc, f"{nav}{SWEEPS_HEADING}{_first_picker(label)}{drawn['html']}")
        # boot's template swaps in the live view once it shows this (its default, a runs
        # table's row, never comes here)
        doc.template_variables["takeover"] = Markup(json.dumps(SWEEP_TAKEOVER))
    return [_html(SWEEPS_HEADING), picker, view]


def _first_picker(label: str) -> str:
    """The picker as the first paint shows it (disabled), where the live one will be."""
    return (
        "<div style='margin:5px 10px;font-size:13px'>sweep</div>"
        "<select disabled style='margin:0 10px 10px;width:300px;height:31px;font:inherit'>"
        f"<option>{html.escape(label)}</option></select>"
    )


def _sweep_drawing(run_id: str) -> tuple[str, bool]:
    """The sweep or study ``run_id`` drawn (HTML), and whether it has ended (so drawing it
    again would show the same)."""
    from flowlab.render import render_html

    try:
        from flowlab.sweeps import open_sweep

        sweep = open_sweep(run_id)
        ended = sweep.done  # before drawing: an end after it is drawn again
        return render_html(sweep), ended
    except Exception as exc:  # noqa: BLE001 - an unreadable sweep or study: its run instead
        try:
            from flowlab.core.runs.run import get_run

            return render_html(get_run(run_id)), False
        except Exception:  # noqa: BLE001
            return (
                f"<pre class='flowlab-message' style='{ERROR_STYLE}'>{html.escape(str(exc))}</pre>",
                False,
            )


# -- launch ----------------------------------------------------------------------------------
class LaunchView:
    """A workflow's launch form over ``FormModel``: same fields, parsing and errors as the
    notebook's; Launch lands on the new run's page."""

    def __init__(self, form):
        self.form = form
        self.widgets: dict[str, Any] = {}
        self.errors: dict[str, pn.pane.HTML] = {}
        rows = []
        for name, made in {**form.fields, **form.options}.items():
            label = f"{name} ({made.kind})" + (" — advanced" if made.advanced else "")
            widget = self._widget(name, made, label)
            self.widgets[name] = widget
            self.errors[name] = _html("", css_classes=["flowlab-field-error"])
            help_text = made.description or made.hint
            rows.append(
                pn.Column(
                    widget,
                    _html(f"<span style='color:#777;font-size:90%'>{html.escape(help_text)}</span>")
                    if help_text
                    else _html(""),
                    self.errors[name],
                )
            )
        self.rows = rows
        self.launch_button = pn.widgets.Button(
            label="Launch", color="primary", width=120, css_classes=["flowlab-launch"]
        )
        self.launch_button.on_click(lambda _e: self.launch())
        self.note = _html("", css_classes=["flowlab-launch-message"])
        self._show_errors()

    def _widget(self, name: str, made, label: str):
        """The control for one field: a box to tick (BOOL), a list (choices), else text; what
        it holds goes through the form model like the notebook's."""
        from flowlab.forms.model import NAMES_LISTS

        css = [f"flowlab-field-{name}"]
        if made.kind == "BOOL":  # a box to tick, not a text box holding "false"
            widget = pn.widgets.Checkbox(label=label, value=bool(made.value), css_classes=css)
            widget.param.watch(
                lambda e, n=name: self._typed(n, "true" if e.new else "false"), "value"
            )
            return widget
        if made.kind in NAMES_LISTS:  # several columns: picked with typeahead, not one Select
            options = [str(c) for c in made.choices or []]
            chosen = made.value if isinstance(made.value, list) else []
            widget = pn.widgets.MultiChoice(
                name=label,
                options=options,
                value=[c for c in chosen if c in options],
                placeholder=made.hint or "type a column name",
                width=360,
                css_classes=css,
            )
            widget.param.watch(lambda e, n=name: self._typed(n, ", ".join(e.new)), "value")
            return widget
        if made.choices:
            options = [str(c) for c in made.choices]
            value = made.text if made.text in options else (options[0] if options else "")
            widget = pn.widgets.Select(
                label=label, options=options, value=value, width=360, css_classes=css
            )
            if value != made.text:
                self.form.set(name, value)
        else:
            widget = pn.widgets.TextInput(
                label=label,
                value=made.text or "",
                placeholder=made.hint or "",
                width=360,
                css_classes=css,
            )
        widget.param.watch(lambda e, n=name: self._typed(n, e.new), "value")
        return widget

    def panel(self) -> list:
        return [*self.rows, self.launch_button, self.note]

    def _typed(self, name: str, text: str) -> None:
        self.form.set(name, text)
        self._offer_columns()
        self._show_errors()

    def _offer_columns(self) -> None:
        """A FEATURES list offers the chosen dataset's columns (re-read when it changes)."""
        for name, widget in self.widgets.items():
            if isinstance(widget, pn.widgets.MultiChoice):
                options = [str(c) for c in self.form.field(name).choices or []]
                if options != widget.options:
                    widget.options = options

    def _show_errors(self) -> None:
        errors = self.form.errors
        for name, pane in self.errors.items():
            error = errors.get(name)
            pane.object = (
                f"<span style='color:#c0392b' data-field='{html.escape(name)}'>✗ "
                f"{html.escape(error)}</span>"
                if error
                else ""
            )

    def launch(self) -> None:
        if not self.form.valid:
            problems = "; ".join(f"{k}: {v}" for k, v in self.form.errors.items())
            self.note.object = (
                f"<pre class='flowlab-message' style='{ERROR_STYLE}'>not launched: "
                f"{html.escape(problems)}</pre>"
            )
            return
        try:
            run = off_loop(self.form.launch)
        except Exception as exc:  # noqa: BLE001 - e.g. resources the cluster lacks
            self.note.object = (
                f"<pre class='flowlab-message' style='{ERROR_STYLE}'>launch failed: "
                f"{html.escape(str(exc))}</pre>"
            )
            return
        _remember(run)
        self.note.object = (
            f"<span>launched <a class='flowlab-new-run' href='run?id="
            f"{html.escape(quote(run.id, safe=''))}'>{html.escape(run.id)}</a></span>"
        )
        _go(f"run?id={run.id}")


def launch_content() -> list:
    from flowlab.core.runs.workflow_catalog import stored_workflow, workflow_catalog
    from flowlab.forms import FormModel
    from flowlab.forms.model import inputs_of

    store, problem = _open_store()
    if problem is not None:
        return [problem]
    import flowlab.library.workflows  # noqa: F401  (registers the predefined workflows)

    catalog = workflow_catalog(store)
    names = [e["name"] for e in catalog]
    chosen = _arg("workflow")
    picker = pn.widgets.Select(label="workflow", options=[""] + names, value="", width=300)
    if chosen in names:
        picker.value = chosen

    def on_pick(event) -> None:
        if event.new:
            _go(f"launch?workflow={quote(event.new, safe='')}")

    picker.param.watch(on_pick, "value")
    head = [_html("<h3 style='margin:6px 0'>Launch a workflow</h3>"), picker]
    if not chosen:
        return [*head, message("pick a workflow to fill its form", error=False)]
    if chosen not in names:
        return [*head, message(f"no workflow {chosen!r} in the catalog; known: {', '.join(names)}")]
    # the form comes from the entry's JSON: opening this page runs none of the entry's code;
    # Launch rebuilds the workflow, and only from an entry its author signed
    try:
        workflow = stored_workflow(chosen, store)
    except Exception as exc:  # noqa: BLE001 - WorkflowNotRebuildable says why
        return [*head, message(str(exc))]
    entry = next(e for e in catalog if e["name"] == chosen)
    if not entry.get("rebuildable"):
        head.append(message(f"this workflow cannot be launched here: {entry.get('reason')}"))
    prefill: dict[str, Any] = {}
    source = _arg("from")
    note = None
    if source:
        try:
            from flowlab.core.runs.run import Run

            base = Run(store.get_run(source), store=store)
            prefill = {
                k: v for k, v in inputs_of(base).items() if k in workflow.signature.parameters
            }
            for option, value in (("seed", base.record.get("seed")), ("parent", base.id)):
                if option not in workflow.signature.parameters:
                    prefill[option] = value
            note = message(f"a variant of run {source}: change what you want, then Launch", False)
        except Exception as exc:  # noqa: BLE001
            note = message(f"cannot prefill from run {source!r}: {exc}")
    try:
        form = FormModel(workflow, **prefill)
    except Exception as exc:  # noqa: BLE001
        return [*head, message(f"the form of {chosen!r} cannot be built: {exc}")]
    description = (workflow.description or "").strip().split("\n\n")[0]
    intro = _html(f"<p style='color:#555'>{html.escape(description)}</p>") if description else None
    return [
        *head,
        *([intro] if intro else []),
        *([note] if note else []),
        *LaunchView(form).panel(),
    ]


# -- plugins and the app ---------------------------------------------------------------------
def plugin_content(page: DashboardPage) -> list:
    shown = page.build()
    return [_html(shown) if isinstance(shown, str) else pn.panel(shown)]


def app_pages(plugins: Plugins | None = None) -> dict[str, Callable[[], Any]]:
    """Every page of the dashboard, by URL path, for ``panel.serve``.

    Example::

        sorted(app_pages())   # ['compare', 'launch', 'run', 'runs', 'sweeps', ...plugins]
    """
    plugins = plugins if plugins is not None else load_plugins()

    def runs() -> pn.Column:
        def content() -> list:
            shown = runs_content(nav=_nav_html(plugins))
            if plugins.problems:
                problems = "\n".join(f"plugin {k}: {v}" for k, v in plugins.problems.items())
                shown = [message(problems), *shown]
            return shown

        return _page("Runs", content, plugins)

    pages: dict[str, Callable[[], Any]] = {
        "runs": runs,
        "run": lambda: _page("Run", lambda: run_content(plugins), plugins),
        "compare": lambda: _page("Compare", compare_content, plugins),
        "sweeps": lambda: _page("Sweeps", lambda: sweeps_content(_nav_html(plugins)), plugins),
        "launch": lambda: _page("Launch", launch_content, plugins),
    }
    for plugin in plugins.pages:
        pages[plugin.name] = lambda p=plugin: _page(p.title, lambda: plugin_content(p), plugins)
    return pages


def store_env(store_url: str | None) -> None:
    """Point this process's run store at ``store_url`` (``flowlab ui --store``)."""
    if store_url:
        os.environ["FLOWLAB_STORE"] = store_url
