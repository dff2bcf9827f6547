"""The run browser: search with the store's query language, saved searches, a sortable table;
tick runs and press Compare, or click a run to open its view.

Searches go through ``flowlab.runs`` and ``flowlab.searches`` (the experiment store's public
API), looked up when a search runs.
"""

from __future__ import annotations

import html
import numbers
from typing import Any

import ipywidgets as w

from flowlab.notebook.snapshot import Snapshot
from flowlab.render.run import badge, human_time, run_seconds, seconds_text

BASE_COLUMNS = ("id", "workflow", "status", "tags", "created", "duration")
MAX_VALUE_COLUMNS = 8
CELL_MAX_WIDTH = "16em"  # a longer value is cut with an ellipsis, whole on hover

_BACKGROUND = "var(--jp-layout-color0, #fff)"
_MARGIN = "var(--jp-widgets-margin, 2px)"  # every widget's own margin, inside its grid cell
# the tick boxes and run ids stay put while the other columns scroll sideways under them (the
# shadows cover the grid's gaps: 30px boxes + 10px gap, then 10px after the ids)
TABLE_CSS = (
    "<style>"
    f".flowlab-browser .flowlab-sticky-tick{{position:sticky;left:{_MARGIN};z-index:1;"
    f"background:{_BACKGROUND};box-shadow:-2px 0 0 {_BACKGROUND},16px 0 0 {_BACKGROUND}}}"
    f".flowlab-browser .flowlab-sticky-id{{position:sticky;left:calc(40px + {_MARGIN});"
    f"z-index:1;box-shadow:10px 0 0 {_BACKGROUND}}}"
    "</style>"
)


def find_runs(query: str = "", order_by: str | None = None, limit: int | None = None) -> list:
    """The runs ``flowlab.runs`` finds for ``query`` (looked up when called).

    Example::

        find_runs('workflow = "iris"', order_by="outputs.logloss", limit=20)
    """
    from flowlab.store.search import runs

    return list(runs(query, order_by=order_by, limit=limit))


def _searches():
    from flowlab.store.search import searches

    return searches


