"""Runs kept by the cluster: the scheduler follows a run, so it outlives the process that
launched it.

On a cluster that is not this process's own (``flowlab cluster up``, ``FLOWLAB_SCHEDULER``,
any address), ``launch()`` hands the run to :class:`RunKeeper`, a ``SchedulerPlugin``
registered once per scheduler (so it works on any cluster: ``cluster up``, jobqueue,
Kubernetes). The plugin starts one run keeper process beside the scheduler, on the first run
it is given (core/runs/run_keeper_process.py), and passes each run on to it. That process runs
flowlab's :class:`~flowlab.core.engine.tracker.RunTracker` with a client of its own: that client holds
the run's futures, hears the workers' events and writes the record (operator states, workers,
times, logs, outputs, cache entries) in batches through the store contract. The record's
``launcher`` names the keeper process, so a run whose keeper died reads as failed. The
launching process may exit, or be killed, as soon as ``launch()`` returns.

The launching process keeps a :class:`ClusterFollower` as its ``Run``'s tracker: it reads the
record back from the store (woken by the keeper each time it wrote it), so ``run.wait()``,
``run.subscribe`` and the run view work as before, and forwards ``flowlab.report`` values to
studies. A notebook on flowlab's in-kernel LocalCluster keeps tracking in the kernel.

Why a tracker rather than a plugin rebuilding the record from task transitions: the record
needs what only the tracker computes (validated workflow outputs written as artifacts,
content-keyed cache entries, retries told from failures), and one tracker means one place for
that logic. Why in a process of its own rather than in the scheduler's: every task's latency
goes through the scheduler's event loop, and a tracker there (its event handling, record
encoding, garbage collection, its client's messages) shares that loop's GIL and GC. Measured
on ``benchmarks/overhead.py`` (1000 operators, two workers): tracking inside the scheduler
made flowlab 1.6x (wide) and 1.4x (chain) raw Dask, against 1.0x when the launcher tracked;
from a process beside the scheduler, kept runs cost what launcher-tracked runs do (chain 1.2x
both ways, side by side; see docs/performance.md). The plugin only copies bytes to
the keeper, off the event loop.

Example::

    from flowlab.core.engine import cluster_runs
    cluster_runs.kept_by_cluster(client)     # True on a persistent cluster
"""

from __future__ import annotations

import asyncio
import os
import pickle
import socket
import subprocess
import sys
import threading
import weakref

from distributed.diagnostics.plugin import SchedulerPlugin

from flowlab.core.record.records import TERMINAL_RUN
from flowlab.errors import RunKeeperError
from flowlab.store.leases import lapsed_reason, mark_lapsed

PLUGIN_NAME = "flowlab-runs"
#: how often a follower re-reads a run's record when its keeper did not say it wrote it
POLL_SECONDS = 0.5
_registered: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_register_lock = threading.Lock()


def kept_by_cluster(client) -> bool:
    """Whether runs launched on ``client`` are followed by the scheduler.

    Not for a cluster living in this process (flowlab's default LocalCluster, the user's own
    ``LocalCluster``): there the kernel follows its runs, as it always has. Not from inside an
    operator either (the parent operator waits on its child run). ``FLOWLAB_TRACKING=launcher``
    turns it off, ``=cluster`` forces it on.
    """
    from flowlab.core.clusters.cluster import this_worker

    choice = os.environ.get("FLOWLAB_TRACKING", "").lower()
    if choice == "launcher" or this_worker() is not None:
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
    """Give a recorded, planned run to the cluster's keeper; returns once its tasks are on
    the scheduler and its record names the keeper process (the ``launcher`` field); raises
    :class:`~flowlab.errors.RunKeeperError` when the keeper cannot take it."""
    import cloudpickle

    ensure_keeper(client)
    payload = cloudpickle.dumps(spec)
    return client.run_on_scheduler(_adopt, payload)


