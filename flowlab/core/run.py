"""Run: one execution of a workflow, live while it runs and readable from the store after."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flowlab.core.output import Output
from flowlab.core.records import TERMINAL_RUN
from flowlab.errors import RunFailed


class OperatorRecord(dict):
    """One operator's record: ``state``, ``worker``, ``started``, ``ended``, ``error``, ``logs``…

    Reads as a dict and by attribute (``run.operators["train"].state``).
    """

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class Run:
    """One run of a workflow.

    Example::

        run = iris.launch(labeled_data=df, unlabeled_data=new)
        run.id, run.status            # "queued" | "running" | "succeeded" | "failed" | ...
        run.wait()
        run.result().logloss
        run.operators["TrainDecisionTreeOperator"].worker
    """

    def __init__(self, record: dict, store=None, artifacts=None):
        self.record = record
        self._store = store
        self._artifacts = artifacts
        self._tracker = None
        self._values: dict | None = None

    # -- identity and state -----------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.record["id"]

    @property
    def workflow(self) -> str:
        return self.record["workflow"]

    @property
    def status(self) -> str:
        if self._tracker is None and self.record["status"] not in TERMINAL_RUN:
            self.refresh()
        return self.record["status"]

    @property
    def operators(self) -> dict[str, OperatorRecord]:
        lock = self._tracker.lock if self._tracker else _NoLock()
        with lock:
            return {k: OperatorRecord(v) for k, v in self.record["operators"].items()}

    @property
    def error(self) -> dict | None:
        return self.record.get("error")

    @property
    def done(self) -> bool:
        return self.status in TERMINAL_RUN

    def refresh(self) -> Run:
        """Re-read the record from the store (for runs launched by another process)."""
        if self._tracker is None and self._store is not None:
            self.record = self._store.get_run(self.id)
        return self

    # -- waiting and results ----------------------------------------------------------------------
    def wait(self, timeout: float | None = None) -> Run:
        """Block until the run ends (or ``timeout`` seconds pass, raising TimeoutError)."""
        if self._tracker is not None:
            if not self._tracker.done.wait(timeout):
                raise TimeoutError(f"run {self.id} still {self.status} after {timeout} s")
            return self
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.done:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"run {self.id} still {self.status} after {timeout} s")
            time.sleep(0.2)
        return self

    def result(self, timeout: float | None = None) -> Output:
        """Wait, then return the outputs; raise RunFailed naming the failed operator."""
        self.wait(timeout)
        if self.record["status"] != "succeeded":
            error = self.record.get("error") or {}
            operator = error.get("operator")
            op = self.record["operators"].get(operator) or {}
            message = (
                f"run {self.id} of workflow '{self.workflow}' {self.record['status']}: "
                f"{error.get('message', '')}"
            )
            if op.get("traceback"):
                message += f"\n--- traceback of operator '{operator}' ---\n{op['traceback']}"
            raise RunFailed(
                message, run_id=self.id, operator=operator, traceback=op.get("traceback")
            )
        return self.outputs

    @property
    def outputs(self) -> Output:
        """The outputs computed so far; artifact files are read on first access."""
        if self._values is not None:
            return Output(self._values)
        from flowlab.store.values import load_value

        if self._artifacts is None:
            from flowlab.store import get_artifacts

            self._artifacts = get_artifacts()
        self._values = {
            k: load_value(v, self._artifacts) for k, v in self.record.get("outputs", {}).items()
        }
        return Output(self._values)

    @property
    def inputs(self) -> dict:
        return dict(self.record.get("inputs", {}))

    # -- control ----------------------------------------------------------------------------------
    def cancel(self) -> Run:
        """Cancel what has not finished; finished operators keep their results."""
        if self._tracker is not None and not self.done:
            self._tracker.cancel()
        return self

    def subscribe(self, callback: Callable[[Run], None]) -> None:
        """Call ``callback(run)`` whenever an operator's state changes (views use this)."""
        if self._tracker is not None:
            self._tracker._listeners.append(callback)

    def __repr__(self) -> str:
        return f"<Run {self.id} {self.workflow} {self.record['status']}>"


class _NoLock:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
