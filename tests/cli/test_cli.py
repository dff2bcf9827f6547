"""The `flowlab` command against a real persistent cluster: submit, follow, cancel, bad input."""

from __future__ import annotations

import json
import os
import signal

import psutil
import pytest

from tests.cli.conftest import ROOT
from tests.polling import poll_for

FLOWS = "tests.cli.flows"


def _id(done) -> str:
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_cluster_up_prints_address_and_status_lists_workers_with_resources(cli):
    state = cli.state()
    assert state["address"].startswith("tcp://127.0.0.1:")
    status = cli.json("cluster", "status")
    assert status["address"] == state["address"]
    resources = sorted((w["resources"] for w in status["workers"]), key=len)
    assert resources == [{"CPU": 1.0}, {"CPU": 1.0, "GPU": 1.0}]
    assert all(w["memory"] and w["running"] == 0 for w in status["workers"])
    human = cli("cluster", "status")
    assert "flowlab-1" in human.stdout and "GPU=1" in human.stdout


def test_cluster_up_when_one_is_up_says_where(cli):
    again = cli("cluster", "up", "--workers", "1")
    assert again.returncode == 1
    assert "already up at " + cli.state()["address"] in again.stderr
    assert "flowlab cluster down" in again.stderr


def test_submit_and_exit_then_queue_shows_the_run_and_show_reports_outputs(cli):
    done = cli(
        "submit", f"{FLOWS}:sleeper", "--input", "x=7", "--input", "seconds=20", "--tag", "try"
    )
    run_id = _id(done)  # the command has exited; the run goes on (long enough to be queued)
    queued = cli.json("queue")
    assert run_id in [r["id"] for r in queued]
    mine = next(r for r in queued if r["id"] == run_id)
    assert mine["status"] in ("queued", "running") and mine["operators_total"] == 2
    shown = cli.wait_for(run_id)
    assert shown["status"] == "succeeded"
    assert shown["outputs"] == {"first": 7, "second": 7}
    assert shown["tags"] == ["try"]
    assert {op["state"] for op in shown["operators"].values()} == {"succeeded"}
    assert all(op["worker"].startswith("tcp://127.0.0.1:") for op in shown["operators"].values())
    assert run_id not in [r["id"] for r in cli.json("queue")]


def test_submit_json_and_wait_exit_codes(cli, tmp_path):
    ok = cli(
        "submit",
        f"{FLOWS}:adder",
        "--input",
        "a=2",
        "--input",
        "flags=x,y,z",
        "--input",
        "fast=false",
        "--wait",
        "--json",
    )
    assert ok.returncode == 0, ok.stderr
    run = json.loads(ok.stdout)  # with --wait: the final record
    assert run["status"] == "succeeded" and run["outputs"] == {"total": 3, "count": 3}
    shown = cli.json("show", run["id"])
    assert shown["outputs"] == {"total": 3, "count": 3}
    queued = cli("submit", f"{FLOWS}:adder", "--input", "a=2", "--json")  # without: at once
    assert set(json.loads(queued.stdout)) == {"id", "status"}
    bad = cli("submit", f"{FLOWS}:failing", "--input", "x=1", "--wait")
    assert bad.returncode == 1
    failed = cli.json("show", bad.stdout.strip())
    assert failed["status"] == "failed" and "cannot take 1" in failed["error"]
    assert "cannot take 1" in cli("logs", failed["id"], "--operator", "explode").stdout


def test_a_file_path_target_runs_its_operators_on_the_workers(cli, tmp_path):
    flows = tmp_path / "myflows.py"
    flows.write_text(
        "from flowlab import Output, operator, types, workflow\n"
        "@operator(returns=types.Schema(y=types.INTEGER))\n"
        "def square(x: int):\n    return Output(y=x * x)\n"
        "@workflow(input_schema=types.Schema(x=types.INTEGER), "
        "returns=types.Schema(y=types.INTEGER))\n"
        "def squared(x):\n    return Output(y=square(x=x).y)\n"
    )
    done = cli("submit", f"{flows}:squared", "--input", "x=9", "--wait")
    assert done.returncode == 0, done.stderr
    assert cli.json("show", done.stdout.strip())["outputs"] == {"y": 81}


