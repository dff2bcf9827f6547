"""`flowlab cluster up/down` start and stop exactly their own processes."""

from __future__ import annotations

import psutil

from tests.cli.conftest import CLI, assert_all_gone, keeper_of, started_pids

FLOWS = "tests.cli.flows"


def test_down_stops_every_process_up_started_and_nothing_else(tmp_path):
    cli = CLI(tmp_path)
    bystander = psutil.Popen(["sleep", "60"])  # a process of ours `down` must not touch
    try:
        none = cli("cluster", "down")
        assert none.returncode == 1 and "no cluster is up" in none.stderr
        assert cli("cluster", "status").returncode == 1
        up = cli("cluster", "up", "--workers", "1", "--resources", "CPU=1,MEMORY=1GB")
        assert up.returncode == 0, up.stderr
        assert up.stdout.strip() == cli.state()["address"]
        assert (tmp_path / "cluster" / "scheduler.log").exists()
        assert (tmp_path / "cluster" / "worker-0.log").exists()
        kept = cli("submit", f"{FLOWS}:adder", "--input", "a=1", "--wait")
        assert kept.returncode == 0, kept.stderr
        keeper = keeper_of(cli.record(kept.stdout.split()[0]), cli.state())
        pids = started_pids(cli.state())
        assert keeper.pid in pids and len(pids) >= 4  # scheduler, run keeper, nanny, worker
        down = cli("cluster", "down")
        assert down.returncode == 0, down.stderr
        assert_all_gone(pids, timeout=1)
        assert bystander.is_running()
        assert not (tmp_path / "cluster" / "cluster.json").exists()
    finally:
        bystander.kill()
        if cli.state_file().exists():  # a failed check: stop what it started
            cli("cluster", "down")


def test_the_run_keeper_exits_when_its_scheduler_is_killed(tmp_path):
    cli = CLI(tmp_path)
    up = cli("cluster", "up", "--workers", "1", "--resources", "CPU=1,MEMORY=1GB")
    assert up.returncode == 0, up.stderr
    try:
        kept = cli("submit", f"{FLOWS}:adder", "--input", "a=1", "--wait")
        assert kept.returncode == 0, kept.stderr
        keeper = keeper_of(cli.record(kept.stdout.split()[0]), cli.state())
        psutil.Process(cli.state()["scheduler"]["pid"]).kill()
        assert_all_gone([keeper.pid], timeout=30)  # its stdin closed with the scheduler
    finally:
        cli("cluster", "down")


def test_bad_resources_exit_2_naming_them(tmp_path):
    done = CLI(tmp_path)("cluster", "up", "--resources", "CPU=one")
    assert done.returncode == 2 and "CPU='one' is not a number" in done.stderr
