"""`flowlab cluster up --slurm`: workers as jobs of a real single-node Slurm (tests/slurm.py),
submitted, replaced and cancelled through dask-jobqueue by the real `flowlab` command."""

from __future__ import annotations

import json

import psutil
import pytest

from tests.cli.conftest import CLI, assert_all_gone
from tests.polling import poll_for
from tests.slurm import SingleNodeSlurm, missing_reason

FLOWS = "tests.cli.flows"
# clusters started and stopped, jobs replaced: minutes on a busy machine
pytestmark = pytest.mark.timeout(900)
UP = ("cluster", "up", "--slurm", "--jobs", "2", "--cores", "1", "--memory", "2GB")


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    reason = missing_reason()
    if reason:
        pytest.skip(f"no Slurm here: {reason}")
    with SingleNodeSlurm(tmp_path_factory.mktemp("slurm")) as running:
        yield running


def slurm_cli(home, slurm: SingleNodeSlurm) -> CLI:
    cli = CLI(home)
    cli.env.update(slurm.env)
    return cli


def cluster_processes(state: dict) -> list[int]:
    """Every process of this cluster: the scheduler, the run keeper, the job keeper, and the
    workers Slurm started (their command line names the scheduler's address)."""
    pids = [state["scheduler"]["pid"], state["slurm"]["keeper"]["pid"]]
    for proc in psutil.process_iter(["pid", "cmdline"]):
        if state["address"] in " ".join(proc.info["cmdline"] or ()):
            pids.append(proc.info["pid"])
    for pid in list(pids):
        try:
            pids += [c.pid for c in psutil.Process(pid).children(recursive=True)]
        except psutil.Error:
            pass
    return sorted(set(pids))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, slurm):
    """One `cluster up --slurm --jobs 2` for the module's tests that share it."""
    cli = slurm_cli(tmp_path_factory.mktemp("slurm-home"), slurm)
    up = cli(*UP)
    assert up.returncode == 0, up.stderr
    yield cli
    down = cli("cluster", "down")
    assert down.returncode == 0, down.stderr


def test_up_slurm_starts_worker_jobs_runs_a_submission_and_down_cancels_them(tmp_path, slurm):
    cli = slurm_cli(tmp_path, slurm)
    up = cli(*UP)
    assert up.returncode == 0, up.stderr
    try:
        state = cli.state()
        jobs = state["slurm"]["jobs"]
        assert len(jobs) == 2 and set(jobs) <= set(slurm.live_jobs())
        assert f"Slurm worker jobs: {', '.join(jobs)}" in up.stderr
        status = cli.json("cluster", "status")
        assert status["engine"] == "slurm"
        assert sorted(j["job_id"] for j in status["jobs"]) == sorted(jobs)
        assert {w["job_id"] for w in status["workers"]} == set(jobs)
        assert all(w["resources"] == {"CPU": 1, "MEMORY": 2e9} for w in status["workers"])
        shown = cli("cluster", "status")
        assert "JOB_ID" in shown.stdout and all(j in shown.stdout for j in jobs)

        done = cli("submit", f"{FLOWS}:adder", "--input", "a=1", "--wait")
        assert done.returncode == 0, done.stderr
        assert f"{done.stdout.split()[0]} succeeded" in done.stderr
        record = cli.record(done.stdout.split()[0])
        assert record["operators"]["add"]["worker"] in {w["address"] for w in status["workers"]}

        pids = cluster_processes(state)
        down = cli("cluster", "down")
        assert down.returncode == 0, down.stderr
        assert not set(jobs) & set(slurm.live_jobs())
        assert_all_gone(pids, timeout=30)
    finally:
        if cli.state_file().exists():
            cli("cluster", "down")


def test_an_array_runs_across_the_worker_jobs(cluster):
    runs = cli_json_lines(
        cluster(
            "submit",
            f"{FLOWS}:sleeper",
            "--array",
            "x=1,2,3,4",
            "--input",
            "seconds=2",
            "--wait",
            "--json",
        )
    )
    assert [r["status"] for r in runs] == ["succeeded"] * 4
    workers = {cluster.record(r["id"])["operators"]["slow"]["worker"] for r in runs}
    status = cluster.json("cluster", "status")
    assert workers == {w["address"] for w in status["workers"]}  # both jobs did some


def cli_json_lines(done) -> list[dict]:
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    return found if isinstance(found, list) else found["runs"]


