"""The run view follows a run live, draws its DAG by state, and shows failures and outputs."""

from __future__ import annotations

import time

from flowlab.core.runs.run import Run
from flowlab.notebook.runview import RunView
from tests.notebook import workflows
from tests.polling import poll_for


def test_view_updates_live_from_run_events_without_blocking(client, notebook_layer, tmp_path):
    gate = tmp_path / "gate"
    run = workflows.gated_steps.launch(gate=str(gate), value=time.time())
    view = RunView(run)  # returns at once: the kernel stays free
    try:
        assert not run.done
        # the first operator runs until the gate opens: its running state lasts until seen
        poll_for(
            lambda: (
                'data-state="running"' in view.table.value
                and 'data-node="wait_for_gate" data-state="running"' in view.dag.value
            ),
            what="the view to show the first operator running",
        )
    finally:
        gate.write_text("go")
    view.wait_shown(timeout=60)
    assert view.progress.value == 2 and view.progress.bar_style == "success"
    assert "2 succeeded" in view.progress_label.value
    assert 'data-status="succeeded"' in view.header.value
    ops = run.operators
    assert ops["wait_for_gate"].worker in view.table.value
    assert "second" in view.details.value and "first" in view.details.value
    assert view.dag.value.count('data-state="succeeded"') == 2


def test_tags_and_notes_are_added_from_the_view_and_shown_in_its_header(client, notebook_layer):
    """Issue 26, item 7: a tag and a note typed in the run view land in the run's record
    (searchable) and show in the view's header and its saved snapshot."""
    import flowlab

    run = workflows.two_steps.launch(seconds=0.0, value=time.time())
    view = RunView(run)
    view.wait_shown(timeout=120)
    view.tag_box.value = "keeper"
    view.note_box.value = "depth 4 is enough"
    assert view.tag_box.value == "" and view.note_box.value == ""
    stored = flowlab.get_run(run.id)
    assert "keeper" in stored.tags and "depth 4 is enough" in stored.notes
    assert "flowlab-tag" in view.header.value and ">keeper<" in view.header.value
    assert "depth 4 is enough" in view.header.value
    assert ">keeper<" in view.snapshot_html()
    assert run.id in flowlab.runs('tag = "keeper"').ids
    view.tag_box.value = "   "  # nothing typed: nothing added
    assert flowlab.get_run(run.id).tags.count("keeper") == 1


def test_failed_run_shows_failing_operator_traceback_and_logs(client, notebook_layer):
    run = workflows.breaks.launch(x=float(time.time()))
    view = RunView(run).wait_shown(timeout=60)
    details = view.details.value
    assert "operator <b>explode</b> failed" in details
    assert "ValueError" in details and "cannot take" in details
    logs = "".join(child.value for child in view.logs.children)
    assert "about to explode" in logs and "exploding on purpose" in logs
    assert 'data-state="failed"' in view.dag.value


def test_failed_run_counts_by_state_and_collapses_the_traceback(client, notebook_layer):
    run = workflows.mixed.launch(x=float(time.time()))
    view = RunView(run).wait_shown(timeout=60)
    assert "2 succeeded · 1 failed · 1 cancelled" in view.progress_label.value
    details = view.details.value
    # the error line is shown; the traceback is collapsed and holds the operator's own frames
    assert "<code>ValueError: cannot take" in details
    assert "<details class='flowlab-traceback'>" in details and "<details open" not in details
    assert "workflows.py" in details and "explode" in details
    assert (
        "flowlab/core/worker/task.py" not in details
        and "frame(s) of flowlab and Dask hidden" in details
    )


def test_logs_are_per_operator_collapsed_with_their_tail(client, notebook_layer):
    run = workflows.mixed.launch(x=float(time.time()))
    view = RunView(run).wait_shown(timeout=60)
    blocks = {c.value.split('data-node="')[1].split('"')[0]: c.value for c in view.logs.children}
    assert set(blocks) == {"chatty", "explode"}
    chatty = blocks["chatty"]
    assert chatty.startswith('<details class="flowlab-logs"') and "<details open" not in chatty
    assert "(30 lines)" in chatty and "step 29 of 30</code>" in chatty  # the last line shown
    assert "step 29 of 30" in chatty and "step 0 of 30" not in chatty  # the tail only
    assert "[… 10 earlier lines]" in chatty


def test_buttons_follow_the_state_and_resume_and_rerun_start_new_runs(client, notebook_layer):
    run = workflows.mixed.launch(x=float(time.time()))
    view = RunView(run)
    assert view.cancel_button.layout.display != "none" or run.done
    view.wait_shown(timeout=60)
    assert view.cancel_button.layout.display == "none"
    assert view.resume_button.layout.display != "none"
    view.resume_button.click()
    resumed = view.spawned[-1]
    assert resumed.parent == run.id and "resumed as run" in view.message.value
    resumed.wait(timeout=60)
    assert resumed.operators["chatty"].state == "cached"  # succeeded operators are reused
    view.rerun_button.click()
    rerun = view.spawned[-1]
    assert rerun.parent == run.id and rerun.id != resumed.id
    assert isinstance(view.variant_area.children[0], RunView)
    assert view.variant_area.children[0].run.id == rerun.id
    rerun.wait(timeout=60)


def test_cancel_button_cancels_a_running_run(client, notebook_layer):
    run = workflows.two_steps.launch(seconds=5.0, value=time.time())
    view = RunView(run)
    poll_for(
        lambda: (
            'data-state="running"' in view.table.value
            and view.cancel_button.layout.display != "none"
        ),
        what="the view to show the run running, with its Cancel button",
        every=0.02,
    )
    view.cancel_button.click()
    view.wait_shown(timeout=60)
    assert run.status == "cancelled"
    assert "cancelled" in view.progress_label.value
    assert view.resume_button.layout.display != "none"


def test_run_displays_as_its_view_snapshot(client, notebook_layer):
    run = workflows.two_steps.launch(seconds=0.01, value=time.time())
    run.wait(timeout=60)
    shown = run._repr_html_()
    assert 'data-status="succeeded"' in shown and "2 succeeded" in shown
    assert "flowlab-dag" in shown and 'data-output="first"' in shown


def test_view_of_a_stored_run_reads_the_store(client, store, notebook_layer):
    launched = workflows.two_steps.launch(seconds=0.1, value=time.time())
    launched.wait(timeout=60)
    poll_for(
        lambda: store.get_run(launched.id)["status"] == "succeeded",
        what="the tracker's last write of the run",
    )
    stored = Run(store.get_run(launched.id), store=store)
    view = RunView(stored).wait_shown(timeout=10)
    assert 'data-status="succeeded"' in view.header.value
    assert "first" in view.details.value


def test_view_never_writes_to_the_cell_output(client, notebook_layer, capsys):
    run = workflows.two_steps.launch(seconds=0.2, value=time.time())
    RunView(run).wait_shown(timeout=60)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
