"""The README's tour runs as a script: ``python tour.py`` and ``python - < tour.py``, with no
``if __name__ == "__main__":``, and leaves no scheduler or worker behind, even when killed.

Before, the local cluster's workers were multiprocessing children started with "spawn", which
re-imports the script's ``__main__``: each worker started the tour again (four RuntimeErrors
about the bootstrapping phase, then a hang), and ``python -`` failed with "Nanny failed to
start".
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tests.polling import poll_for

pytestmark = pytest.mark.timeout(900)

README = Path(__file__).parent.parent / "README.md"


def _first_python_block() -> str:
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.S)[0]


def _started_by(pid: int) -> list[psutil.Process]:
    """The scheduler and worker processes flowlab started for the process ``pid``."""
    found = []
    for process in psutil.process_iter(["pid"]):
        try:
            if process.environ().get("FLOWLAB_SCHEDULER_PARENT") == str(pid):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def _env(tmp_path: Path) -> dict:
    home = tmp_path / "home"
    home.mkdir()
    return {**os.environ, "FLOWLAB_HOME": str(home)}


def test_the_tour_saved_as_a_file_runs_with_python_file(tmp_path):
    tour = tmp_path / "tour.py"
    tour.write_text(_first_python_block())
    assert "__main__" not in tour.read_text()
    process = subprocess.Popen(
        [sys.executable, str(tour)],
        env=_env(tmp_path),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err[-3000:]
    assert "bootstrapping phase" not in err
    poll_for(lambda: not _started_by(process.pid), 60, "the tour's cluster to stop")


def test_the_tour_piped_to_python_runs(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-"],
        env=_env(tmp_path),
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = process.communicate(_first_python_block(), timeout=600)
    assert process.returncode == 0, err[-3000:]
    assert "Nanny failed to start" not in err
    poll_for(lambda: not _started_by(process.pid), 60, "the tour's cluster to stop")


def test_a_script_killed_mid_run_leaves_no_scheduler_or_worker(tmp_path):
    script = tmp_path / "slow.py"
    script.write_text(
        "import time\n"
        "import flowlab\n"
        "client = flowlab.cluster.get_client()\n"
        "print('cluster up', flush=True)\n"
        "time.sleep(600)\n"
    )
    process = subprocess.Popen(
        [sys.executable, str(script)],
        env=_env(tmp_path),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout.readline().strip() == "cluster up"
        started = _started_by(process.pid)
        assert len(started) >= 3  # the scheduler and two workers' nannies (and their workers)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    poll_for(
        lambda: not any(p.is_running() and p.status() != "zombie" for p in started),
        120,
        "the killed script's scheduler and workers to stop",
    )