def test_a_gpu_operator_is_refused_when_no_job_has_a_gpu(cluster):
    done = cluster("submit", f"{FLOWS}:gpu_flow", "--input", "x=1", "--wait")
    assert done.returncode != 0
    assert "operator 'on_gpu' asks for CPU=1, GPU=1, which no worker offers" in done.stderr
    assert "(CPU=1, MEMORY=1.86 GiB)" in done.stderr


def test_a_job_cancelled_mid_operator_is_replaced_and_the_run_succeeds(cluster, slurm):
    submitted = cluster("submit", f"{FLOWS}:sleeper", "--input", "x=5", "--input", "seconds=20")
    assert submitted.returncode == 0, submitted.stderr
    run_id = submitted.stdout.split()[0]

    def running_worker():
        operator = cluster.record(run_id)["operators"].get("slow") or {}
        return operator.get("worker") if operator.get("state") == "running" else None

    worker = poll_for(running_worker, 120, what="operator 'slow' to run on a worker job")
    before = cluster.json("cluster", "status")
    job = next(w["job_id"] for w in before["workers"] if w["address"] == worker)
    cancelled = slurm.run("scancel", job)
    assert cancelled.returncode == 0, cancelled.stderr

    shown = cluster.wait_for(run_id, timeout=240)
    assert shown["status"] == "succeeded", shown
    assert shown["outputs"]["second"] == 5
    slow = cluster.record(run_id)["operators"]["slow"]
    assert slow["workers"][0] == worker and slow["worker"] != worker  # rerun elsewhere

    def replaced():
        status = cluster.json("cluster", "status")
        ids = {w["job_id"] for w in status["workers"]}
        return status if len(ids) == 2 and job not in ids else None

    after = poll_for(replaced, 120, what=f"a new worker job in place of job {job}")
    assert job not in slurm.live_jobs()
    assert len({j["job_id"] for j in after["jobs"]}) == 2


def test_a_partition_slurm_refuses_fails_up_with_sbatchs_reason_and_leaves_nothing(tmp_path, slurm):
    cli = slurm_cli(tmp_path, slurm)
    before = slurm.live_jobs()  # another test's cluster may be up
    done = cli(*UP, "--partition", "nowhere")
    assert done.returncode == 1
    assert "invalid partition specified: nowhere" in done.stderr
    assert not cli.state_file().exists()
    assert slurm.live_jobs() == before
    leftovers = [
        p.pid
        for p in psutil.process_iter(["cmdline"])
        if str(tmp_path) in " ".join(p.info["cmdline"] or ())
    ]
    assert_all_gone(leftovers, timeout=30)


@pytest.mark.parametrize(
    "args, message",
    [
        (("--memory", "lots"), "--memory: 'lots' is not a size like 2GB"),
        (("--jobs", "0"), "--jobs: expected at least 1, got 0"),
        (("--walltime", "soon"), "--walltime: 'soon' is not a Slurm time"),
        (("--workers", "3"), "--workers does not apply with --slurm"),
    ],
)
def test_bad_slurm_options_exit_2_naming_the_flag(tmp_path, args, message):
    done = CLI(tmp_path)(*UP, *args)
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert not (tmp_path / "cluster" / "cluster.json").exists()


def test_slurm_options_without_slurm_exit_2(tmp_path):
    done = CLI(tmp_path)("cluster", "up", "--jobs", "2")
    assert done.returncode == 2 and "--jobs applies only with --slurm" in done.stderr


def test_up_slurm_on_loopback_warns_when_slurm_has_nodes_elsewhere(tmp_path, slurm):
    import os
    import socket

    tools = tmp_path / "bin"
    tools.mkdir()
    sinfo = tools / "sinfo"  # this Slurm has one node; say it has a second, far away
    sinfo.write_text(f"#!/bin/sh\necho {socket.gethostname()}\necho node-7\n")
    sinfo.chmod(0o755)
    cli = slurm_cli(tmp_path / "home", slurm)
    cli.env["PATH"] = f"{tools}{os.pathsep}{cli.env['PATH']}"
    up = cli("cluster", "up", "--slurm", "--jobs", "1", "--memory", "1GB")
    try:
        assert up.returncode == 0, up.stderr
        assert "jobs on Slurm's other nodes (node-7) cannot reach" in up.stderr
        assert "--host 0.0.0.0" in up.stderr
    finally:
        assert cli("cluster", "down").returncode == 0
