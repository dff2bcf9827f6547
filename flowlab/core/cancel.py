"""Cancelling a run on the cluster, from any process: its tasks' futures cancelled, and the
workers still executing one of them restarted (Dask cannot stop a running thread), so those
workers are free again within seconds."""

from __future__ import annotations

import time


def task_keys(record: dict) -> list[str]:
    """The Dask keys of a run's operators that have not ended (``operator-node@run``)."""
    from flowlab.core.records import task_key

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
        client.restart_workers(list(busy), timeout=60, raise_for_error=False)
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