class RunBrowser(Snapshot, w.VBox):
    """Search, sort, tick and compare runs; click a run id for its view.

    Example::

        browser = RunBrowser('workflow = "iris"')
        browser                              # shows it
        browser.tick(browser.run_ids[:2]); browser.compare_button.click()
    """

    def __init__(
        self, query: str = "", order_by: str | None = None, limit: int | None = 200, **kw: Any
    ):
        super().__init__(**kw)
        self.add_class("flowlab-browser")
        self.order_by, self.limit = order_by, limit
        self.runs: list = []
        self.sort_key, self.sort_descending = None, False
        self.search_box = w.Text(
            value=query,
            placeholder='workflow = "iris" and outputs.logloss < 0.3',
            continuous_update=False,  # search on Enter (or leaving the box), not per keystroke
            layout=w.Layout(width="480px"),
        )
        self.search_box.observe(lambda _change: self.search(), names="value")
        self.search_button = w.Button(description="Search", icon="search")
        self.search_button.on_click(lambda _b: self.search())
        self.saved = w.Dropdown(description="saved", options=[], layout=w.Layout(width="260px"))
        self.saved.observe(self._run_saved, names="value")
        self.save_name = w.Text(placeholder="name this search", layout=w.Layout(width="180px"))
        self.save_button = w.Button(description="Save search", icon="save")
        self.save_button.on_click(lambda _b: self.save_search())
        self.message = w.HTML()
        self.table = w.GridBox()
        self.table.add_class("flowlab-browser-scroll")
        self.table_style = w.HTML(TABLE_CSS, layout=w.Layout(display="none"))
        self.compare_button = w.Button(description="Compare ticked", icon="columns")
        self.compare_button.on_click(lambda _b: self.compare())
        self.detail = w.VBox()
        self._ticks: dict[str, w.Checkbox] = {}
        self.children = [
            w.HBox([self.search_box, self.search_button]),
            w.HBox([self.saved, self.save_name, self.save_button]),
            self.message,
            self.table_style,
            self.table,
            self.compare_button,
            self.detail,
        ]
        self._refresh_saved()
        self.search()

    # -- searching ---------------------------------------------------------------------------------
    def search(self, query: str | None = None) -> list:
        """Run the search box's query (or ``query``) and show the runs found."""
        if query is not None and query != self.search_box.value:
            self.search_box.value = query  # searches, through the box's observer
            return self.runs
        try:
            self.runs = find_runs(self.search_box.value, self.order_by, self.limit)
        except Exception as exc:  # a malformed query: say where, keep the old table
            self.message.value = f"<pre style='color:#c0392b'>{html.escape(str(exc))}</pre>"
            return self.runs
        self.message.value = f"<span style='color:#555'>{len(self.runs)} runs</span>"
        self._draw()
        return self.runs

    def save_search(self, name: str | None = None) -> None:
        """Save the search box's query under ``name`` (or the name box's text)."""
        name = name or self.save_name.value.strip()
        if not name:
            self.message.value = "<span style='color:#c0392b'>give the search a name</span>"
            return
        try:
            _searches().save(name, self.search_box.value, order_by=self.order_by)
        except Exception as exc:  # a malformed query is not saved: say why
            self.message.value = f"<pre style='color:#c0392b'>{html.escape(str(exc))}</pre>"
            return
        self._refresh_saved()
        self.message.value = f"<span style='color:#555'>saved '{html.escape(name)}'</span>"

    def _refresh_saved(self) -> None:
        self.saved.options = [("", None)] + [(e["name"], e["name"]) for e in _searches().list()]

    def _run_saved(self, change) -> None:
        if not change["new"]:
            return
        entry = _searches().get(change["new"])
        self.order_by = entry.get("order_by")
        self.limit = entry.get("limit") or self.limit
        self.search(entry["query"])

    # -- the table ---------------------------------------------------------------------------------
    @property
    def run_ids(self) -> list[str]:
        """Ids of the runs shown, in table order."""
        return [r.id for r in self.runs]

    @property
    def ticked(self) -> list[str]:
        return [i for i, box in self._ticks.items() if box.value]

    def tick(self, run_ids: list[str]) -> None:
        """Tick these runs (as a user ticking their boxes)."""
        for run_id in run_ids:
            self._ticks[run_id].value = True

    def columns(self) -> list[str]:
        """The table's columns: identity, then inline inputs and outputs seen in the runs."""
        extra: dict[str, None] = {}
        for part in ("outputs", "inputs"):
            for run in self.runs:
                for name, value in (run.record.get(part) or {}).items():
                    if _inline(value):
                        extra.setdefault(f"{part}.{name}")
        return list(BASE_COLUMNS) + list(extra)[:MAX_VALUE_COLUMNS]

    def sort(self, column: str) -> None:
        """Sort by ``column``; sorting by it again reverses the order."""
        self.sort_descending = not self.sort_descending if self.sort_key == column else False
        self.sort_key = column
        present = [r for r in self.runs if _value(r, column) is not None]
        missing = [r for r in self.runs if _value(r, column) is None]
        present.sort(key=lambda r: _sortable(_value(r, column)), reverse=self.sort_descending)
        self.runs = present + missing
        self._draw()

    def _draw(self) -> None:
        ticked = set(self.ticked)
        columns = self.columns()
        corner = w.HTML("", layout=w.Layout(width="24px"))
        corner.add_class("flowlab-sticky-tick")
        cells: list[w.Widget] = [corner]
        for column in columns:
            arrow = ""
            if column == self.sort_key:
                arrow = " ▼" if self.sort_descending else " ▲"
            header = w.Button(
                description=header_label(column, columns) + arrow,
                tooltip=f"{column}: click to sort",
                layout=w.Layout(width="auto"),
            )
            header.add_class("flowlab-sort")
            if column == "id":
                header.add_class("flowlab-sticky-id")
            header.on_click(lambda _b, c=column: self.sort(c))
            cells.append(header)
        self._ticks = {}
        for run in self.runs:
            box = w.Checkbox(value=run.id in ticked, indent=False, layout=w.Layout(width="24px"))
            box.add_class("flowlab-sticky-tick")
            self._ticks[run.id] = box
            opener = w.Button(
                description=run.id, tooltip=f"open run {run.id}", layout=w.Layout(width="auto")
            )
            opener.add_class("flowlab-open-run")
            opener.add_class("flowlab-sticky-id")
            opener.on_click(lambda _b, r=run: self.show_run(r))
            cells += [box, opener]
            cells += [w.HTML(_cell_html(run, c)) for c in columns[1:]]
        self.table.children = cells
        # every column as wide as its widest cell (a value cell is bounded, cut with an
        # ellipsis): the ids and headers are whole, and the grid scrolls sideways in the output
        self.table.layout = w.Layout(
            grid_template_columns=f"30px repeat({len(columns)}, max-content)",
            grid_gap="2px 10px",
            overflow="auto",
        )

    # -- actions -----------------------------------------------------------------------------------
    def show_run(self, run) -> None:
        """Show ``run``'s view below the table."""
        from flowlab.notebook.runview import RunView

        self.detail.children = [RunView(run)]
        self.refresh_snapshot()

    def compare(self):
        """Compare the ticked runs (the first ticked is the baseline) below the table."""
        from flowlab.render import compare

        chosen = [r for r in self.runs if r.id in set(self.ticked)]
        if len(chosen) < 2:
            self.message.value = "<span style='color:#c0392b'>tick at least two runs</span>"
            return None
        from flowlab.notebook.comparison import ComparisonView

        comparison = compare(chosen, baseline=chosen[0])
        self.detail.children = [ComparisonView(comparison)]
        self.refresh_snapshot()
        return comparison

    # -- the static snapshot a saved notebook shows ---------------------------------------------
    def snapshot_html(self) -> str:
        columns = self.columns()
        pad = "padding:2px 10px 2px 0"
        head = "".join(
            f"<th style='{pad};text-align:left;white-space:nowrap' title='{html.escape(c)}'>"
            f"{html.escape(header_label(c, columns))}</th>"
            for c in columns
        )
        rows = "".join(
            "<tr>"
            + "".join(f"<td style='{pad}'>{_cell_html(run, c)}</td>" for c in columns)
            + "</tr>"
            for run in self.runs
        )
        query = html.escape(self.search_box.value or "(all runs)")
        parts = [
            f"<div style='color:#555'>runs for <code>{query}</code>: {len(self.runs)}</div>",
            "<div style='overflow-x:auto;max-width:100%'>"
            "<table class='flowlab-browser-table' style='border-collapse:collapse'>"
            f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>",
        ]
        for child in self.detail.children:
            if isinstance(child, Snapshot):
                parts.append(f"<div style='margin-top:8px'>{child.snapshot_html()}</div>")
        return "".join(parts)

    def snapshot_text(self) -> str:
        return f"run browser: {len(self.runs)} runs for {self.search_box.value or '(all runs)'!r}"


