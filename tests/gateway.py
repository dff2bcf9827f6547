"""A real Dask Gateway for the tests: ``dask-gateway-server`` with its local backend (the
scheduler and workers are processes on this machine, run as this user), simple password
authentication, and the server configuration docs/scaling-out.md gives (read from the page), whose cluster options
``worker_cores``/``worker_memory``/``worker_gpus`` make every worker advertise flowlab's
resources.

Example::

    with GatewayServer(tmp_path) as gateway:
        env = {**os.environ, **gateway.client_env}   # Dask's gateway.auth, as a user sets it
        subprocess.run(["flowlab", "cluster", "up", "--gateway", gateway.url], env=env)
"""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
from pathlib import Path

from tests.polling import poll_for

ROOT = Path(__file__).resolve().parents[1]


def server_options() -> str:
    """The server configuration docs/scaling-out.md gives its Gateway's administrator: the
    page's Python block that starts with "# -- flowlab's cluster options", as written."""
    import re

    page = (ROOT / "docs" / "scaling-out.md").read_text()
    found = re.search(r"```python\n(# -- flowlab's cluster options.*?)```", page, re.S)
    assert found, "docs/scaling-out.md has no block starting # -- flowlab's cluster options"
    return found.group(1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class GatewayServer:
    """``dask-gateway-server`` on two free loopback ports, configured in ``folder``."""

    def __init__(self, folder: Path, user: str = "alice"):
        self.folder = folder
        self.user = user
        self.password = secrets.token_urlsafe(16)
        self.api_port, self.proxy_port = _free_port(), _free_port()
        self.url = f"http://127.0.0.1:{self.proxy_port}"
        self.proc: subprocess.Popen | None = None

    @property
    def client_env(self) -> dict[str, str]:
        """Dask's configuration a user of this Gateway sets: basic auth, their password."""
        return {
            "DASK_GATEWAY__AUTH__TYPE": "basic",
            "DASK_GATEWAY__AUTH__KWARGS__USERNAME": self.user,
            "DASK_GATEWAY__AUTH__KWARGS__PASSWORD": self.password,
        }

    def start(self) -> GatewayServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        config = self.folder / "dask_gateway_config.py"
        config.write_text(
            f'c.DaskGateway.address = "127.0.0.1:{self.api_port}"\n'
            f'c.Proxy.address = "127.0.0.1:{self.proxy_port}"\n'
            "c.DaskGateway.backend_class = "
            '"dask_gateway_server.backends.local.UnsafeLocalBackend"\n'
            'c.DaskGateway.authenticator_class = "dask_gateway_server.auth.SimpleAuthenticator"\n'
            f'c.SimpleAuthenticator.password = "{self.password}"\n'
            f'c.UnsafeLocalBackend.clusters_directory = "{self.folder / "clusters"}"\n'
            + server_options()
        )
        log = open(self.folder / "gateway.log", "ab")  # noqa: SIM115 - the server writes to it
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dask_gateway_server", "-f", str(config)],
            cwd=self.folder,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        poll_for(self._healthy, 60, what="the Dask Gateway to answer", every=0.2)
        return self

    def _healthy(self) -> bool:
        import urllib.request

        if self.proc.poll() is not None:
            raise AssertionError(
                f"dask-gateway-server exited ({self.proc.returncode}): see "
                f"{self.folder / 'gateway.log'}"
            )
        try:
            with urllib.request.urlopen(f"{self.url}/api/health", timeout=5) as answer:
                return answer.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def __enter__(self) -> GatewayServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
