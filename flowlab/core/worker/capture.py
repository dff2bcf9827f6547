"""Capture an operator's stdout, stderr and logging, per thread.

A worker runs several operators at once in threads, so ``contextlib.redirect_stdout``
(which swaps a process-wide object) would mix their output. Instead the process's streams
are wrapped once by a proxy that writes to the buffer of the current thread's operator,
if any, and to the real stream always.
"""

from __future__ import annotations

import contextlib
import io
import logging
import sys
import threading

_local = threading.local()
_install_lock = threading.Lock()
_installed = False
MAX_LOG_CHARS = 200_000


class _ThreadStream(io.TextIOBase):
    def __init__(self, real):
        self._real = real

    def write(self, text: str) -> int:
        buffer = getattr(_local, "buffer", None)
        if buffer is not None:
            buffer.write(text)
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
        sys.stdout = _ThreadStream(sys.stdout)
        sys.stderr = _ThreadStream(sys.stderr)
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