def keep_parent(client, run_id: str, children: list[str], finish, store: str) -> dict:
    """Give the record of a parent run (a sweep) to the cluster's keeper: once each of
    ``children`` (run ids, kept by that cluster or ended) has ended, the keeper calls
    ``finish(store, run_id)`` in its process (an importable function: it writes the
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
    # the keeper process talks to this very event loop (its client): wait for it off the loop
    return await asyncio.get_running_loop().run_in_executor(None, keeper.forward, what, payload)


class RunKeeper(SchedulerPlugin):
    """Hands the runs given to the scheduler to flowlab's run keeper process, which it starts
    next to the scheduler on the first one (see the module's docstring)."""

    name = PLUGIN_NAME
    idempotent = True

    def __init__(self):
        self.process: subprocess.Popen | None = None

    async def start(self, scheduler) -> None:
        self.scheduler = scheduler
        self.lock = threading.Lock()
        self.process = None

    def forward(self, what: str, payload: bytes) -> dict:
        """Give one run (``what="run"``) or parent (``"parent"``) to the keeper process;
        returns its identity, or raises :class:`~flowlab.errors.RunKeeperError` with the
        keeper's message. One at a time: the process answers in order."""
        with self.lock:
            process = self._process()
            try:
                write_frame(process.stdin, pickle.dumps((what, payload)))
                reply = read_frame(process.stdout)
            except OSError:  # a broken pipe: the process died
                reply = None
            if reply is None:
                self.process = None  # the next run starts a new one
                code = _ended(process)
                raise RunKeeperError(
                    f"flowlab's run keeper process (pid {process.pid}) exited with code {code} "
                    f"before it answered; its error is in the scheduler's log"
                )
        answer = pickle.loads(reply)
        if "error" in answer:
            raise RunKeeperError(f"flowlab's run keeper process: {answer['error']}")
        return answer["keeper"]

    def _process(self) -> subprocess.Popen:
        if self.process is None or self.process.poll() is not None:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "flowlab.core.runs.run_keeper_process",
                    self.scheduler.address,
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                close_fds=True,
                env=_client_tls_env(self.scheduler),
            )
            # reaped as soon as it ends: a dead keeper left a zombie would still look alive
            # to the readers of the records it kept (store.leases)
            threading.Thread(
                target=self.process.wait, name="flowlab-keeper-reaper", daemon=True
            ).start()
        return self.process

    async def close(self) -> None:
        process, self.process = getattr(self, "process", None), None
        if process is not None:
            await asyncio.get_running_loop().run_in_executor(None, _ended, process, True)


def _client_tls_env(scheduler) -> dict | None:
    """The keeper process's environment: the scheduler's, plus the scheduler's own certificate
    as its client's where the scheduler speaks TLS and Dask's configuration names no client
    certificate (a Dask Gateway configures its schedulers so), else it could not connect."""
    security = getattr(scheduler, "security", None)
    cert = getattr(security, "tls_scheduler_cert", None)
    if not cert or getattr(security, "tls_client_cert", None):
        return None
    env = dict(os.environ)
    env["DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT"] = cert
    key = getattr(security, "tls_scheduler_key", None)
    if key:
        env["DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY"] = key
    return env


def _ended(process: subprocess.Popen, stop: bool = False, timeout: float = 10.0) -> int | None:
    """The exit code of the keeper process, once it has ended (``stop``: closing its stdin
    first, which ends it; killed if it has not ended within ``timeout``)."""
    if stop:
        try:
            process.stdin.close()
        except OSError:
            pass
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def write_frame(stream, data: bytes) -> None:
    """One message on a pipe: its length (8 bytes, big-endian), then its bytes."""
    stream.write(len(data).to_bytes(8, "big") + data)
    stream.flush()


def read_frame(stream) -> bytes | None:
    """The next message :func:`write_frame` wrote on ``stream``; None once it is closed."""
    head = _read_exactly(stream, 8)
    if head is None:
        return None
    return _read_exactly(stream, int.from_bytes(head, "big"))


def _read_exactly(stream, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def keeper_identity(address: str) -> dict:
    """The record's ``launcher`` for a run kept for the scheduler at ``address``: this process,
    the keeper (a run whose keeper died can never finish, and is recorded failed when next
    read)."""
    return {"host": socket.gethostname(), "pid": os.getpid(), "scheduler": address}


class ClusterFollower:
    """The launching process's view of a run the scheduler keeps: the record read back from
    the store, listeners told of changes, ``flowlab.report`` values passed to studies."""

    kept_by_cluster = True

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
    def listeners(self) -> list:
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
        # the keeper wrote the record (a worker's event reaches the record only when the
        # keeper next writes it: reading on those read the same record again and again, and
        # took the CPU the run needed)
        if "written" in message:
            self._wake.set()

    def _follow(self) -> None:
        try:
            while True:
                self._wake.wait(POLL_SECONDS)
                self._wake.clear()
                try:
                    record = self.store.get_run(self.run.id)
                except Exception:  # being written, or a store hiccup: read again
                    continue
                if lapsed_reason(record) is not None:
                    record = self.store.update_run(self.run.id, mark_lapsed)
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

    def changed(self) -> None:
        self._wake.set()

    def cancel(self) -> None:
        from flowlab.core.engine.cancel import cancel_tasks, task_keys

        with self.lock:
            keys = task_keys(self.record)
        cancel_tasks(self.client, self.run.id, keys)