def test_array_submits_one_run_per_value(cli):
    done = cli(
        "submit",
        f"{FLOWS}:adder",
        "--array",
        "a=1,2,3",
        "--input",
        "b=100",
        "--wait",
        "--tag",
        "array",
    )
    assert done.returncode == 0, done.stderr
    ids = done.stdout.split()
    assert len(ids) == 3
    totals = sorted(cli.json("show", i)["outputs"]["total"] for i in ids)
    assert totals == [101, 102, 103]
    found = cli.json("runs", 'tag = "array"')
    assert sorted(r["id"] for r in found) == sorted(ids)
    assert all({"id", "workflow", "status", "outputs", "tags"} <= set(r) for r in found)


def test_runs_query_json_and_rerun_keeps_parent_and_seed(cli):
    base = _id(cli("submit", f"{FLOWS}:adder", "--input", "a=40", "--seed", "5", "--wait"))
    found = cli.json("runs", 'workflow = "adder" and outputs.total = 41', "--limit", "5")
    assert base in [r["id"] for r in found]
    new = _id(cli("rerun", base, "--input", "b=2", "--wait"))
    shown = cli.json("show", new)
    assert shown["parent"] == base and shown["outputs"]["total"] == 42
    assert cli("rerun", base, "--input", "b=two").returncode == 2


def test_operator_asking_for_a_gpu_runs_on_the_worker_advertising_one(cli):
    done = cli("submit", f"{FLOWS}:gpu_flow", "--input", "x=1", "--wait")
    assert done.returncode == 0, done.stderr
    shown = cli.json("show", done.stdout.strip())
    assert shown["outputs"] == {"where": "flowlab-1"}
    gpu = next(w for w in cli.json("cluster", "status")["workers"] if "GPU" in w["resources"])
    assert shown["operators"]["on_gpu"]["worker"] == gpu["address"]


def _worker_pid(address: str, state: dict) -> int:
    """The worker process (child of a nanny `up` started) listening on ``address``."""
    port = int(address.rsplit(":", 1)[1])
    for proc in state["worker_processes"]:
        for child in psutil.Process(proc["pid"]).children(recursive=True):
            try:
                if any(c.laddr.port == port for c in child.net_connections("tcp")):
                    return child.pid
            except psutil.Error:
                continue
    raise AssertionError(f"no worker process listens on {address}")


def _running_operator(cli, run_id, node, timeout=120):
    def running():
        op = cli.json("show", run_id)["operators"][node]
        return op if op["state"] == "running" and op["worker"] else None

    return poll_for(running, timeout=timeout, what=f"operator {node} of {run_id} to run")


def test_a_worker_killed_during_an_operator_does_not_fail_the_run(cli):
    # long enough to be seen running by a `show` every few seconds on a busy machine
    run_id = _id(cli("submit", f"{FLOWS}:sleeper", "--input", "x=3", "--input", "seconds=20"))
    op = _running_operator(cli, run_id, "slow")
    os.kill(_worker_pid(op["worker"], cli.state()), signal.SIGKILL)
    shown = cli.wait_for(run_id, timeout=180)
    assert shown["status"] == "succeeded", shown
    assert shown["outputs"] == {"first": 3, "second": 3}


def test_cancel_records_the_run_cancelled_keeps_finished_outputs_and_frees_the_worker(cli):
    run_id = _id(cli("submit", f"{FLOWS}:sleeper", "--input", "x=4", "--input", "seconds=300"))
    op = _running_operator(cli, run_id, "slow")
    done = cli("cancel", run_id)
    assert done.returncode == 0, done.stderr
    shown = cli.json("show", run_id)
    assert shown["status"] == "cancelled"
    assert shown["operators"]["add"]["state"] == "succeeded"
    assert shown["operators"]["slow"]["state"] == "cancelled"
    assert shown["outputs"] == {"first": 4}  # what finished is kept
    assert op["worker"]
    poll_for(
        lambda: all(w["running"] == 0 for w in cli.json("cluster", "status")["workers"]),
        60,
        what="the cancelled run's worker to be free",
        every=0.3,
    )
    # the freed worker takes new work at once
    assert cli("submit", f"{FLOWS}:adder", "--input", "a=1", "--wait").returncode == 0
    again = cli("cancel", run_id)
    assert again.returncode == 1 and "already ended (cancelled)" in again.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["submit", "nosuch.module:flow"], "module 'nosuch.module' not found"),
        (["submit", f"{FLOWS}:nope"], "'nope' is not defined there; tests.cli.flows defines"),
        (["submit", "/no/such/file.py:flow"], "file '/no/such/file.py' does not exist"),
        (["submit", "no-colon"], "expected module:workflow or path/to/file.py:workflow"),
        (
            ["submit", f"{FLOWS}:adder", "--input", "zz=1"],
            "has no input 'zz'; its inputs are a (INTEGER), b (INTEGER), flags (LIST), fast (BOOL)",
        ),
        (
            ["submit", f"{FLOWS}:adder", "--input", "a=many"],
            "input 'a': expected an integer (INTEGER), found 'many'",
        ),
        (
            ["submit", f"{FLOWS}:adder", "--input", "a=1", "--input", "fast=maybe"],
            "input 'fast': expected true or false",
        ),
        (["submit", f"{FLOWS}:adder"], "input 'a' is required: expected INTEGER"),
        (["submit", f"{FLOWS}:adder", "--input", "a"], "--input 'a': expected NAME=VALUE"),
        (["submit", f"{FLOWS}:adder", "--array", "a=1,x"], "input 'a': expected an integer"),
        (["runs", "status = "], "query 'status = '"),
        (["show", "20990101-000000-abcdef"], "no run with id '20990101-000000-abcdef'"),
        (["cancel", "nope"], "no run with id 'nope'"),
        (["logs", "nope"], "no run with id 'nope'"),
        (["submit", f"{FLOWS}:adder", "--bogus"], "No such option '--bogus'"),
    ],
)
def test_bad_input_exits_2_naming_it_and_records_nothing(cli, args, message):
    before = _count(cli)
    done = cli(*args)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert message in done.stderr
    assert _count(cli) == before


