"""Capture an operator's stdout, stderr and logging, per thread.

A worker runs several operators at once in threads, so ``contextlib.redirect_stdout``
(which swaps a process-wide object) would mix their output. Instead the process's streams
are wrapped once by a proxy that writes to the buffer of the current thread's operator,
if any, and to the real stream too, except on flowlab's local workers.

A local worker (flowlab's local cluster, started by a kernel or a script) inherits the
stdout and stderr of the process that started it; in a kernel those are the kernel's own,
which ipykernel forwards, outside any cell, to JupyterLab's Log Console: every ``print`` of
an operator counted there as a warning. Such a worker is started with
``FLOWLAB_ECHO_OPERATOR_OUTPUT=0`` and keeps an operator's output to its run's log (the run
view, ``flowlab logs``). A ``dask worker`` elsewhere echoes it: there its stdout is its log.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import threading

_local = threading.local()
_install_lock = threading.Lock()
_installed = False
MAX_LOG_CHARS = 200_000
#: "0" in a worker's environment: an operator's output goes to its run's log only
ECHO_ENV = "FLOWLAB_ECHO_OPERATOR_OUTPUT"


def echoes() -> bool:
    """Whether an operator's output also goes to this process's own stdout and stderr."""
    return os.environ.get(ECHO_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


class _ThreadStream(io.TextIOBase):
    def __init__(self, real, echo: bool = True):
        self._real = real
        self._echo = echo

    def write(self, text: str) -> int:
        buffer = getattr(_local, "buffer", None)
        if buffer is not None:
            buffer.write(text)
            if not self._echo:
                return len(text)
        return self._real.write(text)

    def flush(self) -> None:
        self._real.flush()

    def __getattr__(self, name):
        return getattr(self._real, name)


class _ThreadLogHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        buffer = getattr(_local, "buffer", None)
        if buffer is not None:
            try:
                buffer.write(self.format(record) + "\n")
            except Exception:  # a broken log record must not fail the operator
                self.handleError(record)


def _install() -> None:
    global _installed
    with _install_lock:
        if _installed:
            return
        echo = echoes()
        sys.stdout = _ThreadStream(sys.stdout, echo)
        sys.stderr = _ThreadStream(sys.stderr, echo)
        handler = _ThreadLogHandler(level=logging.INFO)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logging.getLogger().addHandler(handler)
        if logging.getLogger().level > logging.INFO:
            logging.getLogger().setLevel(logging.INFO)
        _installed = True


@contextlib.contextmanager
def captured():
    """Collect what this thread prints and logs; yields a StringIO."""
    _install()
    buffer = io.StringIO()
    previous = getattr(_local, "buffer", None)
    _local.buffer = buffer
    try:
        yield buffer
    finally:
        _local.buffer = previous


def tail(text: str) -> str:
    if len(text) <= MAX_LOG_CHARS:
        return text
    return "[... earlier output cut ...]\n" + text[-MAX_LOG_CHARS:]
