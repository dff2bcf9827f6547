"""A PostgreSQL server a test owns (``initdb`` and ``pg_ctl`` in a temporary directory), so it
can stop and start it; the shared server on 5432 is never touched.

Example::

    with own_postgres() as pg:
        store = open_store(pg.url)
        pg.stop(); ...; pg.start()
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.jupyter_app import free_port


def _binary(name: str) -> str | None:
    found = shutil.which(name) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found if isinstance(found, str) else (found[-1] if found else None)


class OwnPostgres:
    def __init__(self, root: Path):
        self.root, self.port = root, free_port()
        self.data = root / "data"
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        # initdb refuses to run as root: the server runs as the postgres user where we are root
        self.prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self.prefix, *args], capture_output=True, text=True, timeout=120)
        if done.returncode:
            raise subprocess.CalledProcessError(done.returncode, args, done.stdout, done.stderr)

    def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if self.prefix:
            shutil.chown(self.root, "postgres")
        self._run(_binary("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        self._run(
            _binary("pg_ctl"), "-D", str(self.data), "-o", options, "-w", "-t", "120",
            "-l", str(self.root / "server.log"), "start",
        )  # fmt: skip

    def stop(self) -> None:
        self._run(_binary("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")


@contextmanager
def own_postgres() -> Iterator[OwnPostgres]:
    """A fresh PostgreSQL on a free port of 127.0.0.1, started, stopped and removed at the end
    (in a directory of its own under /tmp: the postgres user cannot reach pytest's)."""
    if _binary("initdb") is None or _binary("pg_ctl") is None:
        pytest.skip("initdb/pg_ctl are not installed")
    root = Path(tempfile.mkdtemp(prefix="flowlab-pg-"))
    server = OwnPostgres(root)
    server.init()
    server.start()
    try:
        yield server
    finally:
        try:
            server.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(root, ignore_errors=True)
