"""A real Jupyter Server (with flowlab's server extension, enabled by the installed config)
on 127.0.0.1 with a token, reading the test session's store."""

from __future__ import annotations

import pytest

from tests.jupyter.runs import make_runs
from tests.jupyter_app import running_jupyter


@pytest.fixture(scope="session")
def made_runs(client):
    return make_runs()


@pytest.fixture(scope="session")
def jupyter_server(made_runs, tmp_path_factory):
    """``jupyter server`` with a token; FLOWLAB_HOME (the session's store) is inherited."""
    with running_jupyter("server", tmp_path_factory.mktemp("server")) as server:
        yield server
