"""A run as static HTML: status, counts by state, operators with their logs, DAG, outputs or
the failure. The notebook's run view draws these parts live; ``Run._repr_html_`` and saved
notebooks show them whole (no JavaScript, no widgets).

Example::

    from flowlab.render.run import run_html, state_counts
    run_html(run)                                     # the run view's snapshot
    state_counts(["succeeded", "failed", "succeeded"])  # "2 succeeded · 1 failed"
"""

from __future__ import annotations

import datetime as dt
import html
import time
from collections.abc import Iterable
from typing import Any

from flowlab.core.record.records import (
    OPERATOR_STATES,
    TERMINAL_OPERATOR,
    TERMINAL_RUN,
    cache_of,
)
from flowlab.core.record.tracebacks import error_line, operator_traceback
from flowlab.core.runs.run import register_run_html
from flowlab.render.dag import STATE_COLOURS, cache_text, record_dag_svg, state_label
from flowlab.render.registry import render_html

#: operator states that are final (a view's progress counts them done)
TERMINAL = TERMINAL_OPERATOR
#: the order operators are counted in: finished states first, then what is still to come
STATE_ORDER = (
    *(s for s in OPERATOR_STATES if s in TERMINAL_OPERATOR),
    *reversed([s for s in OPERATOR_STATES if s not in TERMINAL_OPERATOR]),
)
LOG_TAIL_LINES = 20


def state_counts(states: Iterable[str]) -> str:
    """Operators counted by state, in a fixed order: ``"2 succeeded · 1 failed · 1 cancelled"``
    (text: states come from the record, so HTML escapes it).

    Example::

        state_counts(op["state"] for op in run.record["operators"].values())
    """
    counts: dict[str, int] = {}
    for state in states:
        counts[state] = counts.get(state, 0) + 1
    order = [s for s in STATE_ORDER if s in counts] + sorted(set(counts) - set(STATE_ORDER))
    return " · ".join(f"{counts[s]} {s}" for s in order) or "no operators"


def timestamp(text: str | None) -> float | None:
    """Seconds since the epoch of a record's ISO time (None when absent)."""
    if not text:
        return None
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def human_time(text: str | None, now: float | None = None) -> str:
    """A record's UTC ISO time as local time a person reads: ``14:03:12`` today,
    ``Nov 29 14:03`` this year, ``2025-11-29 14:03`` before.

    Example::

        human_time("2026-11-30T06:18:36.123Z")
    """
    moment = timestamp(text)
    if moment is None:
        return "—"
    local = dt.datetime.fromtimestamp(moment)
    today = dt.datetime.fromtimestamp(now or time.time())
    if local.date() == today.date():
        return local.strftime("%H:%M:%S")
    if local.year == today.year:
        return local.strftime("%b %d %H:%M")
    return local.strftime("%Y-%m-%d %H:%M")


def seconds_text(seconds: float | None) -> str:
    """``0.84 s``, ``12.3 s``, ``2 min 05 s``, ``1 h 02 min`` (``—`` when unknown)."""
    if seconds is None:
        return "—"
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def run_seconds(record: dict, now: float | None = None) -> float | None:
    """How long a run took (or has taken so far, when it still runs)."""
    started = timestamp(record.get("started") or record.get("created"))
    if started is None:
        return None
    ended = timestamp(record.get("ended"))
    if ended is None:
        if record.get("status") in TERMINAL_RUN:
            return None
        ended = now or time.time()
    return max(0.0, ended - started)


def badge(state: str, css_class: str = "flowlab-state") -> str:
    """A state in its colour (the same colours as the DAG)."""
    return (
        f'<span class="{css_class}" data-status="{html.escape(state)}" '
        f'style="background:{STATE_COLOURS.get(state, "#eee")};padding:1px 7px;'
        f'border-radius:8px;white-space:nowrap">{html.escape(state)}</span>'
    )


