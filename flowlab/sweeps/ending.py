"""Hearing that a child run ended, without polling: the run's tracker calls back."""

from __future__ import annotations

import threading
from collections.abc import Callable


def on_end(run, callback: Callable) -> None:
    """Call ``callback(run)`` once, when ``run`` has ended and its record is written (at once
    if it already has). The call comes from the run's tracker thread: keep it short.

    Example::

        ended = queue.SimpleQueue()
        on_end(run, ended.put)
        ended.get()  # the run
    """
    tracker = run.tracker
    fired = threading.Lock()

    def listener(_run=None) -> None:
        ended = tracker.done.is_set() if tracker is not None else run.done
        if ended and fired.acquire(blocking=False):
            callback(run)

    if tracker is not None:
        tracker.listeners.append(listener)  # the tracker notifies after done is set
    listener()  # it may have ended before we listened
