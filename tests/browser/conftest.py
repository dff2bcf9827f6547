"""One JupyterLab server and one headless Chromium (Debian's, never a downloaded one)."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _widgets_data_dir() -> str:
    """The share/jupyter holding the ipywidgets lab extension: in a venv layered on a base
    one (our worktrees), it is the base's, which JupyterLab does not look in by itself."""
    import jupyterlab_widgets

    prefix = Path(jupyterlab_widgets.__file__).resolve().parents[4]
    return str(prefix / "share" / "jupyter")


@pytest.fixture(scope="session")
def jupyterlab(client, tmp_path_factory):
    """JupyterLab on 127.0.0.1 with a token, serving a temporary copy of notebooks/.

    Its kernels use the test session's cluster (FLOWLAB_SCHEDULER) and store (FLOWLAB_HOME).
    """
    root = tmp_path_factory.mktemp("lab")
    shutil.copytree(REPO / "notebooks", root, dirs_exist_ok=True)
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(
        os.environ,
        FLOWLAB_SCHEDULER=client.scheduler.address,
        PYTHONPATH=str(REPO),
        JUPYTER_CONFIG_DIR=str(root / ".jupyter-config"),
        JUPYTER_RUNTIME_DIR=str(root / ".jupyter-runtime"),
        JUPYTER_PATH=os.pathsep.join(
            filter(None, [_widgets_data_dir(), os.environ.get("JUPYTER_PATH")])
        ),
    )
    # answer JupyterLab's "get notified about news?" question in advance, so no pop-up
    settings = root / ".lab-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        '{"fetchNews": "false", "checkForUpdates": false}'
    )
    log = open(root / "jupyterlab.log", "w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            "--LabApp.news_url=",
            f"--LabApp.user_settings_dir={root / '.lab-settings'}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
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
                    f"JupyterLab did not start; see {root / 'jupyterlab.log'}"
                ) from None
            time.sleep(0.5)
    yield {"url": url, "token": token, "root": root}
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: run `make browser-deps` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def artifacts_dir() -> Path:
    path = REPO / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


def lab_url(jupyterlab: dict, path: str) -> str:
    """The URL opening ``path`` in a workspace of its own: JupyterLab restores a workspace's
    open tabs, so pages sharing the default one would find each other's notebooks."""
    workspace = "t" + secrets.token_hex(4)
    return f"{jupyterlab['url']}/lab/workspaces/{workspace}/tree/{path}?token={jupyterlab['token']}"