def header_html(record: dict, now: float | None = None) -> str:
    """``run ID of WORKFLOW: STATUS · duration · started HH:MM:SS``."""
    status = record.get("status", "queued")
    parts = [
        f"<b>run {html.escape(record['id'])}</b> of <b>{html.escape(record['workflow'])}</b> ",
        badge(status, "flowlab-run-status"),
        f" <span style='color:#555'>· {seconds_text(run_seconds(record, now))}"
        f" · started {human_time(record.get('started') or record.get('created'), now)}",
    ]
    if record.get("parent"):
        parts.append(f" · parent {html.escape(record['parent'])}")
    parts.append("</span>")
    return f"<div class='flowlab-run-header'>{''.join(parts)}{tags_notes_html(record)}</div>"


def tags_notes_html(record: dict) -> str:
    """The run's tags as chips and its notes, newest last ("" when it has neither).

    Example::

        tags_notes_html({"tags": ["baseline"], "notes": ["depth 4 is enough"]})
    """
    tags = [str(t) for t in record.get("tags") or []]
    notes = [
        n.get("text", "") if isinstance(n, dict) else str(n) for n in record.get("notes") or []
    ]
    if not tags and not notes:
        return ""
    chips = "".join(
        f"<span class='flowlab-tag' style='background:#eef2f7;border-radius:9px;"
        f"padding:0 7px;margin-right:4px;font-size:90%'>{html.escape(t)}</span>"
        for t in tags
    )
    listed = "".join(f"<li class='flowlab-note'>{html.escape(n)}</li>" for n in notes if n)
    shown = f"<div class='flowlab-tags' style='margin-top:3px'>{chips}</div>" if chips else ""
    if listed:
        shown += f"<ul class='flowlab-notes' style='margin:3px 0;padding-left:18px'>{listed}</ul>"
    return shown


def elapsed(op: dict, now: float | None = None) -> str:
    if op.get("duration") is not None:
        return seconds_text(op["duration"])
    started = timestamp(op.get("started"))
    if started is None:
        return "—"
    ended = timestamp(op.get("ended")) or now or time.time()
    return seconds_text(max(0.0, ended - started))


