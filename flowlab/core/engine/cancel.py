"""Cancelling a run, from any process.

Whoever tracks a run (the launching process, or the keeper beside a persistent cluster's
scheduler) cancels it: its tasks' futures cancelled, and the workers still executing one of
them restarted (Dask cannot stop a running thread), so those workers are free again within
seconds. Any other process asks for it through the store (:func:`request_cancel`, an entry of
kind ``cancels``); the tracker looks for a request about once a second. No process is ever
sent a signal.
"""

from __future__ import annotations

import os
import socket
import time

#: the store's entry kind of cancel requests (one per run, named by the run's id)
KIND = "cancels"
#: how often a tracker looks for a cancel request in the store
POLL_SECONDS = 1.0


def request_cancel(run_id: str, store) -> dict:
    """Ask whoever tracks ``run_id`` to cancel it (they do within about a second).

    Example::

        request_cancel(run.id, get_store())
    """
    from flowlab.core.record.records import now_iso

    entry = {
        "name": run_id,
        "requested": now_iso(),
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }
    return store.put_entry(KIND, run_id, entry)


def take_request(run_id: str, store) -> bool:
    """Whether a cancel of ``run_id`` was requested (the request is consumed)."""
    if store.get_entry(KIND, run_id) is None:
        return False
    store.delete_entry(KIND, run_id)
    return True


def task_keys(record: dict) -> list[str]:
    """The Dask keys of a run's operators that have not ended (``operator-node@run``)."""
    from flowlab.core.record.records import task_key

    return [
        task_key(record["id"], node, op["operator"])
        for node, op in record["operators"].items()
        if op["state"] in ("queued", "running")
    ]


def cancel_tasks(client, run_id: str, keys: list[str], grace: float = 1.0) -> list[str]:
    """Cancel ``keys`` for every client that wants them; restart the workers still running one
    after ``grace`` seconds. Returns the addresses of the workers restarted."""
    from distributed import Future

    if not keys:
        return []
    client.cancel([Future(k, client=client) for k in keys], force=True)
    deadline = time.monotonic() + grace
    busy = _executing(client, run_id)
    while busy and time.monotonic() < deadline:
        time.sleep(0.1)
        busy = _executing(client, run_id)
    if busy:
        try:
            client.restart_workers(list(busy), timeout=60, raise_for_error=False)
        except OSError:  # CommClosedError: the cluster closed meanwhile; the tasks are cancelled
            pass
    return sorted(busy)


def _executing(client, run_id: str) -> dict[str, list[str]]:
    suffix = f"@{run_id}"

    def running_here(dask_worker, suffix=suffix):
        return [
            str(ts.key)
            for ts in dask_worker.state.tasks.values()
            if str(ts.key).endswith(suffix)
            and ts.state in ("executing", "cancelled", "long-running")
            and ts in dask_worker.state.executing | dask_worker.state.long_running
        ]

    found = client.run(running_here, on_error="ignore")
    return {addr: keys for addr, keys in found.items() if isinstance(keys, list) and keys}
