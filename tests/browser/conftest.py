"""One JupyterLab server and one headless Chromium (Debian's, never a downloaded one)."""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

import pytest

from tests.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: F401 - the browser tests import them here
from tests.jupyter_app import running_jupyter

REPO = Path(__file__).resolve().parents[2]


def _widgets_data_dir() -> str:
    """The share/jupyter holding the ipywidgets lab extension: in a venv layered on a base
    one (our worktrees), it is the base's, which JupyterLab does not look in by itself."""
    import jupyterlab_widgets

    prefix = Path(jupyterlab_widgets.__file__).resolve().parents[4]
    return str(prefix / "share" / "jupyter")


def _this_labextension(root: Path) -> str:
    """A data dir whose flowlab lab extension is this checkout's flowlab/labextension (as
    `jupyter labextension develop` links it): the copy pip installed into share/jupyter is the
    one built at install time — in a worktree, the base venv's, built from another checkout."""
    data = root / ".jupyter-data"
    (data / "labextensions").mkdir(parents=True, exist_ok=True)
    (data / "labextensions" / "flowlab").symlink_to(REPO / "flowlab" / "labextension")
    return str(data)


@pytest.fixture(scope="session")
def jupyterlab(client, tmp_path_factory):
    """JupyterLab on 127.0.0.1 with a token, serving a temporary copy of notebooks/.

    Its kernels use the test session's cluster (FLOWLAB_SCHEDULER) and store (FLOWLAB_HOME).
    """
    root = tmp_path_factory.mktemp("lab")
    shutil.copytree(REPO / "notebooks", root, dirs_exist_ok=True)
    env = dict(
        FLOWLAB_SCHEDULER=client.scheduler.address,
        PYTHONPATH=str(REPO),
        JUPYTER_PATH=os.pathsep.join(
            filter(
                None,
                [_this_labextension(root), _widgets_data_dir(), os.environ.get("JUPYTER_PATH")],
            )
        ),
    )
    with running_jupyter("lab", root, env) as lab:
        yield lab


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
