"""The shadow's own process: where a service's mirrored requests are predicted, so that the
shadow's model calls (pandas, scikit-learn: Python holding the GIL) never compete with the
event loop that answers callers.

The service's shadow thread hands a batch of rows to a child process (``python -m
flowlab.serving.shadow``), started when the first batch comes; the child loads the version from
the registry entry it is given (the store's artifacts, as the service does), predicts and sends
the predictions back. Messages are length-prefixed pickles over the child's stdin and stdout,
between two processes of one service. The child exits when its stdin closes, that is when the
service process exits however it ends (killed included), or when its parent changes.

Example::

    shadow = ShadowProcess(report=print)
    predictions = shadow.predict("iris", 2, registry.entry("iris", 2), [[2, 14, 33, 50]])
    shadow.pid          # the child answering
"""

from __future__ import annotations

import os
import pickle
import select
import struct
import subprocess
import sys
import threading

# the first batch waits for the child to import pandas and scikit-learn and load the version
REPLY_SECONDS = 120.0
PARENT_CHECK_SECONDS = 1.0
_HEADER = struct.Struct("!Q")


class ShadowDied(RuntimeError):
    """The shadow process exited or stopped answering; the next batch starts another."""


class ShadowProcess:
    """One child process predicting for the shadow thread (one caller at a time)."""

    def __init__(self, report=lambda message: None):
        self.report = report  # told when a child is found dead between batches
        self.process: subprocess.Popen | None = None
        self.started = 0  # children started so far: more than one means some died
        self._known: set[tuple[str, int]] = set()  # versions the child has loaded
        self._lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        process = self.process
        return process.pid if process is not None and process.poll() is None else None

    def predict(self, name: str, version: int, entry: dict, rows: list | None) -> list:
        """The predictions of ``rows`` by version ``version`` of ``name``, from the child
        (``rows`` None: load the version, predict nothing).

        ShadowDied when the child died or hung (it is then gone: the next call starts a new
        one); RuntimeError with the child's message when the model failed."""
        with self._lock:
            process = self.process
            if process is not None and process.poll() is not None:
                self.report(
                    f"the shadow process (pid {process.pid}) exited with code "
                    f"{process.returncode} between batches; started another"
                )
            if process is None or process.poll() is not None:
                process = self._start()
            key = (name, version)
            message = (name, version, None if key in self._known else entry, rows)
            try:
                _send(process.stdin, message)
                kind, value = _receive(process.stdout, REPLY_SECONDS)
            except (OSError, EOFError, TimeoutError, pickle.UnpicklingError) as e:
                self._stop()
                code = process.poll()
                how = f"exited with code {code}" if code is not None else "stopped answering"
                raise ShadowDied(
                    f"the shadow process (pid {process.pid}) {how} "
                    f"({type(e).__name__}: {e}); the next batch starts another"
                ) from None
            if kind == "error":
                raise RuntimeError(value)
            self._known.add(key)
            return value

    def _start(self) -> subprocess.Popen:
        self._stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flowlab.serving.shadow", str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
            # its own session: a Ctrl-C meant for the server reaches it as the end of its stdin
            start_new_session=True,
        )
        self.started += 1
        self._known = set()
        return self.process

    def _stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        for stream in (process.stdin, process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        if process.poll() is None:
            process.kill()
        process.wait()

    def close(self) -> None:
        with self._lock:
            self._stop()


def _send(stream, message) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)


def _receive(stream, timeout: float | None = None):
    (size,) = _HEADER.unpack(_read(stream, _HEADER.size, timeout))
    return pickle.loads(_read(stream, size, timeout))


def _read(stream, size: int, timeout: float | None) -> bytes:
    chunks, left = [], size
    while left:
        if timeout is not None and not select.select([stream], [], [], timeout)[0]:
            raise TimeoutError(f"no answer in {timeout:.0f} s")
        chunk = stream.read(left)
        if not chunk:
            raise EOFError("the other side closed the pipe")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def main(parent: int) -> None:
    """The child: predict each batch it is sent until the service goes."""
    from flowlab.serving.engine import LoadedModel

    replies = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)  # what a library prints goes to the service's log, not into the replies
    requests = os.fdopen(0, "rb", buffering=0)
    models: dict[tuple[str, int], LoadedModel] = {}
    while True:
        # the end of stdin says the service exited; a new parent says so too (a pipe a
        # grandchild inherited by mistake would otherwise keep us waiting)
        while not select.select([requests], [], [], PARENT_CHECK_SECONDS)[0]:
            if os.getppid() != parent:
                return
        try:
            name, version, entry, rows = _receive(requests)
        except EOFError:
            return
        try:
            loaded = models.get((name, version))
            if loaded is None:
                if entry is None:
                    raise RuntimeError(f"version {version} of model '{name}' was never sent")
                loaded = models[(name, version)] = LoadedModel(name, version, entry)
            reply = ("ok", loaded.predict(rows) if rows is not None else [])
        except Exception as e:  # the model's failure, told to the service's shadow report
            reply = ("error", f"{type(e).__name__}: {e}")
        try:
            _send(replies, reply)
        except BrokenPipeError:
            return


if __name__ == "__main__":
    main(int(sys.argv[1]))
