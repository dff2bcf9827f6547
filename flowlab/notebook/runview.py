"""The run view: operator states, workers, times, progress and the DAG, updated live.

Updates come from ``run.subscribe`` (called on the run tracker's thread); a thread of the
view's own coalesces them and changes widget values only, so the kernel stays free and no
output lands in another cell. Runs launched elsewhere are followed by re-reading the store.
"""

from __future__ import annotations

import datetime as dt
import html
import threading
import time
from typing import Any

import ipywidgets as w

from flowlab.render import STATE_COLOURS, dag_svg, render_html

TERMINAL = ("succeeded", "failed", "cancelled", "cached")
MIN_INTERVAL = 0.05  # seconds between redraws: coalesces bursts of events
TICK = 0.5  # seconds between redraws while operators run (elapsed times move)


class RunView(w.VBox):
    """A live view of one run.

    Example::

        view = RunView(iris.launch(labeled_data=df, unlabeled_data=new))
        view                 # shows it; it follows the run by itself
        view.wait_shown()    # blocks until the final state is drawn (tests, scripts)
    """

    def __init__(self, run, **kwargs: Any):
        super().__init__(**kwargs)
        self.add_class("flowlab-run")
        self.run = run
        #: node id -> time.time() when the view first drew it in a final state
        self.first_seen: dict[str, float] = {}
        self.header = w.HTML()
        self.progress = w.IntProgress(min=0, max=max(1, len(run.record["operators"])))
        self.progress_label = w.HTML()
        self.table = w.HTML()
        self.dag = w.HTML()
        self.details = w.HTML()
        self.details.add_class("flowlab-details")
        self.variant_button = w.Button(description="New variant", icon="copy")
        self.variant_button.on_click(lambda _b: self._new_variant())
        self.variant_area = w.VBox()
        self.children = [
            self.header,
            w.HBox([self.progress, self.progress_label]),
            self.table,
            self.dag,
            self.details,
            self.variant_area,
        ]
        self._dirty = threading.Event()
        self._final = threading.Event()
        self._lock = threading.Lock()
        self._drawn_final = False
        run.subscribe(lambda _run: self._dirty.set())
        self.update()
        if not self._drawn_final:
            threading.Thread(
                target=self._follow, name=f"flowlab-view-{run.id}", daemon=True
            ).start()

    # -- following the run -------------------------------------------------------------------------
    def _follow(self) -> None:
        live = getattr(self.run, "_tracker", None) is not None
        while not self._drawn_final:
            self._dirty.wait(TICK)
            self._dirty.clear()
            if not live:
                self.run.refresh()
            self.update()
            time.sleep(MIN_INTERVAL)

    def wait_shown(self, timeout: float | None = None) -> RunView:
        """Block until the view has drawn the run's final state."""
        if not self._final.wait(timeout):
            raise TimeoutError(f"run {self.run.id} not finished after {timeout} s")
        return self

    # -- drawing -----------------------------------------------------------------------------------
    def update(self) -> None:
        """Redraw from the run's record (safe to call from any thread)."""
        with self._lock:
            if self._drawn_final:
                return
            finished = _finished(self.run)
            record = self.run.record
            operators = self.run.operators
            now = time.time()
            states = {k: op["state"] for k, op in operators.items()}
            for node, state in states.items():
                if state in TERMINAL and node not in self.first_seen:
                    self.first_seen[node] = now
            done = sum(1 for s in states.values() if s in TERMINAL)
            status = record["status"]
            self.header.value = (
                f"<div><b>run {html.escape(self.run.id)}</b> of "
                f"<b>{html.escape(record['workflow'])}</b>: "
                f'<span class="flowlab-run-status" data-status="{status}" '
                f'style="background:{STATE_COLOURS.get(status, "#eee")};padding:0 6px">'
                f"{status}</span></div>"
            )
            self.progress.value = done
            self.progress.bar_style = {"failed": "danger", "succeeded": "success"}.get(status, "")
            self.progress_label.value = f"{done} / {len(states)} operators"
            self.table.value = _operator_table(operators, now)
            self.dag.value = dag_svg(record.get("graph") or {}, states)
            if finished:
                self.details.value = (
                    _outputs_html(self.run) if status == "succeeded" else _failure_html(self.run)
                )
                self.variant_area.children = [self.variant_button]
                self._drawn_final = True
                self._final.set()

    def _new_variant(self) -> None:
        from flowlab.notebook.form import LaunchForm

        try:
            form = LaunchForm.for_run(self.run)
        except KeyError as e:
            self.variant_area.children = [self.variant_button, w.HTML(html.escape(str(e)))]
            return
        self.variant_area.children = [self.variant_button, form]


def _finished(run) -> bool:
    try:
        run.wait(timeout=0)
        return True
    except TimeoutError:
        return False


def _operator_table(operators: dict, now: float) -> str:
    rows = []
    for node, op in operators.items():
        state = op.get("state", "queued")
        rows.append(
            f'<tr data-node="{html.escape(node)}" data-state="{state}">'
            f"<td>{html.escape(node)}</td>"
            f'<td><span style="background:{STATE_COLOURS.get(state, "#eee")};'
            f'padding:0 6px">{state}</span></td>'
            f"<td>{html.escape(str(op.get('worker') or '—'))}</td>"
            f"<td style='text-align:right'>{_elapsed(op, now)}</td></tr>"
        )
    return (
        '<table class="flowlab-operators" style="border-collapse:collapse">'
        "<thead><tr><th>operator</th><th>state</th><th>worker</th><th>elapsed</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _elapsed(op: dict, now: float) -> str:
    if op.get("duration") is not None:
        return f"{op['duration']:.2f} s"
    started = _timestamp(op.get("started"))
    if started is None:
        return "—"
    ended = _timestamp(op.get("ended")) or now
    return f"{max(0.0, ended - started):.1f} s"


def _timestamp(text: str | None) -> float | None:
    if not text:
        return None
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _outputs_html(run) -> str:
    returns = (run.record.get("graph") or {}).get("returns") or {}
    try:
        outputs = run.outputs
    except Exception as e:  # an unreadable artifact is shown, not hidden
        return f"<pre style='color:#c0392b'>outputs could not be read: {html.escape(str(e))}</pre>"
    parts = [
        f'<div class="flowlab-output" data-output="{html.escape(name)}">'
        f"{render_html(outputs[name], returns.get(name) or {}, name=name)}</div>"
        for name in outputs
    ]
    return "<div class='flowlab-outputs'><h4>outputs</h4>" + "".join(parts) + "</div>"


def _failure_html(run) -> str:
    record = run.record
    error = record.get("error") or {}
    operator = error.get("operator")
    op = record["operators"].get(operator) or {} if operator else {}
    parts = [
        "<div class='flowlab-failure'>",
        f"<div style='color:#c0392b'><b>{html.escape(record['status'])}</b>: "
        f"{html.escape(error.get('message') or '')}</div>",
    ]
    if operator:
        parts.append(f"<div>failing operator: <b>{html.escape(operator)}</b></div>")
    if op.get("traceback"):
        parts.append(
            "<details open><summary>traceback</summary>"
            f"<pre style='white-space:pre-wrap'>{html.escape(op['traceback'])}</pre></details>"
        )
    if op.get("logs"):
        parts.append(
            "<details open><summary>logs</summary>"
            f"<pre style='white-space:pre-wrap'>{html.escape(op['logs'])}</pre></details>"
        )
    parts.append("</div>")
    return "".join(parts)
