"""The flowlab dashboard beside JupyterLab: ``python -m flowlab ui --no-show`` started once by
the server extension, on 127.0.0.1 and a free port, reading the server's store (it inherits
FLOWLAB_HOME / FLOWLAB_STORE), stopped when the server stops.

It requires a token of its own, random, given in FLOWLAB_UI_TOKEN (other users could read the
command line): other local users and processes, who can reach 127.0.0.1 too, get 403 where
Jupyter's token would have stopped them.

``GET /flowlab/api/dashboard`` (behind Jupyter's authentication) starts it on first use and
answers its URL with ``?token=``; the palette command "Flowlab: open dashboard" opens that URL
beside the notebooks, and the first page sets the cookie the rest of the session uses.

Example::

    dashboard = DashboardProcess()
    dashboard.url()      # 'http://127.0.0.1:41234/runs?token=…' (starts it, waits for its URL)
    dashboard.stop()
"""

from __future__ import annotations

import atexit
import collections
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time

from flowlab.errors import FlowlabError
from flowlab.store.config import redacted

# the dashboard imports Panel and Bokeh before it prints its URL: seconds, more on a busy machine
STARTUP_TIMEOUT_S = 180.0
#: the line ``flowlab ui`` announces its URL with, once its socket listens
URL = re.compile(r"flowlab dashboard: (https?://[^\s'\"<>]+)")


class DashboardUnavailable(FlowlabError, RuntimeError):
    """The dashboard process could not be started or stopped before it said its URL."""


class DashboardProcess:
    """One ``flowlab ui`` child process, started on first :meth:`url`, restarted if it died.

    ``port`` pins its port (a free one by default); ``FLOWLAB_DASHBOARD_PORT`` sets it for the
    server extension.
    """

    def __init__(self, port: int | None = None, startup_timeout_s: float = STARTUP_TIMEOUT_S):
        self.port = port
        self.startup_timeout_s = startup_timeout_s
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._url: str | None = None
        self._token: str | None = None
        self._tail: collections.deque[str] = collections.deque(maxlen=40)
        self._said_url = threading.Event()

    @property
    def command(self) -> list[str]:
        port = self.port or _free_port()
        return [sys.executable, "-m", "flowlab", "ui", "--no-show", "--port", str(port)]

    def start(self) -> None:
        """Start the process unless it is running (returns at once; :meth:`url` waits)."""
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                return
            self._url, self._tail = None, collections.deque(maxlen=40)
            self._said_url = threading.Event()
            # a new token for each process: one that died may have shown its own somewhere
            self._token = secrets.token_urlsafe(32)
            self._process = subprocess.Popen(
                self.command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                bufsize=1,
                env=dict(os.environ, PYTHONUNBUFFERED="1", FLOWLAB_UI_TOKEN=self._token),
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
            threading.Thread(
                target=self._read, args=(self._process, self._token),
                name="flowlab-dashboard-output",
                daemon=True,
            ).start()  # fmt: skip

    def url(self) -> str:
        """The dashboard's URL with its token (``?token=``), starting it first if needed.

        Raises :class:`DashboardUnavailable` with the command's last output lines when it
        exits, or says no URL within ``startup_timeout_s``.
        """
        self.start()
        process, said = self._process, self._said_url
        deadline = time.monotonic() + self.startup_timeout_s
        while not said.wait(0.2):
            if process.poll() is not None:
                said.wait(2)  # the reader may still be reading its last lines
                if said.is_set():
                    break
                raise DashboardUnavailable(
                    f"the dashboard could not start: `{_shown(process.args)}` exited with "
                    f"status {process.returncode}:\n{self._last_lines()}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise DashboardUnavailable(
                    f"the dashboard did not say its URL within {self.startup_timeout_s:.0f} s "
                    f"(`{_shown(process.args)}`); it was stopped. Its output:\n"
                    f"{self._last_lines()}"
                )
        return self._url  # type: ignore[return-value]

    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL after 10 s); nothing if none runs."""
        with self._lock:
            process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _read(self, process: subprocess.Popen, token: str) -> None:
        for line in process.stdout:  # drains it for the process's whole life
            line = line.rstrip()
            # the tail goes into error messages, and from there into logs: never the token
            self._tail.append(redacted(line.replace(token, "***") if token else line))
            if not self._said_url.is_set():
                found = URL.search(line)
                if found:
                    self._url = _with_token(found.group(1).rstrip(".,;)"), token)
                    self._said_url.set()

    def _last_lines(self) -> str:
        return "\n".join(self._tail) or "(no output)"


_dashboard: DashboardProcess | None = None
_dashboard_lock = threading.Lock()


def server_dashboard() -> DashboardProcess:
    """The Jupyter server's one dashboard process (stopped at the server's exit)."""
    global _dashboard
    with _dashboard_lock:
        if _dashboard is None:
            port = os.environ.get("FLOWLAB_DASHBOARD_PORT")
            if port is not None and not port.isdigit():
                raise DashboardUnavailable(
                    f"FLOWLAB_DASHBOARD_PORT must be a port number; got {port!r}"
                )
            _dashboard = DashboardProcess(port=int(port) if port else None)
            atexit.register(_dashboard.stop)
        return _dashboard


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _with_token(url: str, token: str) -> str:
    """``url`` carrying ``?token=`` (``flowlab ui`` prints it so; said here, not assumed)."""
    if not token or f"token={token}" in url:
        return url
    return f"{url}{'&' if '?' in url else '?'}token={token}"


def _shown(args) -> str:
    return " ".join(["python", *map(str, args[1:])])


def _die_with_parent() -> None:
    # in the child, before exec: SIGTERM it if the server process dies without cleaning up
    # (killed); prctl(PR_SET_PDEATHSIG) fires when the thread that forked it ends, so the
    # server starts it from its main (event loop) thread
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
    except Exception:  # noqa: BLE001 - only a safety net; stop() and atexit do the work
        pass
