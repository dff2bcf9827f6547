"""PostgreSQL stopped while a launcher hands a run over to a persistent cluster (its keeper):
the run ends with one truthful record (succeeded, its inputs and outputs), kept by one tracker
(the keeper, or the launcher when the keeper could not take it; never both), never stuck
queued or running, and the launcher's ``wait()`` returns. Launched while the store is down,
it is refused, and nothing is left behind."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import uuid
from pathlib import Path

import pytest

import flowlab
from flowlab.store import open_store
from tests.cli.conftest import CLI, ROOT, assert_all_gone, started_pids
from tests.polling import poll_for
from tests.store.own_postgres import own_postgres

# real servers, clusters and processes: on a busy machine they take minutes, not seconds
pytestmark = pytest.mark.timeout(900)

LIVE = 'status = "running" or status = "queued"'

#: launches ``held_run`` on the cluster and waits for it. With ``pause``, it stops just
#: before handing the run over to the cluster (launch()'s one call of run_on_scheduler) until
#: the test, having stopped the store, says go on stdin.
LAUNCHER = textwrap.dedent(
    """
    import sys

    import distributed

    from tests.cli.fault_flows import held_run

    if sys.argv[1] == "pause":
        handing_over = distributed.Client.run_on_scheduler

        def paused(self, *args, **kwargs):
            distributed.Client.run_on_scheduler = handing_over
            print("handing over", flush=True)
            sys.stdin.readline()
            return handing_over(self, *args, **kwargs)

        distributed.Client.run_on_scheduler = paused
    run = held_run.launch(x=5, release=sys.argv[2])
    print(run.id, flush=True)
    print(run.wait(600).status, flush=True)
    """
)

#: the clients of the scheduler that want a run's tasks: the trackers holding its futures
HOLDERS = textwrap.dedent(
    """
    import json, sys
    from distributed import Client

    address, run_id = sys.argv[1:]

    def holders(dask_scheduler):
        keys = [k for k in dask_scheduler.tasks if str(k).endswith("@" + run_id)]
        wanted = (c.client_key for k in keys for c in dask_scheduler.tasks[k].who_wants)
        return sorted(set(wanted))

    with Client(address, set_as_default=False) as client:
        print(json.dumps(client.run_on_scheduler(holders)))
    """
)


class Launcher:
    """The launching process, its output read line by line as it comes."""

    def __init__(self, cli: CLI, *args: str):
        self.process = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, *args],
            cwd=ROOT,
            env=cli.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self.errors: list[str] = []
        threading.Thread(target=self._read, args=(self.process.stdout, self.lines)).start()
        threading.Thread(target=self._read, args=(self.process.stderr, self.errors)).start()

    @staticmethod
    def _read(stream, into: list[str]) -> None:
        for line in stream:
            into.append(line.rstrip("\n"))

    def line(self, number: int, what: str) -> str:
        """Its ``number``-th line (from 1), once printed."""
        poll_for(
            lambda: len(self.lines) >= number or self.process.poll() is not None,
            timeout=180,
            what=what,
        )
        assert len(self.lines) >= number, f"the launcher exited: {self.stderr}"
        return self.lines[number - 1]

    def go_on(self) -> None:
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    @property
    def stderr(self) -> str:
        return "\n".join(self.errors)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=60)


@pytest.fixture(scope="module")
def postgres():
    with own_postgres() as pg:
        yield pg


@pytest.fixture
def cluster(postgres, request, tmp_path):
    """A persistent cluster whose runs go to a schema of its own on ``postgres``; the run
    keeper already started (a run kept) unless parametrised with False."""
    home = tmp_path / "home"
    home.mkdir()
    runner = CLI(home)
    runner.env["FLOWLAB_STORE"] = f"{postgres.url}?schema=handover_{uuid.uuid4().hex[:8]}"
    up = runner("cluster", "up", "--workers", "1")
    assert up.returncode == 0, up.stderr
    pids = started_pids(runner.state())
    try:
        if getattr(request, "param", True):
            code = (
                "from tests.cli.flows import adder\nprint(adder.launch(a=1, b=2).wait(120).status)"
            )
            done = subprocess.run(
                [sys.executable, "-c", code],
                cwd=ROOT,
                env=runner.env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert done.stdout.strip() == "succeeded", done.stderr
        yield runner
    finally:
        pids = sorted({*pids, *started_pids(runner.state())})
        down = runner("cluster", "down")
        assert down.returncode == 0, down.stderr
        assert_all_gone(pids)


def _holders(cli: CLI, run_id: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", HOLDERS, cli.state()["address"], run_id],
        cwd=ROOT,
        env=cli.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _assert_one_truthful_end(cli: CLI, launcher: Launcher, run_id: str, release: Path):
    """The launcher's wait() returned ``succeeded`` (its last line), and the store says so,
    naming the one tracker that kept the run."""
    at = launcher.lines.index(run_id) + 2
    assert launcher.line(at, "the launcher's wait() to return") == "succeeded", launcher.stderr
    assert launcher.process.wait(timeout=120) == 0, launcher.stderr
    store = open_store(cli.env["FLOWLAB_STORE"])
    record = store.get_run(run_id)
    assert record["status"] == "succeeded", record.get("error")
    assert record["inputs"] == {"x": 5, "release": str(release)}
    assert record["outputs"] == {"total": 6}
    assert {op["state"] for op in record["operators"].values()} == {"succeeded"}
    assert run_id not in flowlab.runs(LIVE, store=store).ids
    if "cannot keep the run" in launcher.stderr:  # the launcher follows it itself
        assert record["launcher"]["pid"] == launcher.process.pid, record["launcher"]
        assert record["lease"]["holder"] == "launcher"
    else:
        assert record["launcher"]["scheduler"] == cli.state()["address"], record["launcher"]
        assert record["lease"]["holder"] == "keeper"


@pytest.mark.parametrize(
    "cluster",
    [
        # before the fix, the keeper answered an error when its first record write failed
        # and the launcher followed the run too: two trackers held its tasks
        pytest.param(True, id="keeper-running"),
        pytest.param(False, id="keeper-starting"),
    ],
    indirect=True,
)
def test_a_run_handed_over_while_postgresql_is_down_has_one_tracker_and_ends(
    cluster, postgres, tmp_path
):
    release = tmp_path / "release"
    launcher = Launcher(cluster, "pause", str(release))
    try:
        assert launcher.line(1, "the launcher to hand the run over") == "handing over"
        postgres.stop()
        try:
            launcher.go_on()
            run_id = launcher.line(2, "launch() to return")
            # the run's tasks are on the cluster, held by one tracker (its futures)
            assert len(_holders(cluster, run_id)) == 1, launcher.stderr
        finally:
            postgres.start()
        release.write_text("go")
        _assert_one_truthful_end(cluster, launcher, run_id, release)
    finally:
        launcher.close()


def test_a_kept_run_whose_postgresql_stops_and_comes_back_ends_succeeded(
    cluster, postgres, tmp_path
):
    release = tmp_path / "release"
    launcher = Launcher(cluster, "go", str(release))
    try:
        run_id = launcher.line(1, "launch() to return")
        postgres.stop()
        try:
            assert len(_holders(cluster, run_id)) == 1
        finally:
            postgres.start()
        release.write_text("go")
        _assert_one_truthful_end(cluster, launcher, run_id, release)
    finally:
        launcher.close()


def test_a_run_launched_while_postgresql_is_down_is_refused_and_leaves_nothing(
    cluster, postgres, tmp_path
):
    postgres.stop()
    try:
        launcher = Launcher(cluster, "go", str(tmp_path / "release"))
        try:
            assert launcher.process.wait(timeout=300) != 0
        finally:
            launcher.close()
    finally:
        postgres.start()
    assert launcher.lines == []  # launch() raised: no run id
    assert f"port {postgres.port} failed" in launcher.stderr  # names the server it could not reach
    store = open_store(cluster.env["FLOWLAB_STORE"])
    assert flowlab.runs('workflow = "held_run"', store=store).ids == []
    assert flowlab.runs(LIVE, store=store).ids == []
