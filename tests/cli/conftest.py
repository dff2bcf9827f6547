"""One persistent cluster per test module, started and stopped by the real `flowlab` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tests.polling import poll_for

ROOT = Path(__file__).resolve().parents[2]


class CLI:
    """Runs `python -m flowlab …` as a real subprocess in one FLOWLAB_HOME."""

    def __init__(self, home: Path):
        self.home = home
        self.env = {**os.environ, "FLOWLAB_HOME": str(home)}
        for name in ("FLOWLAB_STORE", "FLOWLAB_ARTIFACTS", "FLOWLAB_SCHEDULER"):
            self.env.pop(name, None)

    def __call__(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "flowlab", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def json(self, *args: str):
        done = self(*args, "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def wait_for(self, run_id: str, statuses=("succeeded", "failed", "cancelled"), timeout=120):
        """``flowlab show RUN --json`` once the run's status is one of ``statuses``."""
        last = {}

        def shown():
            last["shown"] = self.json("show", run_id)
            return last["shown"] if last["shown"]["status"] in statuses else None

        try:
            return poll_for(
                shown, timeout, what=f"run {run_id} to be {'/'.join(statuses)}", every=0.5
            )
        except AssertionError as e:
            raise AssertionError(f"{e}; it is still {last['shown']['status']}") from None

    def state_file(self) -> Path:
        return self.home / "cluster" / "cluster.json"

    def state(self) -> dict:
        return json.loads(self.state_file().read_text())

    def record(self, run_id: str) -> dict:
        """The run's whole record, as the store wrote it (``show`` leaves fields out)."""
        return json.loads((self.home / "runs" / f"{run_id}.json").read_text())


def started_pids(state: dict) -> list[int]:
    """The processes `cluster up` started and their children (the workers under each nanny)."""
    found = []
    for proc in [state["scheduler"], *state["worker_processes"]]:
        found.append(proc["pid"])
        try:
            found += [c.pid for c in psutil.Process(proc["pid"]).children(recursive=True)]
        except psutil.Error:
            pass
    return found


def keeper_of(record: dict, state: dict) -> psutil.Process:
    """The process keeping a run the cluster keeps: the run keeper beside the scheduler (its
    child), not the scheduler itself nor the process that launched the run."""
    launcher = record["launcher"]
    assert launcher["scheduler"] == state["address"]
    assert launcher["pid"] != state["scheduler"]["pid"]
    keeper = psutil.Process(launcher["pid"])
    assert keeper.ppid() == state["scheduler"]["pid"]
    assert "flowlab.core.runs.run_keeper_process" in keeper.cmdline()
    return keeper


def assert_all_gone(pids: list[int], timeout: float = 10) -> None:
    def alive() -> list[int]:
        return [p for p in pids if psutil.pid_exists(p) and not _zombie(p)]

    try:
        poll_for(lambda: not alive(), timeout, what="every process to end", every=0.2)
    except AssertionError:
        raise AssertionError(f"processes {alive()} are still running after cluster down") from None


def _zombie(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.Error:
        return True


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    """A persistent cluster on loopback: a scheduler and two `dask worker` processes, the
    second advertising GPU=1; stopped (every process checked) when the module ends."""
    runner = CLI(tmp_path_factory.mktemp("cli-home"))
    up = runner(
        "cluster", "up", "--workers", "2", "--resources", "CPU=1", "--resources", "CPU=1,GPU=1"
    )
    assert up.returncode == 0, up.stderr
    first = started_pids(runner.state())
    yield runner
    pids = sorted({*first, *started_pids(runner.state())})  # restarted workers too
    down = runner("cluster", "down")
    assert down.returncode == 0, down.stderr
    assert_all_gone(pids)
