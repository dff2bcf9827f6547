"""Faults of a persistent cluster in the middle of a run: the scheduler or the run's keeper
SIGKILLed. Nothing can finish the run any more, so every reader lists it failed within its
lease, naming what stopped: ``flowlab runs``, ``flowlab.runs`` in a fresh process, and a
reader on another host (which cannot look up a pid here and goes by the lease alone). A worker
SIGKILLed holding a finished result: the run goes on, and ``flowlab show`` says which workers
ran the operator and that it was computed again."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import psutil
import pytest

from tests.cli.conftest import CLI, ROOT, assert_all_gone, keeper_of, started_pids
from tests.polling import poll_for

# real clusters and processes: on a busy machine they take minutes, not seconds
pytestmark = pytest.mark.timeout(900)

FLOWS = "tests.cli.flows"
#: seconds a run's lease lasts here: long enough for a keeper on a busy machine to renew it
LEASE_SECONDS = 3
LIVE = 'status = "running" or status = "queued"'

#: a reader in a fresh process: waits until the run has left the live runs, then prints
#: what it lists; with a host name, socket.gethostname() says that one (another machine)
READER = textwrap.dedent(
    """
    import json, socket, sys

    run_id, host = sys.argv[1], sys.argv[2]
    if host:
        socket.gethostname = lambda: host
    import flowlab
    from tests.polling import poll_for

    LIVE = 'status = "running" or status = "queued"'
    poll_for(lambda: run_id not in flowlab.runs(LIVE).ids, timeout=float(sys.argv[3]),
             what=f"run {run_id} to leave the live runs")
    failed = flowlab.runs('status = "failed"').ids
    run = flowlab.get_run(run_id)
    print(json.dumps({"failed": run_id in failed, "status": run.status, "error": run.error}))
    """
)


@pytest.fixture
def cluster(tmp_path, request):
    """A persistent cluster that a test may break: a scheduler and one worker, its runs'
    leases LEASE_SECONDS long (parametrised: ``{"workers": 2, "lease": None}``, None for
    flowlab's default); whatever is left of it is stopped (every process checked) at the end."""
    options = {"workers": 1, "lease": LEASE_SECONDS, **getattr(request, "param", {})}
    home = tmp_path / "home"
    home.mkdir()
    runner = CLI(home)
    if options["lease"] is not None:
        runner.env["FLOWLAB_LEASE_SECONDS"] = str(options["lease"])
    up = runner("cluster", "up", "--workers", str(options["workers"]))
    assert up.returncode == 0, up.stderr
    pids = started_pids(runner.state())
    yield runner
    pids = sorted({*pids, *started_pids(runner.state())})
    down = runner("cluster", "down")  # a killed scheduler's workers too
    assert down.returncode == 0, down.stderr
    assert_all_gone(pids)


def _launch_and_leave(cli: CLI) -> str:
    """A run launched by a process that exits at once (the cluster keeps it): its id, once
    its slow operator is running."""
    code = f"from {FLOWS} import sleeper\nprint(sleeper.launch(x=3, seconds=600).id)\n"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=cli.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.strip()
    poll_for(
        lambda: cli.record(run_id)["operators"]["slow"]["state"] == "running",
        timeout=120,
        what="the slow operator to run",
    )
    return run_id


def _gone(process: psutil.Process) -> bool:
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.Error:
        return True


def _copy_of_the_store(cli: CLI, into: Path) -> dict:
    """The environment of a reader of a copy of ``cli``'s store as the fault left it: each
    reader is the first to look at the run (the first that sees it lapsed records the
    failure, and any later one would only read what that one wrote)."""
    shutil.copytree(cli.home, into, ignore=shutil.ignore_patterns("cluster"))
    return {**cli.env, "FLOWLAB_HOME": str(into)}


def _read(env: dict, run_id: str, host: str = "") -> dict:
    done = subprocess.run(
        [sys.executable, "-c", READER, run_id, host, str(10 * LEASE_SECONDS + 60)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _flowlab_runs(env: dict, run_id: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "flowlab", "runs", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _listed_failed(env: dict, run_id: str) -> dict | None:
    """The run's row in ``flowlab runs --json`` once it says failed."""
    (row,) = [r for r in json.loads(_flowlab_runs(env, run_id, "--json")) if r["id"] == run_id]
    return row if row["status"] == "failed" else None


def _assert_every_reader_lists_it_failed(cli: CLI, run_id: str, keeper: int, tmp_path: Path):
    lease = cli.record(run_id)["lease"]  # the last one the keeper wrote
    holder = f"the keeper (pid {keeper} on {lease['host']})"
    until = dt.datetime.fromisoformat(lease["until"]).isoformat(timespec="seconds")

    # (a keeper that just died may be a zombie for a moment, alive to a pid check: the lease
    # still ends it)
    env = _copy_of_the_store(cli, tmp_path / "cli-reader")
    row = poll_for(
        lambda: _listed_failed(env, run_id), timeout=10 * LEASE_SECONDS + 60, what="flowlab runs"
    )
    assert holder in row["error"]
    (line,) = [x for x in _flowlab_runs(env, run_id).splitlines() if x.startswith(run_id)]
    assert line.split()[2] == "failed", line

    here = _read(_copy_of_the_store(cli, tmp_path / "reader-here"), run_id)
    assert here["failed"] and here["status"] == "failed", here
    assert holder in here["error"]["message"]

    # another host cannot ask whether the keeper's pid lives: it waits for the lease to pass
    elsewhere = _read(_copy_of_the_store(cli, tmp_path / "reader-elsewhere"), run_id, "elsewhere")
    assert elsewhere["failed"] and elsewhere["status"] == "failed", elsewhere
    assert f"{holder} stopped renewing this run's lease at {until}" in elsewhere["error"]["message"]

    # and the store itself, read here: failed, whoever records it first
    shown = cli.json("show", run_id)
    assert shown["status"] == "failed" and holder in shown["error"]


def test_a_run_whose_scheduler_was_sigkilled_reads_failed_everywhere(cluster, tmp_path):
    run_id = _launch_and_leave(cluster)
    keeper = keeper_of(cluster.record(run_id), cluster.state())
    os.kill(cluster.state()["scheduler"]["pid"], signal.SIGKILL)
    # the keeper is the scheduler's child: it sees its stdin close and exits
    poll_for(lambda: _gone(keeper), timeout=60, what="the keeper to exit with its scheduler")
    _assert_every_reader_lists_it_failed(cluster, run_id, keeper.pid, tmp_path)


def test_a_run_whose_keeper_was_sigkilled_reads_failed_everywhere(cluster, tmp_path):
    run_id = _launch_and_leave(cluster)
    keeper = keeper_of(cluster.record(run_id), cluster.state())
    keeper.kill()
    poll_for(lambda: _gone(keeper), timeout=60, what="the keeper to exit")
    _assert_every_reader_lists_it_failed(cluster, run_id, keeper.pid, tmp_path)


def _python(cli: CLI, code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=cli.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _worker_addresses(cli: CLI) -> set[str]:
    return {w["address"] for w in cli.json("cluster", "status")["workers"]}


def _ended(cli: CLI, run_id: str) -> dict | None:
    shown = cli.json("show", run_id)
    return shown if shown["status"] in ("succeeded", "failed", "cancelled") else None


# the default lease: a reader polling this run on a busy machine must not find it lapsed
@pytest.mark.parametrize("cluster", [{"workers": 2, "lease": None}], indirect=True)
def test_a_result_lost_with_its_worker_is_shown_computed_again(cluster, tmp_path):
    marker, release = tmp_path / "marker", tmp_path / "release"
    poll_for(lambda: len(_worker_addresses(cluster)) == 2, what="both workers")
    run_id = _python(
        cluster,
        "from tests.cli.fault_flows import lost_result\n"
        f"print(lost_result.launch(cache=False, marker={str(marker)!r}, "
        f"release={str(release)!r}).id)\n",
    )

    def produced() -> dict | None:
        op = cluster.record(run_id)["operators"]["produce"]
        return op if op["state"] == "succeeded" and op["ended"] else None

    first = poll_for(produced, timeout=120, what="produce to succeed")
    marker.write_text("computed again")  # the second execution gives 8, not 7
    os.kill(first["pid"], signal.SIGKILL)  # the worker process holding produce's result
    poll_for(
        lambda: first["worker"] not in _worker_addresses(cluster),
        timeout=120,
        what=f"the scheduler to drop {first['worker']}",
    )
    release.write_text("go")
    shown = poll_for(lambda: _ended(cluster, run_id), timeout=300, what=f"run {run_id} to end")
    assert shown["status"] == "succeeded", shown
    assert shown["outputs"] == {"total": 9}
    op = shown["operators"]["produce"]
    assert op["state"] == "succeeded" and op["attempts"] == 2 and op["recomputed"] == 1
    assert op["workers"][0] == first["worker"] and op["workers"][1] == op["worker"]
    record = cluster.record(run_id)
    for node, recorded in record["operators"].items():
        assert shown["operators"][node]["workers"] == recorded["workers"]
        assert shown["operators"][node]["recomputed"] == recorded["recomputed"]
    assert shown["operators"]["consume"]["workers"] == [shown["operators"]["consume"]["worker"]]
