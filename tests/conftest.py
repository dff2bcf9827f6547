"""Shared fixtures: real things started once, cleaned up after."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def _jupyter_data_of_the_installed_packages() -> None:
    """A venv whose packages come from a base venv (a .pth file) has no share/jupyter of its
    own: point Jupyter (nbconvert's templates, JupyterLab's widget extension) at the base's."""
    import nbconvert

    base = Path(nbconvert.__file__).resolve().parents[4] / "share" / "jupyter"
    mine = Path(os.sys.prefix) / "share" / "jupyter"
    if base.is_dir() and base != mine and not (mine / "nbconvert").is_dir():
        paths = [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
        if str(base) not in paths:
            os.environ["JUPYTER_PATH"] = os.pathsep.join([*paths, str(base)])


_jupyter_data_of_the_installed_packages()


@pytest.fixture(scope="session", autouse=True)
def flowlab_home(tmp_path_factory):
    """Every test session keeps its runs in a fresh FLOWLAB_HOME."""
    home = tmp_path_factory.mktemp("flowlab-home")
    os.environ["FLOWLAB_HOME"] = str(home)
    os.environ.pop("FLOWLAB_STORE", None)
    os.environ.pop("FLOWLAB_ARTIFACTS", None)
    return home


@pytest.fixture(scope="session")
def client(flowlab_home):
    """A real LocalCluster (2 worker processes, CPU and MEMORY resources) used by flowlab."""
    from distributed import Client

    import flowlab

    cluster = flowlab.cluster.start_local_cluster(n_workers=2, threads_per_worker=1)
    client = Client(cluster)
    flowlab.cluster.use_client(client)
    yield client
    flowlab.cluster.use_client(None)
    client.close()
    cluster.close()


@pytest.fixture
def store(flowlab_home):
    from flowlab.store import get_store

    return get_store()


@pytest.fixture
def iris_frame():
    from flowlab.library import data

    return data.iris()


def pytest_collection_modifyitems(config, items):
    """The longest files first: `make test`'s two xdist processes take a file at a time in
    collection order, so the Binder build and the browser files start at once and the many
    short files fill in around them, rather than one long file running alone at the end."""

    def weight(item) -> int:
        if item.get_closest_marker("slow"):
            return 0
        if item.get_closest_marker("browser"):
            return 1
        return 2

    # by file (a file stays together, its module fixtures made once), stable within one
    by_file: dict[str, int] = {}
    for item in items:
        path = str(item.path)
        by_file[path] = min(by_file.get(path, 2), weight(item))
    items.sort(key=lambda item: by_file[str(item.path)])