def operator_table(operators: dict, now: float | None = None) -> str:
    """One row per operator: name, state, cache (``hit from RUN``, ``miss: input:b``, ``off``),
    worker, elapsed time."""
    rows = []
    cell = "padding:2px 10px 2px 0;vertical-align:top"
    for node, op in operators.items():
        state = op.get("state", "queued")
        cache = cache_of(op)
        rows.append(
            f'<tr data-node="{html.escape(node)}" data-state="{html.escape(str(state))}">'
            f"<td style='{cell};text-align:left;white-space:nowrap'>{html.escape(node)}</td>"
            f"<td style='{cell};text-align:left;white-space:nowrap'>{badge(state)}"
            f"{_element_counts(op.get('elements'))}</td>"
            f"<td class='flowlab-cache' data-cache=\"{html.escape(str(cache['status']))}\" "
            f"style='{cell};text-align:left;color:#555'>{html.escape(cache_text(cache))}</td>"
            f"<td style='{cell};text-align:left;color:#555'>"
            f"{html.escape(str(op.get('worker') or '—'))}</td>"
            f"<td style='{cell};text-align:right;white-space:nowrap'>{elapsed(op, now)}</td></tr>"
        )
    head = "".join(
        f"<th style='text-align:{a};padding:2px 10px 2px 0'>{h}</th>"
        for h, a in (
            ("operator", "left"),
            ("state", "left"),
            ("cache", "left"),
            ("worker", "left"),
            ("elapsed", "right"),
        )
    )
    return (
        '<table class="flowlab-operators" style="border-collapse:collapse">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _element_counts(counts: dict | None) -> str:
    """`` 7/12 elements`` beside a mapped operator's state (with cached and failed ones)."""
    if not counts:
        return ""
    return f" <span style='color:#555'>{html.escape(state_label('', counts)[3:])} elements</span>"


def logs_html(node: str, logs: str, lines: int = LOG_TAIL_LINES) -> str:
    """An operator's logs, collapsed; the summary shows the last line, the body the tail."""
    text = (logs or "").rstrip("\n")
    if not text:
        return ""
    all_lines = text.splitlines()
    shown = all_lines[-lines:]
    cut = len(all_lines) - len(shown)
    last = shown[-1].strip()
    if len(last) > 100:
        last = last[:99] + "…"
    body = (f"[… {cut} earlier lines]\n" if cut else "") + "\n".join(shown)
    return (
        f'<details class="flowlab-logs" data-node="{html.escape(node)}">'
        f"<summary style='cursor:pointer'><b>{html.escape(node)}</b> logs "
        f"<span style='color:#777'>({len(all_lines)} lines)</span> "
        f"<code style='color:#555'>{html.escape(last)}</code></summary>"
        f"<pre style='white-space:pre-wrap;margin:2px 0 6px 16px;max-height:20em;"
        f"overflow:auto'>{html.escape(body)}</pre></details>"
    )


def all_logs_html(operators: dict) -> str:
    parts = [logs_html(node, op.get("logs") or "") for node, op in operators.items()]
    return "".join(p for p in parts if p)


def failure_html(record: dict, expanded: bool = False) -> str:
    """The failure in one line (operator and error), the traceback below it (collapsed
    unless ``expanded``)."""
    error = record.get("error") or {}
    operator = error.get("operator")
    op = (record.get("operators") or {}).get(operator) or {} if operator else {}
    traceback = op.get("traceback") or ""
    line = error_line(traceback, op.get("error") or error.get("message") or "")
    where = f"operator <b>{html.escape(operator)}</b> failed: " if operator else ""
    parts = [
        "<div class='flowlab-failure'>",
        f"<div class='flowlab-error-line' style='color:#c0392b'>{badge(record['status'])} "
        f"{where}<code>{html.escape(line)}</code></div>",
    ]
    message = error.get("message") or ""
    if not operator and message and message != line:
        parts.append(f"<div style='color:#555'>{html.escape(message)}</div>")
    if traceback:
        parts.append(
            f"<details class='flowlab-traceback'{' open' if expanded else ''}><summary style='cursor:pointer'>traceback of "
            f"{html.escape(operator or 'the run')}</summary>"
            f"<pre style='white-space:pre-wrap'>{html.escape(operator_traceback(traceback))}"
            "</pre></details>"
        )
    parts.append("</div>")
    return "".join(parts)


def outputs_html(run: Any) -> str:
    """Each output rendered by its type (``run`` has ``record`` and ``outputs``)."""
    returns = (run.record.get("graph") or {}).get("returns") or {}
    try:
        outputs = run.outputs
        names = list(outputs)
    except Exception as e:  # an unreadable artifact is shown, not hidden
        return f"<pre style='color:#c0392b'>outputs could not be read: {html.escape(str(e))}</pre>"
    parts = []
    for name in names:
        try:
            body = render_html(outputs[name], returns.get(name) or {}, name=name)
        except Exception as e:  # one bad output does not hide the others
            body = f"<pre style='color:#c0392b'>{html.escape(name)}: {html.escape(str(e))}</pre>"
        parts.append(f'<div class="flowlab-output" data-output="{html.escape(name)}">{body}</div>')
    return "<div class='flowlab-outputs'><h4>outputs</h4>" + "".join(parts) + "</div>"


def details_html(run: Any, expanded: bool = False) -> str:
    """What a finished run has to show: its outputs, or its failure."""
    if run.record.get("status") == "succeeded":
        return outputs_html(run)
    return failure_html(run.record, expanded)


def run_html(
    run: Any, now: float | None = None, expanded: bool = False, after_header: str = ""
) -> str:
    """The whole run view as static HTML (a saved notebook's snapshot of it, the dashboard's
    run page); ``expanded`` opens a failure's traceback; ``after_header`` (HTML) goes right
    under the run's header line.

    Example::

        IPython.display.HTML(run_html(run))
    """
    record = run.record
    operators = record.get("operators") or {}
    states = {k: op.get("state", "queued") for k, op in operators.items()}
    finished = record.get("status") in TERMINAL_RUN
    parts = [
        "<div class='flowlab-run-snapshot'>",
        header_html(record, now),
        after_header,
        "<div class='flowlab-counts' style='color:#333;margin:4px 0'>"
        f"{html.escape(state_counts(states.values()))}</div>",
        operator_table(operators, now),
        record_dag_svg(record),
        all_logs_html(operators),
    ]
    if finished:
        parts.append(details_html(run, expanded))
    parts.append("</div>")
    return "".join(parts)


# A Run shows itself with this view (the core asks through its registry, never imports render).
register_run_html(run_html)
