"""Runs kept by the persistent cluster: they outlive the process that launched them."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from tests.cli.conftest import ROOT, keeper_of
from tests.polling import poll_for

FLOWS = "tests.cli.flows"


def _python(cli, code: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=cli.env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_a_launcher_killed_with_sigkill_after_launch_leaves_a_complete_record(cli):
    code = (
        "import os, signal\n"
        f"from {FLOWS} import sleeper\n"
        "run = sleeper.launch(x=8, seconds=2)\n"
        "print(run.id, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = _python(cli, code)
    assert done.returncode == -9, done.stderr
    run_id = done.stdout.strip()
    shown = cli.wait_for(run_id)
    assert shown["status"] == "succeeded", shown
    assert shown["outputs"] == {"first": 8, "second": 8}
    workers = {w["address"] for w in cli.json("cluster", "status")["workers"]}
    for op in shown["operators"].values():
        assert op["state"] == "succeeded" and op["worker"] in workers
        assert op["started"] and op["ended"] and op["duration"] is not None
    record = json.loads((cli.home / "runs" / f"{run_id}.json").read_text())
    assert record["inputs"] == {"x": 8, "seconds": 2.0}
    assert record["operators"]["add"]["logs"] == "adding 8 and 0\n"
    # the cluster kept the run (its keeper process, beside the scheduler), not the launcher
    keeper_of(record, cli.state())


def test_wait_and_subscribe_in_the_launching_process_follow_a_run_the_cluster_keeps(cli):
    code = (
        f"from {FLOWS} import adder\n"
        "seen = []\n"
        "run = adder.launch(a=2, b=3)\n"
        "run.subscribe(lambda r: seen.append(r.status))\n"
        "print(type(run.tracker).__name__)\n"
        "print(run.wait(60).status, run.result().total, run.operators['add'].state)\n"
        "print('succeeded' in seen)\n"
    )
    done = _python(cli, code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:3] == ["ClusterFollower", "succeeded 5 succeeded", "True"]


def test_the_keeper_tells_the_runs_topic_each_time_it_wrote_the_record(cli):
    # the launching process reads the record on these, not on every worker event
    code = (
        "from distributed import Client\n"
        "from tests.polling import poll_for\n"
        f"from {FLOWS} import sleeper\n"
        "run = sleeper.launch(x=31, seconds=1)\n"
        "seen = []\n"
        "watcher = Client(run.tracker.client.scheduler.address)\n"  # a topic has one handler
        "watcher.subscribe_topic(f'flowlab-run-{run.id}', seen.append)\n"
        "run.wait(60)\n"
        "poll_for(lambda: any(m.get('written') == 'succeeded' for _, m in seen), 10,\n"
        "         what='the keeper to tell it wrote succeeded', every=0.05)\n"
        "print(sorted({m['written'] for _, m in seen if 'written' in m}))\n"
    )
    done = _python(cli, code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() in ("['running', 'succeeded']", "['succeeded']")


def test_logs_follow_prints_lines_as_the_operator_logs_them_and_exits_when_the_run_ends(
    cli, tmp_path
):
    gate = tmp_path / "seen-first-line"
    submitted = cli(
        "submit", f"{FLOWS}:ticker", "--input", "n=4", "--input", "seconds=0.2",
        "--input", f"gate={gate}",
    )  # fmt: skip
    assert submitted.returncode == 0, submitted.stderr
    run_id = submitted.stdout.strip()
    # the command launched the run itself and exited: no detached launcher was needed
    assert not (cli.home / "launchers").exists()
    follow = subprocess.Popen(
        [sys.executable, "-m", "flowlab", "logs", run_id, "--follow"],
        cwd=ROOT,
        env=cli.env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        # the operator logs its first line, then waits for the gate: the line is printed
        # while the run is still running, however slow the machine
        first = follow.stdout.readline()
        assert cli.json("show", run_id)["status"] == "running"
        gate.touch()
        rest = follow.stdout.read()
        follow.wait(timeout=120)
    finally:
        gate.touch()
        follow.kill()
    assert first.strip() == "[tick] tick 0"
    assert follow.returncode == 0
    assert [line for line in rest.splitlines() if line] == [
        "[tick] tick 1",
        "[tick] tick 2",
        "[tick] tick 3",
    ]
    assert cli.json("show", run_id)["status"] == "succeeded"


def test_logs_follow_says_when_the_run_was_cancelled(cli):
    """The lines stop because the run was cancelled: ``logs --follow`` says so on stderr
    (issue 26, item 10), and its stdout holds only the operator's lines."""
    submitted = cli("submit", f"{FLOWS}:ticker", "--input", "n=200", "--input", "seconds=1.0")
    assert submitted.returncode == 0, submitted.stderr
    run_id = submitted.stdout.strip()
    follow = subprocess.Popen(
        [sys.executable, "-m", "flowlab", "logs", run_id, "--follow"],
        cwd=ROOT,
        env=cli.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert follow.stdout.readline().strip() == "[tick] tick 0"
        cancelled = cli("cancel", run_id)
        assert cancelled.returncode == 0, cancelled.stderr
        out, err = follow.communicate(timeout=180)
    finally:
        follow.kill()
    assert follow.returncode == 0
    assert err.strip().splitlines()[-1].startswith(f"run {run_id} cancelled"), err
    assert all(line.startswith("[tick] tick ") for line in out.splitlines() if line)


def test_cancel_of_a_run_the_cluster_keeps_records_cancelled_and_frees_its_worker(cli):
    code = (
        f"from {FLOWS} import sleeper\n"
        "run = sleeper.launch(x=1, seconds=120)\n"
        "print(run.id, flush=True)\n"
    )
    done = _python(cli, code)  # the launcher exits at once
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.strip()
    poll_for(
        lambda: cli.json("show", run_id)["operators"]["slow"]["state"] == "running",
        60,
        what="slow to start",
        every=0.3,
    )
    started = time.monotonic()
    cancelled = cli("cancel", run_id)
    assert cancelled.returncode == 0, cancelled.stderr
    shown = cli.wait_for(run_id)
    assert shown["status"] == "cancelled" and time.monotonic() - started < 30
    assert shown["operators"]["add"]["state"] == "succeeded"
    assert shown["operators"]["slow"]["state"] == "cancelled"
    poll_for(
        lambda: not any(w["running"] for w in cli.json("cluster", "status")["workers"]),
        60,
        what="the workers to be free of the cancelled run",
        every=0.3,
    )


def test_a_keepers_error_comes_back_to_the_launcher_with_its_message(cli):
    code = (
        "from flowlab.cluster import get_client\n"
        "from flowlab.core.engine.cluster_runs import keep_parent\n"
        "from flowlab.store import store_url\n"
        "try:\n"
        "    keep_parent(get_client(), 'no-such-run', [], print, store_url())\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
        f"from {FLOWS} import adder\n"
        "print(adder.launch(a=1, b=2).wait(60).status)\n"  # the keeper goes on keeping runs
    )
    done = _python(cli, code)
    assert done.returncode == 0, done.stderr
    error, status = done.stdout.splitlines()
    assert error.startswith("RunKeeperError flowlab's run keeper process: RunNotFound")
    assert "no-such-run" in error
    assert status == "succeeded"


def test_a_run_whose_keeper_died_reads_failed_and_the_next_run_gets_a_new_keeper(cli):
    code = f"from {FLOWS} import sleeper\nprint(sleeper.launch(x=41, seconds=3).id, flush=True)\n"
    done = _python(cli, code)
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.strip()
    keeper = keeper_of(cli.record(run_id), cli.state())
    keeper.kill()
    shown = cli.wait_for(run_id)
    assert shown["status"] == "failed"
    assert f"pid {keeper.pid} " in cli.record(run_id)["error"]["message"]
    code = (
        f"from {FLOWS} import adder\n"
        "run = adder.launch(a=1, b=2)\n"
        "print(run.id, run.wait(60).status)\n"
    )
    done = _python(cli, code)
    assert done.returncode == 0, done.stderr
    run_id, status = done.stdout.split()
    assert status == "succeeded"
    assert keeper_of(cli.record(run_id), cli.state()).pid != keeper.pid
