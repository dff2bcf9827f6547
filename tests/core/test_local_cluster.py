"""flowlab's local cluster: its scheduler runs apart from the kernel, needs only flowlab to
take a graph, and never outlives the process that started it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import psutil

import flowlab
from tests.polling import poll_for


def test_the_scheduler_runs_in_a_process_of_its_own(client):
    scheduler_pid = client.run_on_scheduler(os.getpid)
    assert scheduler_pid != os.getpid()
    assert psutil.Process(scheduler_pid).ppid() == os.getpid()
    # it has this process's Dask settings (flowlab's work stealing interval)
    stealing = client.run_on_scheduler(
        lambda: __import__("dask").config.get("distributed.scheduler.work-stealing-interval")
    )
    assert stealing == flowlab.cluster.STEALING_INTERVAL


MODULE = """
import flowlab
from flowlab import types


@flowlab.operator(returns=types.Schema(out=types.INTEGER))
def bump(x: int):
    return {"out": x + 1}


@flowlab.workflow(returns=types.Schema(out=types.INTEGER, each=types.LIST(types.INTEGER)))
def bumped(x: int = 1):
    return flowlab.Output(out=bump(x=x).out, each=bump.map(x=[x, x + 1]).out)
"""


def _add_path(folder: str) -> None:
    sys.path.insert(0, folder)


def _remove_path(folder: str) -> None:
    if folder in sys.path:
        sys.path.remove(folder)


def test_a_module_the_scheduler_cannot_import_still_runs(client, tmp_path):
    """The scheduler unpickles every graph: operators, inputs and mapped elements cross it
    sealed, so a module on the kernel's and workers' path only (added after the cluster
    started, as a notebook does) runs. Before, the run failed with "Error during
    deserialization of the task graph"."""
    (tmp_path / "only_here.py").write_text(MODULE)
    _add_path(str(tmp_path))
    client.run(_add_path, str(tmp_path))
    try:
        import only_here

        def importable():
            import importlib.util

            return importlib.util.find_spec("only_here") is not None

        assert not client.run_on_scheduler(importable)
        out = only_here.bumped.launch(x=4, cache=False).result(timeout=60)
        assert (out.out, out.each) == (5, [5, 6])
    finally:
        _remove_path(str(tmp_path))
        client.run(_remove_path, str(tmp_path))
        sys.modules.pop("only_here", None)


KERNEL = textwrap.dedent(
    """
    import os, sys
    import flowlab
    from distributed import Client

    if __name__ == "__main__":
        cluster = flowlab.cluster.start_local_cluster(n_workers=1, threads_per_worker=1)
        client = Client(cluster)
        print(client.run_on_scheduler(os.getpid), *client.run(os.getpid).values(), flush=True)
        sys.stdin.read()  # wait to be killed
    """
)


def test_a_killed_kernel_leaves_no_scheduler_or_worker_behind(tmp_path):
    script = tmp_path / "kernel.py"
    script.write_text(KERNEL)
    kernel = subprocess.Popen(
        [sys.executable, str(script)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "FLOWLAB_HOME": str(tmp_path)},
    )
    try:
        pids = [int(p) for p in kernel.stdout.readline().split()]
        assert len(pids) == 2 and all(psutil.pid_exists(p) for p in pids)
    finally:
        kernel.send_signal(signal.SIGKILL)
        kernel.wait()
    try:
        poll_for(lambda: not any(_alive(p) for p in pids), 30, what="the workers to end", every=0.2)
    except AssertionError as e:
        raise AssertionError(f"{e}; still running: {[p for p in pids if _alive(p)]}") from None


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
