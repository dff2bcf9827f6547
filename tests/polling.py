"""The one way a test waits: poll a condition until it holds, with a timeout scaled to load.

Example::

    from tests.polling import poll_for

    record = poll_for(lambda: store.get_run(run_id) if done(run_id) else None,
                      what=f"run {run_id} to end")

No test sleeps for a fixed time nor writes its own deadline loop: tests/test_waits.py keeps it so.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def load_factor() -> float:
    """How much slower than a quiet machine this one is now: 1 when quiet, more when busy."""
    try:
        busy = os.getloadavg()[0] / max(os.cpu_count() or 1, 1)
    except OSError:
        return 1.0
    return max(1.0, min(busy, 6.0))


def poll_for(
    condition: Callable[[], T], timeout: float = 60.0, what: str = "the condition", every=0.1
) -> T:
    """``condition()``'s first truthy value; AssertionError naming ``what`` after ``timeout``
    seconds (multiplied by :func:`load_factor`). Named like ``distributed.utils_test.poll_for``."""
    deadline = time.monotonic() + timeout * load_factor()
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout * load_factor():.0f} s for {what}")
        time.sleep(every)
