"""Runs kept by the cluster: the scheduler follows a run, so it outlives the process that
launched it.

On a cluster that is not this process's own (``flowlab cluster up``, ``FLOWLAB_SCHEDULER``,
any address), ``launch()`` hands the run to :class:`RunKeeper`, a ``SchedulerPlugin``
registered once per scheduler. The keeper runs flowlab's :class:`~flowlab.core.tracker.RunTracker`
in the scheduler process, through a client of its own: that client holds the run's futures,
hears the workers' events and writes the record (operator states, workers, times, logs,
outputs, cache entries) in batches through the store contract. The launching process may exit,
or be killed, as soon as ``launch()`` returns.

The launching process keeps a :class:`ClusterFollower` as its ``Run``'s tracker: it reads the
record back from the store (woken by the run's worker events), so ``run.wait()``,
``run.subscribe`` and the run view work as before, and forwards ``flowlab.report`` values to
studies. A notebook on flowlab's in-kernel LocalCluster keeps tracking in the kernel.

Why the scheduler hosts the tracker rather than a plugin rebuilding the record from task
transitions: the record needs what only the tracker computes (validated workflow outputs
written as artifacts, content-keyed cache entries, retries told from failures), and one
tracker means one place for that logic; measured on ``benchmarks/overhead.py`` the hand-over
costs one round trip per run (see the README's Overhead section).

Example::

    from flowlab.core import cluster_runs
    cluster_runs.kept_by_cluster(client)     # True on a persistent cluster
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
import weakref
from typing import Any

from distributed.diagnostics.plugin import SchedulerPlugin

from flowlab.core.records import TERMINAL_RUN, launcher_alive

PLUGIN_NAME = "flowlab-runs"
#: how often a follower re-reads a run's record when no worker event woke it
POLL_SECONDS = 0.5
#: the least time between two writes of a record the scheduler keeps (each write encodes the
#: whole record in the scheduler's process, which the scheduler's event loop shares)
KEEPER_FLUSH_SECONDS = 1.0
_registered: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_register_lock = threading.Lock()


def kept_by_cluster(client) -> bool:
    """Whether runs launched on ``client`` are followed by the scheduler.

    Not for a cluster living in this process (flowlab's default LocalCluster, the user's own
    ``LocalCluster``): there the kernel follows its runs, as it always has. Not from inside an
    operator either (the parent operator waits on its child run). ``FLOWLAB_TRACKING=launcher``
    turns it off, ``=cluster`` forces it on.
    """
    from flowlab.core.cluster import _this_worker

    choice = os.environ.get("FLOWLAB_TRACKING", "").lower()
    if choice == "launcher" or _this_worker() is not None:
        return False
    if choice == "cluster":
        return True
    return getattr(client, "cluster", None) is None


def ensure_keeper(client) -> None:
    """Register the :class:`RunKeeper` on ``client``'s scheduler (once; idempotent there)."""
    with _register_lock:
        if _registered.get(client) == client.scheduler.address:
            return
        client.register_plugin(RunKeeper(), name=PLUGIN_NAME)
        _registered[client] = client.scheduler.address


def hand_over(client, spec: dict) -> dict:
    """Give a recorded, planned run to the scheduler's keeper; returns once its tasks are on
    the scheduler and its record names the scheduler as its keeper (the ``launcher`` field)."""
    import cloudpickle

    ensure_keeper(client)
    payload = cloudpickle.dumps(spec)
    return client.run_on_scheduler(_adopt, payload)


def keep_parent(client, run_id: str, children: list[str], finish, store: str) -> dict:
    """Give the record of a parent run (a sweep) to the scheduler's keeper: once each of
    ``children`` (run ids, kept by that scheduler or ended) has ended, the keeper calls
    ``finish(store, run_id)`` in the scheduler process (an importable function: it writes the
    parent's end). Returns the keeper's identity, now the record's ``launcher``: the process
    that made the parent may then exit.

    Example::

        keep_parent(client, sweep.id, [r.id for r in runs], finish_sweep, store_url())
    """
    import cloudpickle

    ensure_keeper(client)
    payload = cloudpickle.dumps(
        {"run_id": run_id, "children": list(children), "finish": finish, "store_url": store}
    )
    return client.run_on_scheduler(_adopt, payload, "parent")


async def _adopt(payload: bytes, what: str = "run", dask_scheduler=None) -> dict:
    keeper = dask_scheduler.plugins[PLUGIN_NAME]
    adopt = keeper.adopt_parent if what == "parent" else keeper.adopt
    # the keeper's client talks to this very event loop: wait for it off the loop
    return await asyncio.get_running_loop().run_in_executor(None, adopt, payload)


