"""The run view: operator states, counts by state, workers, times, the DAG, per-operator logs,
Resume / Rerun / Cancel, and the outputs or the failure; updated live.

Updates come from ``run.subscribe`` (called on the run tracker's thread); a thread of the
view's own coalesces them and changes widget values only, so the kernel stays free and no
output lands in another cell. Runs launched elsewhere are followed by re-reading the store.
The parts are drawn by :mod:`flowlab.render.run`, which also makes the static snapshot a
saved notebook shows.
"""

from __future__ import annotations

import html
import threading
import time
from typing import Any

import ipywidgets as w

from flowlab.notebook.snapshot import Snapshot
from flowlab.render import record_dag_svg
from flowlab.render.run import (
    TERMINAL,
    details_html,
    header_html,
    logs_html,
    operator_table,
    run_html,
    state_counts,
)

MIN_INTERVAL = 0.05  # seconds between redraws: coalesces bursts of events
TICK = 0.5  # seconds between redraws while operators run (elapsed times move)


class RunView(Snapshot, w.VBox):
    """A live view of one run.

    Example::

        view = RunView(iris.launch(labeled_data=df, unlabeled_data=new))
        view                 # shows it; it follows the run by itself
        view.wait_shown()    # blocks until the final state is drawn (tests, scripts)
        view.rerun_button.click()   # what the Rerun button does: a new run, shown below
    """

    def __init__(self, run, **kwargs: Any):
        super().__init__(**kwargs)
        self.add_class("flowlab-run")
        self.run = run
        #: node id -> time.time() when the view first drew it in a final state
        self.first_seen: dict[str, float] = {}
        #: runs started from this view's buttons (resume, rerun), newest last
        self.spawned: list = []
        self.header = w.HTML()
        self.progress = w.IntProgress(min=0, max=max(1, len(run.record["operators"])))
        self.progress_label = w.HTML()
        self.progress_label.add_class("flowlab-counts")
        self.table = w.HTML()
        self.dag = w.HTML()
        self.logs = w.VBox()
        self.logs.add_class("flowlab-logs-box")
        self._log_widgets: dict[str, w.HTML] = {}
        self.details = w.HTML()
        self.details.add_class("flowlab-details")
        self.cancel_button = _button("Cancel", "stop", "flowlab-cancel", self._cancel)
        self.resume_button = _button("Resume", "play", "flowlab-resume", self._resume)
        self.rerun_button = _button("Rerun", "redo", "flowlab-rerun", self._rerun)
        self.variant_button = _button("New variant", "copy", "flowlab-variant", self._new_variant)
        # Deploy: a run with a MODEL output becomes the next version of the named model
        self.deploy_name = w.Text(
            value=run.record["workflow"],
            placeholder="model name",
            layout=w.Layout(display="none", width="160px"),
        )
        self.deploy_button = _button("Deploy", "rocket", "flowlab-deploy", self._deploy)
        self.message = w.HTML()
        self.message.add_class("flowlab-view-message")
        # tags and notes, added from here (shown in the header, searchable as tag = "x")
        self.tag_box = w.Text(
            placeholder="add a tag ⏎", continuous_update=False, layout=w.Layout(width="150px")
        )
        self.tag_box.add_class("flowlab-add-tag")
        self.tag_box.observe(self._add_tag, "value")
        self.note_box = w.Text(
            placeholder="add a note ⏎", continuous_update=False, layout=w.Layout(width="320px")
        )
        self.note_box.add_class("flowlab-add-note")
        self.note_box.observe(self._add_note, "value")
        self.variant_area = w.VBox()
        self.children = [
            self.header,
            w.HBox([self.progress, self.progress_label]),
            self.table,
            self.dag,
            self.logs,
            self.details,
            w.HBox(
                [
                    self.cancel_button,
                    self.resume_button,
                    self.rerun_button,
                    self.variant_button,
                    self.deploy_name,
                    self.deploy_button,
                    self.message,
                ]
            ),
            w.HBox([self.tag_box, self.note_box]),
            self.variant_area,
        ]
        self._dirty = threading.Event()
        self._final = threading.Event()
        self._lock = threading.RLock()
        self._drawn_final = False
        run.subscribe(lambda _run: self._dirty.set())
        self.update()
        if not self._drawn_final:
            threading.Thread(
                target=self._follow, name=f"flowlab-view-{run.id}", daemon=True
            ).start()

    # -- following the run -------------------------------------------------------------------------
    def _follow(self) -> None:
        live = getattr(self.run, "tracker", None) is not None
        while not self._drawn_final:
            self._dirty.wait(TICK)
            self._dirty.clear()
            if not live:
                self.run.refresh()
            self.update()
            time.sleep(MIN_INTERVAL)
        self.refresh_snapshot()

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
            self.header.value = header_html(record, now)
            self.progress.value = done
            self.progress.bar_style = {
                "failed": "danger",
                "succeeded": "success",
                "cancelled": "warning",
                "pruned": "warning",
            }.get(status, "")
            self.progress_label.value = (
                f"<span style='margin-left:8px'>{html.escape(state_counts(states.values()))}</span>"
            )
            self.table.value = operator_table(operators, now)
            self.dag.value = record_dag_svg(record)
            self._draw_logs(operators)
            self.cancel_button.layout.display = None if not finished else "none"
            self.resume_button.layout.display = (
                None if finished and status in ("failed", "cancelled") else "none"
            )
            self.rerun_button.layout.display = None if finished else "none"
            self.variant_button.layout.display = None if finished else "none"
            deployable = finished and status == "succeeded" and _has_model(record)
            self.deploy_button.layout.display = None if deployable else "none"
            self.deploy_name.layout.display = None if deployable else "none"
            if finished:
                self.details.value = details_html(self.run)
                self._drawn_final = True
                self._final.set()

    def _add_tag(self, change) -> None:
        text = (change["new"] or "").strip()
        if text:
            self._annotate(lambda: self.run.tag(text), self.tag_box)

    def _add_note(self, change) -> None:
        text = (change["new"] or "").strip()
        if text:
            self._annotate(lambda: self.run.note(text), self.note_box)

    def _annotate(self, add, box) -> None:
        """Add a tag or a note, empty its box and redraw the header (also once final)."""
        try:
            add()
        except Exception as exc:  # noqa: BLE001 - the store's message, shown where typed
            self.message.value = f"<span style='color:#c0392b'>{html.escape(str(exc))}</span>"
            return
        box.value = ""
        with self._lock:
            self.header.value = header_html(self.run.record, time.time())

    def _draw_logs(self, operators: dict) -> None:
        """One collapsed block per operator with logs; a block changes only with its logs, so
        a block the user opened stays open while the others update."""
        for node, op in operators.items():
            shown = logs_html(node, op.get("logs") or "")
            if not shown:
                continue
            widget = self._log_widgets.get(node)
            if widget is None:
                widget = self._log_widgets[node] = w.HTML()
                self.logs.children = [*self.logs.children, widget]
            widget.value = shown  # unchanged text sends nothing to the browser

    def settle(self) -> None:
        if not self._drawn_final and _finished(self.run):
            self.update()

    def snapshot_html(self) -> str:
        parts = [run_html(self.run)]
        for child in self.variant_area.children:
            if isinstance(child, Snapshot):
                parts.append(child.snapshot_html())
        return "".join(parts)

    def snapshot_text(self) -> str:
        record = self.run.record
        return f"run {self.run.id} of {record['workflow']}: {record['status']}"

    # -- buttons -----------------------------------------------------------------------------------
    def _cancel(self) -> None:
        self.run.cancel()
        self._say("cancelling…")

    def _resume(self) -> None:
        self._spawn("resumed", self.run.resume)

    def _rerun(self) -> None:
        self._spawn("rerun", self.run.rerun)

    def _deploy(self) -> None:
        name = self.deploy_name.value.strip()
        try:
            version = self.run.deploy(name)
        except Exception as exc:  # a bad name, no MODEL output: shown where the user clicked
            self._say(f"{type(exc).__name__}: {exc}", error=True)
            return
        self._say(f"deployed as {name} version {version} (flowlab.models.alias to serve it)")

    def _spawn(self, what: str, start) -> None:
        try:
            new = start()
        except Exception as exc:  # shown where the user clicked (workflow not defined, …)
            self._say(f"{type(exc).__name__}: {exc}", error=True)
            return
        self.spawned.append(new)
        view = RunView(new)
        self.variant_area.children = [view]
        self._say(f"{what} as run {new.id}")

    def _new_variant(self) -> None:
        from flowlab.notebook.form import LaunchForm

        try:
            form = LaunchForm.for_run(self.run)
        except KeyError as e:
            self._say(str(e).strip("'\""), error=True)
            return
        self.variant_area.children = [form]

    def _say(self, text: str, error: bool = False) -> None:
        colour = "#c0392b" if error else "#555"
        self.message.value = f"<span style='color:{colour}'>{html.escape(text)}</span>"


def _has_model(record: dict) -> bool:
    return any(
        isinstance(v, dict) and v.get("type") == "MODEL"
        for v in (record.get("outputs") or {}).values()
    )


def _button(description: str, icon: str, css: str, action) -> w.Button:
    button = w.Button(description=description, icon=icon, layout=w.Layout(display="none"))
    button.add_class(css)
    button.on_click(lambda _b: action())
    return button


def _finished(run) -> bool:
    try:
        run.wait(timeout=0)
        return True
    except TimeoutError:
        return False
