"""The comparison as an HTML table that fits where it is shown (a notebook output, a page).

The baseline is the first run column, right after the row labels; the row labels (and the
baseline) stay put while the runs scroll sideways inside the table's own box; a long value is
cut with an ellipsis at a bounded width and shown whole on hover (``title``). The layout is a
``<style>`` block scoped by class, so the cells keep plain inline styles.

Example::

    compare_html(flowlab.compare([a, b, c], baseline=b))   # b's column first
"""

from __future__ import annotations

import html
import json
from typing import Any

from flowlab.render.run import run_seconds, seconds_text

BETTER, WORSE, DIFFERS = "#d9f2d0", "#f8d3cc", "#fff4c2"
PAD = "padding:2px 10px"
CELL_MAX_EM = 16  # no column wider than this: a long value is cut, its whole text on hover
LABEL_MIN_EM, LABEL_MAX_EM = 5, 12
BACKGROUND = "var(--jp-layout-color0, #fff)"  # the notebook's own background, in either theme
META_ROWS = ("tags", "seed", "duration")  # under the run ids, above the inputs

_TABLE_CSS = (
    # its own width never widens what holds it (a notebook output, a widget): it takes the
    # width it is given and scrolls inside it
    ".flowlab-compare-scroll{overflow-x:auto;max-width:100%;contain:inline-size}"
    "table.flowlab-compare{line-height:1.4}"  # not the 28px lines of the widget holding it
    "table.flowlab-compare td,table.flowlab-compare th:not([colspan]){"
    f"max-width:{CELL_MAX_EM}em;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}}"
    "table.flowlab-compare th[data-run] i{display:block;font-weight:normal}"
    "table.flowlab-compare tr>th:first-child:not([colspan]){"
    f"position:sticky;left:0;z-index:2;background:{BACKGROUND}}}"
    "table.flowlab-compare .flowlab-section{position:sticky;left:10px;display:inline-block}"
)


def compare_html(comparison) -> str:
    """``comparison`` (a :class:`~flowlab.render.compare.Comparison`) as a table in a box that
    scrolls sideways: rows are inputs and outputs, columns are runs, the baseline first."""
    order = [comparison.baseline] + [i for i in comparison.run_ids if i != comparison.baseline]
    records = {r["id"]: r for r in comparison.records}
    label_em = _label_em(comparison.rows)
    head = "".join(_run_header(i, i == comparison.baseline) for i in order)
    meta = "".join(_meta_row(label, [records[i] for i in order], order) for label in META_ROWS)
    body, section_seen = [], None
    for (section, name), row in comparison.rows.items():
        if section != section_seen:
            body.append(
                f'<tr><th colspan="{len(order) + 1}" style="text-align:left;'
                f'background:#f4f4f4;{PAD}"><span class="flowlab-section">{section}s</span>'
                "</th></tr>"
            )
            section_seen = section
        body.append(_value_row(comparison, section, name, row, order))
    return (
        f"<style>{_TABLE_CSS}{_label_css(label_em)}</style>"
        '<div class="flowlab-compare-scroll" style="overflow-x:auto;max-width:100%">'
        f'<table class="flowlab-compare flowlab-labels-{label_em}" '
        'style="border-collapse:collapse">'
        f"<thead><tr><th></th>{head}</tr>{meta}</thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _label_em(rows: dict) -> int:
    """The row labels' width, in em: room for the longest label, within bounds (a longer one
    is cut, shown whole on hover), so the sticky baseline knows where the labels end."""
    longest = max([len(name) + 2 for _section, name in rows] + [len(m) for m in META_ROWS])
    return max(LABEL_MIN_EM, min(LABEL_MAX_EM, round(0.6 * longest + 1.5)))


def _label_css(em: int) -> str:
    scoped = f"table.flowlab-compare.flowlab-labels-{em}"
    return (
        f"{scoped} tr>th:first-child:not([colspan]){{box-sizing:border-box;width:{em}em;"
        f"min-width:{em}em;max-width:{em}em}}"
        f"{scoped} .flowlab-base{{position:sticky;left:{em}em;z-index:1;"
        f"background:{BACKGROUND};box-shadow:inset -1px 0 #ccc}}"
    )


def _run_header(run_id: str, baseline: bool) -> str:
    shown = html.escape(run_id)
    classes = ' class="flowlab-base"' if baseline else ""
    return (
        f'<th{classes} style="{PAD};text-align:left" data-run="{shown}" title="{shown}">'
        f"{shown}{' <i>(baseline)</i>' if baseline else ''}</th>"
    )


def _meta_text(label: str, record: dict) -> str:
    if label == "tags":
        return ", ".join(record.get("tags") or []) or "—"
    if label == "seed":
        return show_value(record.get("seed"))
    return seconds_text(run_seconds(record))


def _meta_row(label: str, records: list[dict], order: list[str]) -> str:
    cells = []
    for run_id, record in zip(order, records, strict=True):
        text = html.escape(_meta_text(label, record))
        classes = ' class="flowlab-base"' if run_id == order[0] else ""
        cells.append(
            f'<td{classes} style="{PAD};text-align:left;color:#555" title="{text}">{text}</td>'
        )
    return (
        f'<tr class="flowlab-run-{label}"><th style="{PAD};text-align:left;'
        f'font-weight:normal;color:#555">{label}</th>{"".join(cells)}</tr>'
    )


def _value_row(comparison, section: str, name: str, row: dict, order: list[str]) -> str:
    baseline = order[0]
    base = json.dumps(row["values"].get(baseline), sort_keys=True, default=str)
    cells = []
    for run_id in order:
        value = row["values"].get(run_id)
        delta, verdict = (
            comparison.delta((section, name), run_id) if section == "output" else (None, None)
        )
        colour = {"better": BETTER, "worse": WORSE}.get(verdict or "")
        differs = json.dumps(value, sort_keys=True, default=str) != base
        if colour is None and differs and run_id != baseline:
            colour = DIFFERS  # only the cells that differ from the baseline's
        style = f"{PAD};text-align:left" + (f";background:{colour}" if colour else "")
        extra = (
            f' <span class="flowlab-delta flowlab-{verdict or "changed"}">({delta:+.4g})</span>'
            if delta and run_id != baseline
            else ""
        )
        classes = " ".join(
            c
            for c, on in (("flowlab-base", run_id == baseline), ("flowlab-cell-differs", differs))
            if on
        )
        marker = f' class="{classes}"' if classes else ""
        text = html.escape(show_value(value))
        cells.append(
            f'<td{marker} style="{style}" title="{text}" data-verdict="{verdict or ""}">'
            f"{text}{extra}</td>"
        )
    arrow = {"lower": " ↓", "higher": " ↑"}.get(row.get("direction") or "", "")
    marker = ' class="flowlab-differs"' if row["differs"] else ""
    key = html.escape(f"{section}s.{name}" if section in ("input", "output") else name)
    # the row's title names it whole: a long label is cut at the labels' width
    return (
        f'<tr{marker} title="{key}"><th style="{PAD};text-align:left">{html.escape(name)}{arrow}'
        f"</th>{''.join(cells)}</tr>"
    )


def show_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if value is None:
        return "—"
    if isinstance(value, (list, dict)):
        return json.dumps(value, default=str)
    return str(value)
