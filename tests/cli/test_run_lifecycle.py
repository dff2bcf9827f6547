"""Cancel from anywhere: a run launched by a plain Python process on its own local cluster is
cancelled from a second process (``Run.cancel()`` on a handle from ``get_run``, and
``flowlab cancel``), and the launching process is never sent a signal: it goes on and exits
normally."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.polling import poll_for

# real servers, clusters and processes: on a busy machine they take minutes, not seconds
pytestmark = pytest.mark.timeout(900)

ROOT = Path(__file__).resolve().parents[2]

LAUNCHER = textwrap.dedent(
    """
    import sys
    from tests.cli.flows import sleeper

    if __name__ == "__main__":
        run = sleeper.launch(x=2, seconds=600)
        print(run.id, flush=True)
        run.wait()
        print("ended", run.status, flush=True)
    """
)


@pytest.fixture
def launched(tmp_path):
    """A plain Python process that launched a long run on its own local cluster: (process,
    run id, the environment of its FLOWLAB_HOME)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWLAB_")}
    env.update(FLOWLAB_HOME=str(tmp_path / "home"), PYTHONPATH=str(ROOT))
    script = tmp_path / "launch.py"
    script.write_text(LAUNCHER)
    process = subprocess.Popen(
        [sys.executable, str(script)], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    run_id = process.stdout.readline().strip()
    assert run_id, "the launcher printed no run id"
    yield process, run_id, env
    if process.poll() is None:
        process.kill()
    process.wait(timeout=60)


def _status(run_id: str, env: dict) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "flowlab", "show", run_id, "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _running(run_id: str, env: dict) -> bool:
    return _status(run_id, env)["operators"]["slow"]["state"] == "running"


def test_run_cancel_from_another_process_cancels_the_run(launched):
    process, run_id, env = launched
    poll_for(lambda: _running(run_id, env), timeout=120, what="the slow operator to run")
    canceller = textwrap.dedent(
        f"""
        import flowlab
        flowlab.get_run({run_id!r}).cancel()
        """
    )
    subprocess.run([sys.executable, "-c", canceller], cwd=ROOT, env=env, check=True, timeout=120)
    shown = poll_for(
        lambda: (s := _status(run_id, env))["status"] == "cancelled" and s,
        timeout=30,
        what=f"run {run_id} to be cancelled",
    )
    assert shown["operators"]["slow"]["state"] == "cancelled"
    assert shown["operators"]["add"]["state"] == "succeeded"
    assert process.wait(timeout=120) == 0
    assert "ended cancelled" in process.stdout.read()


def test_flowlab_cancel_never_terminates_the_launching_process(launched):
    process, run_id, env = launched
    poll_for(lambda: _running(run_id, env), timeout=120, what="the slow operator to run")
    done = subprocess.run(
        [sys.executable, "-m", "flowlab", "cancel", run_id],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{run_id} cancelled"
    assert process.wait(timeout=120) == 0  # not killed by a signal (SIGUSR1 was exit 138)
    assert "ended cancelled" in process.stdout.read()


def test_a_run_whose_launcher_was_killed_is_not_listed_as_live(launched):
    import signal

    process, run_id, env = launched
    poll_for(lambda: _running(run_id, env), timeout=120, what="the slow operator to run")
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    lister = textwrap.dedent(
        f"""
        import flowlab
        live = flowlab.runs('status = "running" or status = "queued"')
        print("live" if any(r.id == {run_id!r} for r in live) else "gone")
        """
    )

    def gone() -> bool:
        done = subprocess.run(
            [sys.executable, "-c", lister], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip() == "gone"

    poll_for(gone, timeout=60, what=f"run {run_id} to leave the live runs")
    shown = _status(run_id, env)
    assert shown["status"] == "failed"
    assert f"the launcher (pid {process.pid}" in str(shown["error"])