class RunKeeper(SchedulerPlugin):
    """Follows flowlab runs inside the scheduler process (see the module's docstring)."""

    name = PLUGIN_NAME
    idempotent = True

    def __init__(self):
        self.trackers: dict[str, Any] = {}

    async def start(self, scheduler) -> None:
        self.scheduler = scheduler
        self.lock = threading.Lock()
        self.client = None
        self.trackers = {}

    def _client(self):
        with self.lock:
            if self.client is None or self.client.status not in ("running", "connecting"):
                from distributed import Client

                self.client = Client(
                    self.scheduler.address, set_as_default=False, name="flowlab-runs"
                )
            return self.client

    def adopt(self, payload: bytes) -> dict:
        """Start following one run: submit its tasks, write its record, return its keeper."""
        import cloudpickle

        from flowlab.core.run import Run
        from flowlab.core.tracker import RunTracker
        from flowlab.store import open_store
        from flowlab.store.artifacts import ArtifactStore

        spec = cloudpickle.loads(payload)
        store = open_store(spec["store_url"])
        artifacts = ArtifactStore(spec["artifacts"])
        record = spec["record"]
        record["launcher"] = keeper_identity(self.scheduler.address)
        run = Run(record, store=store, artifacts=artifacts)
        client = self._client()
        tracker = RunTracker(
            run,
            spec["graph"],
            client,
            store,
            artifacts,
            seeds=spec["seeds"],
            keys=spec["keys"],
            cached=spec["cached"],
            keep=spec["keep"],
            store_url=spec["store_url"],
            content_keyed=spec["content_keyed"],
            priority=spec["priority"],
            flush_seconds=KEEPER_FLUSH_SECONDS,
        )
        run._tracker = tracker
        tracker.submit(spec["plans"])
        tracker._flush()  # the record names its keeper before the launcher may die
        self.trackers[run.id] = tracker
        threading.Thread(
            target=self._forget, args=(run,), name=f"flowlab-keep-{run.id}", daemon=True
        ).start()
        return record["launcher"]

    def adopt_parent(self, payload: bytes) -> dict:
        """Keep a parent's record (see :func:`keep_parent`): name this process its keeper,
        end it once its children have ended."""
        import cloudpickle

        from flowlab.store import open_store

        spec = cloudpickle.loads(payload)
        store = open_store(spec["store_url"])
        identity = keeper_identity(self.scheduler.address)
        store.update_run(spec["run_id"], lambda r: r.update(launcher=identity))
        threading.Thread(
            target=self._end_parent,
            args=(store, spec),
            name=f"flowlab-keep-{spec['run_id']}",
            daemon=True,
        ).start()
        return identity

    def _end_parent(self, store, spec: dict) -> None:
        from flowlab.core.records import now_iso
        from flowlab.core.run import Run

        try:
            for child in spec["children"]:
                tracker = self.trackers.get(child)
                if tracker is not None:
                    tracker.done.wait()
                    continue
                # ended already, or followed by another process: its record says when
                run = Run(store.get_run(child), store=store)
                while not run.refresh().done:
                    time.sleep(POLL_SECONDS)
            spec["finish"](store, spec["run_id"])
        except Exception as exc:  # the parent's record must still end, saying why
            message = f"flowlab: {type(exc).__name__}: {exc}"
            store.update_run(
                spec["run_id"],
                lambda r: r.update(
                    status="failed", ended=now_iso(), error={"operator": None, "message": message}
                ),
            )

    def _forget(self, run) -> None:
        run._tracker.done.wait()
        run._values = None  # outputs are in the store; the scheduler keeps no data
        self.trackers.pop(run.id, None)

    async def close(self) -> None:
        client, self.client = getattr(self, "client", None), None
        if client is not None:
            await asyncio.get_running_loop().run_in_executor(None, client.close)


def keeper_identity(address: str) -> dict:
    """The record's ``launcher`` for a run kept by the scheduler at ``address``: that process
    (a run whose keeper died can never finish, and is recorded failed when next read)."""
    return {"host": socket.gethostname(), "pid": os.getpid(), "scheduler": address}


class ClusterFollower:
    """The launching process's view of a run the scheduler keeps: the record read back from
    the store, listeners told of changes, ``flowlab.report`` values passed to studies."""

    remote = True

    def __init__(self, run, client, store):
        self.run, self.client, self.store = run, client, store
        self.record = run.record
        self.lock = threading.RLock()
        self._done = threading.Event()
        self._listener_list: list = []
        self._report_listeners: list = []
        self.topic = f"flowlab-run-{run.id}"
        self._wake = threading.Event()
        self._started = False

    def start(self) -> None:
        """Follow the record from now on (on first use: a process that only launches, such
        as ``flowlab submit --array``, follows nothing)."""
        with self.lock:
            if self._started:
                return
            self._started = True
        try:
            self.client.subscribe_topic(self.topic, self._on_event)
        except Exception:  # without events the record is still read every POLL_SECONDS
            pass
        threading.Thread(target=self._follow, name=f"flowlab-{self.run.id}", daemon=True).start()

    @property
    def done(self) -> threading.Event:
        self.start()
        return self._done

    @property
    def _listeners(self) -> list:
        self.start()
        return self._listener_list

    @property
    def report_listeners(self) -> list:
        self.start()
        return self._report_listeners

    def _on_event(self, event) -> None:
        _, message = event
        if "report" in message:
            for listener in list(self._report_listeners):
                listener(message["report"])
            return
        self._wake.set()

    def _follow(self) -> None:
        from flowlab.core.run import _mark_orphaned

        try:
            while True:
                self._wake.wait(POLL_SECONDS)
                self._wake.clear()
                try:
                    record = self.store.get_run(self.run.id)
                except Exception:  # being written, or a store hiccup: read again
                    continue
                if record["status"] not in TERMINAL_RUN and not launcher_alive(record):
                    record = self.store.update_run(self.run.id, _mark_orphaned)
                if record != self.record:
                    with self.lock:
                        self.record = self.run.record = record
                    self._notify()
                if record["status"] in TERMINAL_RUN:
                    return
        finally:
            self._done.set()
            self._notify()
            try:
                self.client.unsubscribe_topic(self.topic)
            except Exception:
                pass

    def _notify(self) -> None:
        for listener in list(self._listener_list):
            try:
                listener(self.run)
            except Exception:  # a broken view must not break the run
                pass

    def _changed(self) -> None:
        self._wake.set()

    def cancel(self) -> None:
        from flowlab.core.cancel import cancel_tasks, task_keys

        with self.lock:
            keys = task_keys(self.record)
        cancel_tasks(self.client, self.run.id, keys)
