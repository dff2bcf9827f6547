"""A real Jupyter Server (with flowlab's server extension, enabled by the installed config)
on 127.0.0.1 with a token, reading the test session's store."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.jupyter.installed import require_installed_extensions
from tests.jupyter.runs import make_runs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def made_runs(client):
    return make_runs()


@pytest.fixture(scope="session")
def jupyter_server(made_runs, tmp_path_factory):
    """``jupyter server`` with a token; FLOWLAB_HOME (the session's store) is inherited."""
    require_installed_extensions()
    root = tmp_path_factory.mktemp("server")
    port, token = free_port(), secrets.token_hex(16)
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(root / ".jupyter-config"),
        JUPYTER_RUNTIME_DIR=str(root / ".jupyter-runtime"),
    )
    log = open(root / "server.log", "w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "server",
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError(
                    f"jupyter server did not start; see {root / 'server.log'}"
                ) from None
            time.sleep(0.3)
    yield {"url": url, "token": token, "log": root / "server.log"}
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()
