"""The `flowlab` command on a FLOWLAB_HOME it cannot write: `runs`, `show`, `queue` and `logs`
read it as usual; a command that must write (`cancel`) prints one line naming the directory
and exits 1, no traceback.

Two kinds of home: a read-only filesystem (root ignores modes: a tmpfs remounted read-only,
skipped where mounting is not permitted; another user: a home without write permission), and
a directory whose modes forbid writing (root's commands then run without the capabilities
that let root ignore modes, skipped without setpriv)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from flowlab.store import TinyDBRunStore
from flowlab.store.leases import new_lease
from tests.store.mounts import read_only_later

ROOT = Path(__file__).resolve().parents[2]

#: root, without the capabilities that let it write (and read) whatever the modes say
WITHOUT_OVERRIDE = [
    "setpriv",
    "--inh-caps=-dac_override,-dac_read_search",
    "--bounding-set=-dac_override,-dac_read_search",
]


@contextlib.contextmanager
def _modes_without_write(home: Path):
    """``home``, writable until ``seal()`` takes every write permission off it (put back
    after); yields ``(seal, command prefix)`` so that root's commands obey the modes."""
    prefix = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("no setpriv here: root's commands would write whatever the modes say")
        prefix = WITHOUT_OVERRIDE
    home.mkdir(parents=True)

    def chmod(writable: bool) -> None:
        for item in [home, *home.rglob("*")]:
            mode = item.stat().st_mode
            item.chmod(mode | 0o200 if writable else mode & ~0o222)

    try:
        yield (lambda: chmod(False)), prefix
    finally:
        chmod(True)


@contextlib.contextmanager
def _read_only_filesystem(home: Path):
    with read_only_later(home) as seal:
        yield seal, []


def _flowlab(prefix: list[str], home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "FLOWLAB_HOME": str(home)}
    for name in ("FLOWLAB_STORE", "FLOWLAB_ARTIFACTS", "FLOWLAB_SCHEDULER"):
        env.pop(name, None)
    return subprocess.run(
        [*prefix, sys.executable, "-m", "flowlab", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def _fill(home: Path) -> None:
    store = TinyDBRunStore(home)
    operators = {"fit": {"state": "succeeded", "operator": "fit", "logs": "fitted\n"}}
    store.put_run({"id": "done", "workflow": "w", "status": "succeeded", "operators": operators})
    # a live run: its lease is held by this test process, for an hour
    store.put_run(
        {
            "id": "live",
            "workflow": "w",
            "status": "running",
            "operators": {"fit": {"state": "running", "operator": "fit"}},
            "lease": new_lease("launcher", seconds=3600),
        }
    )


@pytest.mark.parametrize(
    "unwritable",
    [_read_only_filesystem, _modes_without_write],
    ids=["read-only filesystem", "modes without write"],
)
def test_the_cli_on_a_home_it_cannot_write(tmp_path, unwritable):
    home = tmp_path / "home"
    with unwritable(home) as (seal, prefix):
        _fill(home)
        seal()

        listed = _flowlab(prefix, home, "runs", "--json")
        assert listed.returncode == 0, listed.stderr
        assert {r["id"]: r["status"] for r in json.loads(listed.stdout)} == {
            "done": "succeeded",
            "live": "running",
        }
        table = _flowlab(prefix, home, "runs")
        assert table.returncode == 0, table.stderr
        assert "done" in table.stdout and "live" in table.stdout
        shown = _flowlab(prefix, home, "show", "done")
        assert shown.returncode == 0, shown.stderr
        assert "succeeded" in shown.stdout
        logs = _flowlab(prefix, home, "logs", "done")
        assert logs.returncode == 0 and "fitted" in logs.stdout, logs.stderr
        queued = _flowlab(prefix, home, "queue", "--json")
        assert queued.returncode == 0, queued.stderr
        assert [r["id"] for r in json.loads(queued.stdout)] == ["live"]

        cancelled = _flowlab(prefix, home, "cancel", "live", "--timeout", "5")
        assert cancelled.returncode == 1, cancelled.stderr
        assert "Traceback" not in cancelled.stderr
        lines = cancelled.stderr.strip().splitlines()
        assert len(lines) == 1, cancelled.stderr
        assert lines[0].startswith("flowlab: ") and str(home) in lines[0]
        assert "read-only" in lines[0] or "not writable" in lines[0]
