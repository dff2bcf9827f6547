"""flowlab's local cluster with its scheduler in a process of its own.

A ``distributed.SpecCluster``: the scheduler is Dask's own, started by ``python -m dask spec``
(distributed's ``SubprocessScheduler``), and the workers are Dask's ``Nanny`` processes, as in a
``LocalCluster``. Only the scheduler moves out of the kernel: there it shared the GIL and the
garbage collector with everything the kernel does (flowlab's run bookkeeping, widgets, the
user's code), and a chain of operators waits on the scheduler at every step.

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

#: how often the scheduler checks that the process that started it still lives
WATCH_SECONDS = 1.0
_PARENT_ENV = "FLOWLAB_SCHEDULER_PARENT"
#: SpecCluster's own options; every other keyword is the workers'
_CLUSTER_OPTIONS = ("asynchronous", "silence_logs", "name", "shutdown_on_close", "loop")


def scheduler_apart(n_workers: int, threads: int, memory: int, resources: dict, **kwargs: Any):
    """A SpecCluster: Dask's scheduler in a subprocess, ``n_workers`` Nanny workers."""
    from distributed import Nanny, SpecCluster
    from distributed.deploy.subprocess import SubprocessScheduler

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
    worker = {
        "cls": Nanny,
        "options": {
            "nthreads": threads,
            "memory_limit": memory,
            "resources": dict(resources),
            "host": "127.0.0.1",
            "dashboard_address": "127.0.0.1:0",
            "silence_logs": options["silence_logs"],
            **kwargs,
        },
    }
    inherited = {
        "DASK_INTERNAL_INHERIT_CONFIG": dask.config.serialize(dask.config.global_config),
        _PARENT_ENV: str(os.getpid()),
        # the scheduler unpickles the graph, so it imports what this process can, as the
        # workers do (multiprocessing gives them this process's sys.path)
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p and os.path.isdir(p)),
    }
    # the scheduler's process is started inside the constructor and inherits os.environ
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
    return cluster


async def dask_setup(scheduler) -> None:
    """Run in the scheduler's process (``preload``): close it once its parent is gone."""
    parent = os.environ.get(_PARENT_ENV)
    if parent and parent.isdigit():
        scheduler._flowlab_watch = asyncio.ensure_future(_watch_parent(scheduler, int(parent)))


async def _watch_parent(scheduler, parent: int) -> None:
    while os.getppid() == parent:
        await asyncio.sleep(WATCH_SECONDS)
    await scheduler.close()
