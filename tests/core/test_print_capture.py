"""What an operator prints goes to its run's log, not to the process that started the cluster.

flowlab's local workers inherit the stdout and stderr of the kernel (or script) that started
them. Echoed there, an operator's ``print`` reached the kernel's own output, which ipykernel
forwards outside any cell and JupyterLab shows in its Log Console, counting each line as a
warning in the status bar. The workers of flowlab's local cluster keep it to the run's log.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from jupyter_client.manager import start_new_kernel

from tests.polling import poll_for

pytestmark = pytest.mark.timeout(900)

ROOT = Path(__file__).resolve().parents[2]
MARKER = "operator-says-hello"
CONTROL = "flowlab-fd-control"

# the cell's code names the markers in pieces: the code itself comes back on iopub
# (execute_input), and so must not hold them whole
WORKFLOW = textwrap.dedent(
    """
    import os
    import flowlab
    from flowlab import types

    @flowlab.operator(returns=types.Schema(n=types.INTEGER))
    def talkative():
        print("operator-" + "says-hello", flush=True)
        # past sys.stdout, straight to the worker's file descriptor: what reached the
        # kernel's output before it shows that the print would have reached it too
        os.write(1, ("flowlab-" + "fd-control\\n").encode())
        return {"n": 1}

    @flowlab.workflow(returns=types.Schema(n=types.INTEGER))
    def talk():
        return flowlab.Output(n=talkative().n)
    """
)

RUN = textwrap.dedent(
    """
    from distributed import Client
    from flowlab.store import get_store

    cluster = flowlab.cluster.start_local_cluster(n_workers=1, threads_per_worker=1)
    flowlab.cluster.use_client(Client(cluster))
    run = talk.launch(cache=False)
    run.result(timeout=300)
    logs = get_store().get_run(run.id)["operators"]["talkative"]["logs"]
    print("in the run's log:", ("operator-" + "says-hello") in logs)
    """
)


def _env(tmp_path: Path) -> dict:
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "FLOWLAB_HOME": str(home), "PYTHONPATH": str(ROOT)}
    env.pop("FLOWLAB_SCHEDULER", None)  # a cluster of the kernel's own, its workers its children
    # ipykernel forwards its process's own output (file descriptors 1 and 2) as in JupyterLab,
    # except under pytest, which it recognises by this variable
    env.pop("PYTEST_CURRENT_TEST", None)
    return env


def _streams(kc, seen: list[dict]) -> list[dict]:
    """The stream messages that came on iopub so far (kept in ``seen``)."""
    while True:
        try:
            message = kc.get_iopub_msg(timeout=0.05)
        except queue.Empty:
            return seen
        if message["msg_type"] == "stream":
            seen.append(message)


def test_an_operators_print_does_not_reach_the_kernels_output(tmp_path):
    km, kc = start_new_kernel(kernel_name="python3", startup_timeout=120, env=_env(tmp_path))
    try:
        assert kc.execute_interactive(WORKFLOW, timeout=120)["content"]["status"] == "ok"
        seen: list[dict] = []
        reply = kc.execute_interactive(
            RUN, timeout=600, output_hook=lambda m: m["msg_type"] == "stream" and seen.append(m)
        )
        assert reply["content"]["status"] == "ok", reply["content"]
        assert any("in the run's log: True" in m["content"]["text"] for m in seen)
        # the worker's own output still reaches the kernel (ipykernel forwards it, maybe
        # after the cell ended): once the control line is there, the print would be too
        poll_for(
            lambda: any(CONTROL in m["content"]["text"] for m in _streams(kc, seen)),
            120,
            "the worker's direct write to reach the kernel's output",
        )
        printed = [m["content"]["text"] for m in seen if MARKER in m["content"]["text"]]
        assert not printed, printed
        kc.execute_interactive("flowlab.cluster.use_client(None); cluster.close()", timeout=120)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_a_scripts_workflow_keeps_its_operators_print_out_of_stdout_and_stderr(tmp_path):
    script = tmp_path / "talk.py"
    script.write_text(
        WORKFLOW
        + textwrap.dedent(
            """
            from flowlab.store import get_store

            run = talk.launch(cache=False)
            run.result(timeout=300)
            logs = get_store().get_run(run.id)["operators"]["talkative"]["logs"]
            print("in the run's log:", ("operator-" + "says-hello") in logs, flush=True)
            flowlab.cluster.shutdown()
            """
        )
    )
    process = subprocess.run(
        [sys.executable, str(script)],
        env=_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    assert "in the run's log: True" in process.stdout
    assert CONTROL in process.stdout  # the worker's stdout is the script's: the print was not
    assert MARKER not in process.stdout and MARKER not in process.stderr
