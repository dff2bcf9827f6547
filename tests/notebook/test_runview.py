"""The run view follows a run live, draws its DAG by state, and shows failures and outputs."""

from __future__ import annotations

import time

from flowlab.core.run import Run
from flowlab.notebook.runview import RunView
from tests.notebook import workflows


def _wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def test_view_updates_live_from_run_events_without_blocking(client, notebook_layer):
    run = workflows.two_steps.launch(seconds=1.0, value=time.time())
    view = RunView(run)  # returns at once: the kernel stays free
    assert not run.done
    _wait_for(lambda: 'data-state="running"' in view.table.value)
    assert 'data-node="pause" data-state="running"' in view.dag.value
    _wait_for(lambda: view.progress.value == 1)
    assert "1 / 2 operators" in view.progress_label.value
    view.wait_shown(timeout=60)
    assert view.progress.value == 2 and view.progress.bar_style == "success"
    assert 'data-status="succeeded"' in view.header.value
    ops = run.operators
    assert ops["pause"].worker in view.table.value
    assert "second" in view.details.value and "first" in view.details.value
    assert view.dag.value.count('data-state="succeeded"') == 2


def test_failed_run_shows_failing_operator_traceback_and_logs(client, notebook_layer):
    run = workflows.breaks.launch(x=float(time.time()))
    view = RunView(run).wait_shown(timeout=60)
    details = view.details.value
    assert "failing operator: <b>explode</b>" in details
    assert "ValueError" in details and "cannot take" in details
    assert "about to explode" in details and "exploding on purpose" in details
    assert 'data-state="failed"' in view.dag.value


def test_view_of_a_stored_run_reads_the_store(client, store, notebook_layer):
    launched = workflows.two_steps.launch(seconds=0.1, value=time.time())
    launched.wait(timeout=60)
    time.sleep(0.5)  # the tracker's last write
    stored = Run(store.get_run(launched.id), store=store)
    view = RunView(stored).wait_shown(timeout=10)
    assert 'data-status="succeeded"' in view.header.value
    assert "first" in view.details.value


def test_view_never_writes_to_the_cell_output(client, notebook_layer, capsys):
    run = workflows.two_steps.launch(seconds=0.2, value=time.time())
    RunView(run).wait_shown(timeout=60)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
