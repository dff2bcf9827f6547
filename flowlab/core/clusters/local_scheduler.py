"""flowlab's local cluster: Dask's scheduler and workers in processes of their own.

A ``distributed.SpecCluster``: the scheduler is Dask's own, started by ``python -m dask spec``
(distributed's ``SubprocessScheduler``), and so is each worker, a Dask ``Nanny`` started by
``python -m dask spec`` (distributed's ``SubprocessWorker``). The scheduler moves out of the
kernel because there it shared the GIL and the garbage collector with everything the kernel
does (flowlab's run bookkeeping, widgets, the user's code), and a chain of operators waits on
the scheduler at every step. The workers are subprocesses rather than multiprocessing
children because multiprocessing's "spawn" re-imports the launching script's ``__main__``:
a script without ``if __name__ == "__main__":`` (the README's tour saved as ``tour.py``, or
piped to ``python -``) would start a cluster again in every worker, and hang.

The scheduler gets this process's Dask configuration (flowlab's work-stealing interval and
no-workers timeout) and ``sys.path`` (it unpickles the graphs, so it imports the modules that
operators come from, as the workers do), and stops by itself when this process dies, so a killed kernel leaves no
scheduler behind (:func:`dask_setup`, loaded in the scheduler with ``preload``).

Example::

    cluster = scheduler_apart(2, 1, 4 * 2**30, {"CPU": 1, "MEMORY": 4 * 2**30})
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import sys
import tempfile
import weakref
from typing import Any

import dask

#: how long the workers may take to start (a loaded machine is slow)
WORKERS_START_SECONDS = float(os.environ.get("FLOWLAB_WORKERS_START_SECONDS", "300"))
#: how often the scheduler checks that the process that started it still lives
WATCH_SECONDS = 1.0
_PARENT_ENV = "FLOWLAB_SCHEDULER_PARENT"
#: SpecCluster's own options; every other keyword is the workers'
_CLUSTER_OPTIONS = ("asynchronous", "silence_logs", "name", "shutdown_on_close", "loop")


def scheduler_apart(n_workers: int, threads: int, memory: int, resources: dict, **kwargs: Any):
    """A SpecCluster: Dask's scheduler in a subprocess, ``n_workers`` Nanny workers each in a
    subprocess of its own (``kwargs`` go to each Nanny and must be JSON, as on a command line).
    """
    import json

    from distributed import SpecCluster
    from distributed.deploy.subprocess import SubprocessScheduler, SubprocessWorker

    folder = tempfile.mkdtemp(prefix="flowlab-scheduler-")
    options = {k: kwargs.pop(k) for k in _CLUSTER_OPTIONS if k in kwargs}
    options.setdefault("silence_logs", logging.WARN)  # as LocalCluster does
    scheduler = {
        "cls": SubprocessScheduler,
        "options": {
            "scheduler_kwargs": {
                "host": "127.0.0.1",
                "port": 0,
                "dashboard": True,
                "dashboard_address": "127.0.0.1:0",
                "scheduler_file": os.path.join(folder, "scheduler.json"),
                "preload": [__name__],
            }
        },
    }
    nanny = {
        "nthreads": threads,
        "memory_limit": memory,
        "resources": dict(resources),
        "host": "127.0.0.1",
        "dashboard_address": "127.0.0.1:0",
        "silence_logs": options["silence_logs"],
        # the Nanny closes (and its worker with it) once this process is gone
        "preload_nanny": [__name__],
        **kwargs,
    }
    try:
        json.dumps(nanny)
    except TypeError as exc:
        raise TypeError(
            f"start_local_cluster: the workers' options must be JSON (they are passed to "
            f"`python -m dask spec`): {exc}"
        ) from None
    worker = {
        "cls": SubprocessWorker,
        "options": {"worker_class": "distributed.Nanny", "worker_kwargs": nanny},
    }
    inherited = {
        "DASK_INTERNAL_INHERIT_CONFIG": dask.config.serialize(
            # preloading says at INFO level that it loaded flowlab's watch: not news to anyone
            dask.config.merge(
                dask.config.global_config, {"logging": {"distributed.preloading": "warning"}}
            )
        ),
        _PARENT_ENV: str(os.getpid()),
        # the scheduler and the workers unpickle what this process sends, so they import
        # what it can
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p and os.path.isdir(p)),
    }
    # the scheduler's and the workers' processes are started inside the constructor and
    # inherit os.environ
    saved = {name: os.environ.get(name) for name in inherited}
    os.environ.update(inherited)
    try:
        cluster = SpecCluster(
            workers={i: worker for i in range(n_workers)},
            scheduler=scheduler,
            worker=worker,
            name="flowlab",
            **options,
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    weakref.finalize(cluster, shutil.rmtree, folder, True)
    try:
        # the workers are processes of their own, still starting: returned now, the cluster
        # would have none (a LocalCluster returns with its workers up)
        cluster.wait_for_workers(n_workers, timeout=WORKERS_START_SECONDS)
    except BaseException:
        cluster.close()
        raise
    return cluster


async def dask_setup(server) -> None:
    """Run in the scheduler's and each Nanny's process (``preload``, ``preload_nanny``):
    close it once the process that started it is gone, so a killed kernel or script leaves
    no scheduler or worker behind."""
    parent = os.environ.get(_PARENT_ENV)
    if parent and parent.isdigit() and os.getppid() == int(parent):
        server._flowlab_watch = asyncio.ensure_future(_watch_parent(server, int(parent)))


async def _watch_parent(server, parent: int) -> None:
    while os.getppid() == parent:
        await asyncio.sleep(WATCH_SECONDS)
    await server.close()