def _value(run, column: str) -> Any:
    if column == "duration":
        return run_seconds(run.record)
    if "." in column:
        part, name = column.split(".", 1)
        return (run.record.get(part) or {}).get(name)
    return run.record.get(column)


def header_label(column: str, columns: list[str]) -> str:
    """A column's header: an input's or output's own name (``accuracy``, not
    ``outputs.accuracy``), with ``in``/``out`` only where an input and an output share it."""
    if "." not in column:
        return column
    part, name = column.split(".", 1)
    shared = sum(c.split(".", 1)[-1] == name for c in columns if "." in c) > 1
    return f"{'in' if part == 'inputs' else 'out'} {name}" if shared else name


def _cell_html(run, column: str) -> str:
    """A table cell: status in its colour, local human times, durations, values (a long one
    cut at a bounded width, whole on hover)."""
    value = _value(run, column)
    if column == "status" and value:
        return badge(str(value))
    if column in ("created", "started", "ended"):
        return html.escape(human_time(value))
    if column == "duration":
        return f"<span style='white-space:nowrap'>{seconds_text(value)}</span>"
    if column == "tags":
        return _bounded(", ".join(str(t) for t in value or []) or "—")
    if column == "id":
        return f"<span style='white-space:nowrap'>{html.escape(str(value))}</span>"
    return _bounded(_shown(value))


def _bounded(text: str) -> str:
    shown = html.escape(text)
    return (
        f"<div class='flowlab-cell' title='{shown}' style='max-width:{CELL_MAX_WIDTH};"
        f"overflow:hidden;text-overflow:ellipsis;white-space:nowrap'>{shown}</div>"
    )


def _inline(value: Any) -> bool:
    return value is None or isinstance(value, (numbers.Number, str, bool))


def _sortable(value: Any) -> tuple:
    if isinstance(value, numbers.Number):
        return (0, value, "")
    return (1, 0, str(value))


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
