"""The live view of a sweep or study: its specialised renderer, redrawn as children end.

The picture comes from the renderer registry (:mod:`flowlab.render.sweeps`), so the notebook
and the dashboard draw the same thing; the static snapshot is that same HTML.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import ipywidgets as w

from flowlab.notebook.snapshot import Snapshot
from flowlab.render import render_html

TICK = 1.0  # seconds between redraws while children run (coalesces bursts of endings)


class SweepView(Snapshot, w.VBox):
    """A live view of a sweep or a study.

    Example::

        view = SweepView(iris.sweep(labeled_data=df, unlabeled_data=new, grid={...}))
        view              # shows the heatmap / lines / parallel coordinates, updating
        view.wait_shown() # blocks until the final state is drawn
    """

    def __init__(self, sweep, **kwargs: Any):
        super().__init__(**kwargs)
        self.add_class("flowlab-sweep-view")
        self.sweep = sweep
        self.body = w.HTML()
        self.children = [self.body]
        self._dirty = threading.Event()
        self._final = threading.Event()
        self._lock = threading.RLock()
        sweep.subscribe(lambda _s: self._dirty.set())
        self.update()
        if not self._final.is_set():
            threading.Thread(
                target=self._follow, name=f"flowlab-sweep-view-{sweep.id}", daemon=True
            ).start()

    def _follow(self) -> None:
        while not self._final.is_set():
            self._dirty.wait(TICK)
            self._dirty.clear()
            self.update()
        self.refresh_snapshot()

    def update(self) -> None:
        """Redraw from the children's records (any thread)."""
        with self._lock:
            if self._final.is_set():
                return
            finished = self.sweep.done
            self.body.value = self._html()
            if finished:
                self._final.set()

    def _html(self) -> str:
        try:
            return render_html(self.sweep, name=self.sweep.id)
        except Exception as exc:  # drawn again at the next change; never break the view
            return f"<pre>sweep {self.sweep.id}: view unavailable: {exc}</pre>"

    def wait_shown(self, timeout: float | None = None) -> SweepView:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._final.wait(0.2):
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"sweep {self.sweep.id} not finished after {timeout} s")
        return self

    def settle(self) -> None:
        if not self._final.is_set() and self.sweep.done:
            self.update()

    def snapshot_html(self) -> str:
        return self.body.value or self._html()

    def snapshot_text(self) -> str:
        return f"{self.sweep.kind} {self.sweep.id} of {self.sweep.record['workflow']}: " + (
            self.sweep.status
        )
