"""One way to start a real Jupyter application for a test session: ``jupyter server`` (the REST
tests) or ``jupyter lab`` (the browser tests), on 127.0.0.1 with a token, in a directory of
its own, stopped (and its children with it) when the ``with`` block ends.

Both ``tests/jupyter/conftest.py`` and ``tests/browser/conftest.py`` use it.

Example::

    with running_jupyter("server", tmp_path) as server:
        urllib.request.urlopen(f"{server['url']}/api/status?token={server['token']}")
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.jupyter.installed import require_installed_extensions
from tests.polling import poll_for


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lab_settings(root: Path) -> Path:
    """A user-settings directory that answers JupyterLab's "get notified about news?" question
    in advance, so no pop-up covers what a test clicks."""
    settings = root / ".lab-settings"
    apputils = settings / "@jupyterlab" / "apputils-extension"
    apputils.mkdir(parents=True, exist_ok=True)
    (apputils / "notification.jupyterlab-settings").write_text(
        '{"fetchNews": "false", "checkForUpdates": false}'
    )
    return settings


@contextmanager
def running_jupyter(
    app: str, root: Path, env: dict[str, str] | None = None, startup_s: float = 90
) -> Iterator[dict]:
    """Run ``jupyter <app>`` (``"server"`` or ``"lab"``) serving ``root``; yields ``url``,
    ``token``, ``root`` and ``log`` (its output file).

    The environment is this process's (FLOWLAB_HOME: the session's store) plus ``env``, with
    Jupyter's config and runtime directories inside ``root`` (no user config leaks in).
    """
    if app not in ("server", "lab"):
        raise ValueError(f"app must be 'server' or 'lab', got {app!r}")
    require_installed_extensions()
    port, token = free_port(), secrets.token_hex(16)
    full_env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(root / ".jupyter-config"),
        JUPYTER_RUNTIME_DIR=str(root / ".jupyter-runtime"),
    )
    full_env.update(env or {})
    args = [
        sys.executable, "-m", "jupyter", app, "--no-browser", "--allow-root",
        "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
    ]  # fmt: skip
    if app == "lab":
        args += [
            "--LabApp.news_url=",
            f"--LabApp.user_settings_dir={lab_settings(root)}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]
    log_path = root / f"jupyter-{app}.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(args, env=full_env, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            status_url = f"{url}/api/status?token={token}"
            poll_for(
                lambda: _answers(process, status_url, log_path),
                startup_s,
                what=f"jupyter to start (see {log_path})",
                every=0.3,
            )
            yield {"url": url, "token": token, "root": root, "log": log_path}
        finally:
            # SIGTERM lets the server stop what its extensions started (flowlab's dashboard)
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _answers(process: subprocess.Popen, status_url: str, log: Path) -> bool:
    """Whether jupyter answers ``status_url`` yet; RuntimeError once it has exited."""
    try:
        with urllib.request.urlopen(status_url, timeout=2):
            return True
    except OSError:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter exited before it answered; see {log}") from None
        return False
