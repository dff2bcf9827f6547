"""Serving fixtures: two trained iris runs deployed as versions 1 and 2 of a model, and a real
``flowlab serve`` process on a free loopback port reading the same store."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid

import httpx
import pytest

from tests.polling import poll_for
from tests.store.conftest import any_store, postgres_schema, store_url  # noqa: F401 - fixtures


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A ``flowlab serve`` process; ``url``, ``client`` (httpx), ``output`` when it stopped."""

    def __init__(self, *args: str, env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "flowlab.cli", "serve", "--port", str(self.port), *args]
        self.process = subprocess.Popen(
            command,
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.client = httpx.Client(base_url=self.url, timeout=30)
        self._wait()

    def _wait(self) -> None:
        def healthy() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"flowlab serve exited: {self.process.stdout.read()}")
            try:
                return self.client.get("/healthz").status_code == 200
            except httpx.TransportError:
                return False

        poll_for(healthy, 60, what="flowlab serve to answer /healthz", every=0.2)

    def stop(self) -> str:
        self.client.close()
        self.process.terminate()
        try:
            output, _ = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            output, _ = self.process.communicate()
        return output


@pytest.fixture(scope="session")
def iris_versions(client):
    """Model 'iris-classifier': version 1 a depth-1 tree, version 2 a depth-3 tree."""
    import flowlab
    from flowlab.library import data
    from tests.serving.workflows import serving_iris

    frame = data.iris()
    shallow = serving_iris.launch(labeled_data=frame, max_depth=1, seed=1)
    deep = serving_iris.launch(labeled_data=frame, max_depth=3, seed=1)
    shallow.result(timeout=240), deep.result(timeout=240)
    name = f"iris-{uuid.uuid4().hex[:6]}"
    v1, v2 = shallow.deploy(name), deep.deploy(name)
    flowlab.models.alias(name, "production", v1)
    flowlab.models.alias(name, "candidate", v2)
    return {"name": name, "runs": (shallow, deep), "versions": (v1, v2), "frame": frame}


@pytest.fixture(scope="session")
def server(iris_versions):
    server = Server()
    yield server
    server.stop()


@pytest.fixture
def any_registry(any_store):  # noqa: F811 - the store suite's fixture, imported above
    """The model registry of a fresh, empty store of each backend (TinyDB, SQLite, PostgreSQL)."""
    from flowlab.store.models import registry_for

    return registry_for(any_store)
