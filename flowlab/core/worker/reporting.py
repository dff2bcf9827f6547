"""``flowlab.report``: an operator's intermediate values, for studies' pruners and the views."""

from __future__ import annotations

import math

from flowlab.core.definition.context import current
from flowlab.errors import TrialPruned


def prune_event_name(run_id: str) -> str:
    """The Dask Event a study sets when it prunes the trial that ``run_id`` runs."""
    return f"flowlab-prune-{run_id}"


def report(step: int, value: float) -> None:
    """Report an intermediate value of the running operator (a loss after each epoch…).

    In a trial of ``Workflow.optimize`` the study's pruner sees it, and when it decides to
    stop the trial this call raises :class:`flowlab.errors.TrialPruned` (let it propagate:
    the trial is recorded ``pruned``). Outside an operator it does nothing.

    Example::

        for epoch in range(20):
            loss = train_one_epoch()
            flowlab.report(epoch, loss)
    """
    ctx = current()
    if isinstance(step, bool) or not isinstance(step, int):
        raise TypeError(f"flowlab.report: step must be a whole number, got {step!r}")
    value = float(value)
    if ctx is None or ctx.run_id is None:
        return
    worker = _worker()
    if worker is None:
        return
    topic = f"flowlab-run-{ctx.run_id}"
    report = {"step": step, "value": value if math.isfinite(value) else None}
    worker.log_event(topic, {"report": {**report, "node": ctx.node_id}})
    if _prune_requested(ctx.run_id):
        raise TrialPruned(
            f"trial of run {ctx.run_id} pruned at step {step} (value {value:g}) by the "
            "study's pruner"
        )


def _prune_requested(run_id: str) -> bool:
    from distributed import Event

    try:
        return Event(prune_event_name(run_id)).is_set()
    except ValueError:  # no client reachable from here
        return False


def _worker():
    try:
        from distributed import get_worker

        return get_worker()
    except ValueError:
        return None
