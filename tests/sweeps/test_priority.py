"""Sweep children use idle cycles: a run launched by hand jumps ahead of queued children."""

from __future__ import annotations

from flowlab.core.record.records import task_key
from tests.polling import poll_for
from tests.sweeps.ops import bowl


def _started(run) -> str | None:
    return next(iter(run.operators.values())).started


def _scheduler_priority(client, run):
    node, op = next(iter(run.operators.items()))
    key = task_key(run.id, node, op.operator)

    def read(dask_scheduler, key=key):
        task = dask_scheduler.tasks.get(key)
        return None if task is None else task.priority

    # the graph reaches the scheduler a moment after launch returns
    return poll_for(
        lambda: client.run_on_scheduler(read),
        30,
        what=f"task {key} on the scheduler",
        every=0.02,
    )


def test_an_interactive_run_starts_before_the_sweeps_queued_children(client):
    sweep = bowl.sweep(seconds=1.0, cache=False, grid={"x": list(range(10, 20))})
    poll_for(
        lambda: len([r for r in sweep.children if _started(r)]) >= 2,
        60,
        what="both workers to be busy with sweep children",
        every=0.05,
    )
    interactive = bowl.launch(x=0, y=99, seconds=0.5, cache=False)
    queued = [r for r in sweep.children if not _started(r)]
    # the scheduler holds the children below the interactive run (Dask: higher runs first)
    child_priority = _scheduler_priority(client, queued[-1])
    mine_priority = _scheduler_priority(client, interactive)
    interactive.wait(timeout=120)
    sweep.wait(timeout=120)
    assert child_priority is not None and mine_priority is not None
    assert child_priority[0] > mine_priority[0]
    mine = _started(interactive)
    later = [r for r in queued if _started(r) > mine]
    # at most one queued child can take the other worker as it frees at the same moment
    assert len(later) >= len(queued) - 1, (mine, sorted(_started(r) for r in sweep.children))
