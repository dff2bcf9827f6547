"""The run keeper process: follows the runs a cluster keeps, next to its scheduler.

:class:`~flowlab.core.engine.cluster_runs.RunKeeper` (a plugin in the scheduler process) starts this
module once, as ``python -m flowlab.core.runs.run_keeper_process SCHEDULER_ADDRESS``, and sends
it each run (or sweep) a launcher hands over, as length-prefixed frames on its stdin; the
answer (the keeper's identity, which the run's record now names as its ``launcher``, or the
error) comes back the same way on its stdout. Here a :class:`~flowlab.core.engine.tracker.RunTracker`
per run, with this process's own client to the scheduler, submits the run's tasks, hears the
workers' events and writes the record; none of that runs in the scheduler's process.

The process exits when its stdin closes (the scheduler ended, even killed) or when its client
loses the scheduler: a run it kept then reads as failed (its launcher is gone), never running
forever.

Example::

    python -m flowlab.core.runs.run_keeper_process tcp://127.0.0.1:8786   # as the plugin starts it
"""

from __future__ import annotations

import os
import pickle
import sys
import threading
import time
import traceback
from typing import Any

from flowlab.core.engine.cluster_runs import POLL_SECONDS, keeper_identity, read_frame, write_frame

#: how often the process checks that its client still reaches the scheduler
WATCH_SECONDS = 1.0


class Keeper:
    """The runs this process follows, and its client to the scheduler at ``address``.

    Example::

        keeper = Keeper("tcp://127.0.0.1:8786")
        identity = keeper.adopt(cloudpickle.dumps(spec))   # the spec hand_over() sends
    """

    def __init__(self, address: str):
        from distributed import Client

        self.address = address
        self.client = Client(address, set_as_default=False, name="flowlab-runs")
        self.trackers: dict[str, Any] = {}

    def answer(self, what: str, payload: bytes) -> dict:
        """``{"keeper": identity}`` for a run (``what="run"``) or a parent (``"parent"``)
        now kept here, or ``{"error": message}`` saying why not."""
        try:
            adopt = self.adopt_parent if what == "parent" else self.adopt
            return {"keeper": adopt(payload)}
        except Exception as exc:
            traceback.print_exc()  # into the scheduler's log, beside the launcher's warning
            return {"error": f"{type(exc).__name__}: {exc}"}

    def adopt(self, payload: bytes) -> dict:
        """Start following one run: submit its tasks, write its record, return its keeper."""
        import cloudpickle

        from flowlab.core.engine.tracker import RunTracker
        from flowlab.core.runs.run import Run
        from flowlab.store import open_store
        from flowlab.store.artifacts import ArtifactStore

        spec = cloudpickle.loads(payload)
        from flowlab.core.runs.launch import warm_types

        warm_types(spec["graph"])  # this process writes the outputs: import what that needs
        store = open_store(spec["store_url"])
        artifacts = ArtifactStore(spec["artifacts"])
        record = spec["record"]
        record["launcher"] = keeper_identity(self.address)
        run = Run(record, store=store, artifacts=artifacts)
        tracker = RunTracker(
            run,
            spec["graph"],
            self.client,
            store,
            artifacts,
            seeds=spec["seeds"],
            keys=spec["keys"],
            cached=spec["cached"],
            keep=spec["keep"],
            store_url=spec["store_url"],
            content_keyed=spec["content_keyed"],
            priority=spec["priority"],
            announce=True,
        )
        run.tracker = tracker
        tracker.submit(spec["plans"])
        try:
            tracker.flush()  # the record names its keeper before the launcher may die
        except Exception:  # noqa: BLE001 - the store is away: the tracker's pump retries
            # the run is this keeper's from here: failing now would leave it to the launcher
            # too (two trackers); the pump writes the record, naming this keeper, once the
            # store is back
            traceback.print_exc()
        self.trackers[run.id] = tracker
        threading.Thread(
            target=self._forget, args=(run,), name=f"flowlab-keep-{run.id}", daemon=True
        ).start()
        return record["launcher"]

    def adopt_parent(self, payload: bytes) -> dict:
        """Keep a parent's record (see :func:`~flowlab.core.engine.cluster_runs.keep_parent`): name
        this process its keeper, end it once its children have ended."""
        import cloudpickle

        from flowlab.store import open_store

        spec = cloudpickle.loads(payload)
        store = open_store(spec["store_url"])
        identity = keeper_identity(self.address)
        store.update_run(spec["run_id"], lambda r: r.update(launcher=identity))
        threading.Thread(
            target=self._end_parent,
            args=(store, spec),
            name=f"flowlab-keep-{spec['run_id']}",
            daemon=True,
        ).start()
        return identity

    def _end_parent(self, store, spec: dict) -> None:
        from flowlab.core.record.records import now_iso
        from flowlab.core.runs.run import Run

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
        run.tracker.done.wait()
        run.take_values(None)  # outputs are in the store: this process keeps no data
        self.trackers.pop(run.id, None)

    def watch(self) -> None:
        """End this process once its client has given up on the scheduler (the scheduler is
        gone: nothing it kept can progress, and its readers must see the keeper gone)."""
        while True:
            time.sleep(WATCH_SECONDS)
            if self.client.status in ("closing", "closed", "failed"):
                print(
                    f"flowlab run keeper: lost the scheduler at {self.address}; exiting",
                    file=sys.stderr,
                    flush=True,
                )
                os._exit(1)


def main(argv: list[str] | None = None) -> None:
    """Serve the scheduler's plugin on stdin/stdout until stdin closes."""
    (address,) = sys.argv[1:] if argv is None else argv
    requests = sys.stdin.buffer
    # answers go to a private copy of stdout; anything printed goes to the scheduler's log
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    keeper = Keeper(address)
    threading.Thread(target=keeper.watch, name="flowlab-keeper-watch", daemon=True).start()
    while (frame := read_frame(requests)) is not None:
        what, payload = pickle.loads(frame)
        write_frame(replies, pickle.dumps(keeper.answer(what, payload)))
    # the scheduler closed our stdin (it stops, or was killed): its runs end with it. Records
    # are written whole (by rename), so leaving now loses at most the latest changes.
    os._exit(0)


if __name__ == "__main__":
    main()