def _count(cli) -> int:
    """Runs in the CLI's store, read in this process (cheaper than another subprocess)."""
    from flowlab.store import open_store
    from flowlab.store.search import count

    return count("", store=open_store(f"tinydb://{cli.home}"))


def test_every_command_has_help(cli):
    commands = [
        "cluster up",
        "cluster status",
        "cluster down",
        "submit",
        "queue",
        "runs",
        "show",
        "logs",
        "cancel",
        "rerun",
        "resume",
        "workflows",
        "datasets list",
        "datasets register",
    ]
    for command in commands:
        done = cli(*command.split(), "--help")
        assert done.returncode == 0 and "Usage: " in done.stdout, command


def test_workflows_lists_inputs_with_their_types(cli):
    found = cli.json("workflows", FLOWS)
    adder = next(w for w in found if w["name"] == "adder")
    assert adder["inputs"]["a"]["type"] == "INTEGER" and adder["inputs"]["a"]["required"]
    assert adder["inputs"]["fast"] == {**adder["inputs"]["fast"], "type": "BOOL", "default": "true"}


def test_datasets_register_then_list_and_submit_by_name(cli, tmp_path):
    csv = tmp_path / "points.csv"
    csv.write_text("x;y\n1;2\n3;4\n")
    done = cli("datasets", "register", "points", str(csv), "--read-option", "sep=;")
    assert done.returncode == 0, done.stderr
    assert "2 rows" in done.stdout
    listed = cli.json("datasets", "list")
    assert [d["name"] for d in listed] == ["points"]
    bad = cli("datasets", "register", "points2", str(tmp_path / "missing.csv"))
    assert bad.returncode == 2 and "missing.csv" in bad.stderr


def test_python_in_this_flowlab_home_connects_to_the_persistent_cluster(cli):
    import subprocess
    import sys

    code = "import flowlab; print(flowlab.cluster.get_client().scheduler.address)"
    found = subprocess.run(
        [sys.executable, "-c", code], env=cli.env, capture_output=True, text=True, timeout=120
    )
    assert found.stdout.strip() == cli.state()["address"], found.stderr
    wins = subprocess.run(
        [sys.executable, "-c", code],
        env={**cli.env, "FLOWLAB_SCHEDULER": "tcp://127.0.0.1:1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert wins.returncode != 0  # FLOWLAB_SCHEDULER wins (nothing listens there)


def test_submit_killed_with_sigkill_after_printing_the_id_the_run_still_finishes(cli):
    import subprocess
    import sys

    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flowlab",
            "submit",
            f"{FLOWS}:sleeper",
            "--input",
            "x=8",
            "--input",
            "seconds=2",
            "--wait",
        ],
        cwd=ROOT,
        env=cli.env,
        stdout=subprocess.PIPE,
        text=True,
    )
    run_id = proc.stdout.readline().strip()
    proc.kill()  # SIGKILL while it waits
    proc.wait()
    shown = cli.wait_for(run_id)
    assert shown["status"] == "succeeded" and shown["outputs"] == {"first": 8, "second": 8}
    assert all(op["ended"] for op in shown["operators"].values())
