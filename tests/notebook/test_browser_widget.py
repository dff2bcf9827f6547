"""The run browser: query, sort, saved searches, tick -> compare, click -> run view."""

from __future__ import annotations

import re
import time

import pytest

import flowlab
from flowlab.notebook.browser import RunBrowser, header_label
from flowlab.notebook.runview import RunView
from tests.notebook import workflows
from tests.polling import poll_for


@pytest.fixture(scope="module")
def three_runs(client, notebook_layer):
    stamp = float(int(time.time()))
    runs = [
        workflows.two_steps.launch(seconds=0.01, value=stamp + v, tags=["browser-test"])
        for v in (3.0, 1.0, 2.0)
    ]
    for run in runs:
        run.wait(timeout=60)
    ids = {run.id for run in runs}
    poll_for(
        lambda: ids <= set(flowlab.runs('tag = "browser-test" and status = "succeeded"').ids),
        what="the three runs' final records in the store",
    )
    return runs


def test_search_box_uses_the_store_query_language(three_runs):
    browser = RunBrowser('workflow = "two_steps" and tag = "browser-test"')
    assert set(browser.run_ids) == {r.id for r in three_runs}
    browser.search_box.value = 'tag = "browser-test" and outputs.first < 0'
    assert browser.run_ids == []
    browser.search_box.value = "status = = 1"
    assert "column" in browser.message.value  # the query error points at the mistake
    assert browser.run_ids == []


def test_table_sorts_by_a_column_and_reverses(three_runs):
    browser = RunBrowser('tag = "browser-test"')
    assert "outputs.first" in browser.columns()
    browser.sort("outputs.first")
    values = [r.record["outputs"]["first"] for r in browser.runs]
    assert values == sorted(values)
    browser.sort("outputs.first")
    assert [r.record["outputs"]["first"] for r in browser.runs] == sorted(values, reverse=True)


def test_ticked_runs_compare_and_a_click_opens_the_run_view(three_runs):
    browser = RunBrowser('tag = "browser-test"')
    browser.tick(browser.run_ids[:2])
    browser.compare_button.click()
    shown = browser.detail.children[0].table.value
    assert "flowlab-compare" in shown and browser.run_ids[0] in shown
    opener = next(
        c for c in browser.table.children if getattr(c, "description", "") == browser.run_ids[2]
    )
    opener.click()
    view = browser.detail.children[0]
    assert isinstance(view, RunView) and view.run.id == browser.run_ids[2]


def test_saved_searches_are_listed_and_run(three_runs):
    browser = RunBrowser('tag = "browser-test" and outputs.first > 0')
    browser.save_name.value = "browser test runs"
    browser.save_button.click()
    assert "browser test runs" in [e["name"] for e in flowlab.searches.list()]
    other = RunBrowser('tag = "nothing-has-this"')
    assert other.run_ids == []
    other.saved.value = "browser test runs"
    assert set(other.run_ids) == {r.id for r in three_runs}
    assert other.search_box.value == 'tag = "browser-test" and outputs.first > 0'


def test_baseline_is_chosen_in_the_comparison_dropdown(three_runs):
    browser = RunBrowser('tag = "browser-test"')
    browser.tick(browser.run_ids)
    browser.compare_button.click()
    view = browser.detail.children[0]
    first, second = view.comparison.run_ids[:2]
    assert view.baseline.value == first and f"{first} <i>(baseline)</i>" in view.table.value
    view.baseline.value = second
    assert view.comparison.baseline == second
    assert f"{second} <i>(baseline)</i>" in view.table.value
    assert f"{first} <i>(baseline)</i>" not in view.snapshot_html()
    # the baseline is the first run column, right after the row labels, wherever it was
    assert re.findall(r'data-run="([^"]+)"', view.table.value)[0] == second


def test_run_ids_are_whole_with_the_id_on_hover(three_runs):
    browser = RunBrowser('tag = "browser-test"')
    openers = [c for c in browser.table.children if "flowlab-open-run" in c._dom_classes]
    assert [o.description for o in openers] == browser.run_ids
    assert [o.tooltip for o in openers] == [f"open run {i}" for i in browser.run_ids]


def test_headers_are_the_names_with_the_full_key_on_hover(three_runs):
    browser = RunBrowser('tag = "browser-test"')
    headers = {
        c.description: c.tooltip for c in browser.table.children if "flowlab-sort" in c._dom_classes
    }
    assert headers["first"] == "outputs.first: click to sort"
    assert headers["value"] == "inputs.value: click to sort"
    assert {"id", "tags", "status"} <= set(headers)
    assert not any(label.startswith(("outputs.", "inputs.")) for label in headers)
    snapshot = browser.snapshot_html()
    assert "title='outputs.first'>first</th>" in snapshot


def test_an_input_and_an_output_of_one_name_are_told_apart():
    columns = ["id", "outputs.seed", "inputs.seed", "inputs.depth"]
    assert [header_label(c, columns) for c in columns] == ["id", "out seed", "in seed", "depth"]


@pytest.fixture(scope="module")
def long_input_run(client, notebook_layer, tmp_path_factory):
    folder = tmp_path_factory.mktemp("gates") / ("a-rather-long-folder-name-" * 8)
    folder.mkdir()
    gate = folder / "gate"
    gate.write_text("go")  # exists: the run needs no waiting, its long path is its input
    run = workflows.gated_steps.launch(gate=str(gate), value=1.0, tags=["browser-long"])
    run.wait(timeout=60)
    poll_for(
        lambda: flowlab.runs('tag = "browser-long" and status = "succeeded"').ids,
        what="the long-input run's final record in the store",
    )
    return run, str(gate)


def test_a_long_value_is_cut_at_a_bounded_width_and_whole_on_hover(long_input_run):
    run, gate = long_input_run
    browser = RunBrowser('tag = "browser-long"')
    from ipywidgets import HTML

    cell = next(c.value for c in browser.table.children if isinstance(c, HTML) and gate in c.value)
    assert f"title='{gate}'" in cell
    assert "max-width:16em" in cell and "text-overflow:ellipsis" in cell
    shown = flowlab.compare([run])._repr_html_()
    assert f'title="{gate}"' in shown and "text-overflow:ellipsis" in shown


def test_table_shows_status_colours_durations_and_local_times(three_runs):
    import datetime as dt

    from ipywidgets import HTML

    browser = RunBrowser('tag = "browser-test"')
    assert "duration" in browser.columns()
    assert "tags" in browser.columns()  # issue 26, item 7
    html_cells = [c.value for c in browser.table.children if isinstance(c, HTML)]
    assert any("browser-test" in v for v in html_cells)  # the tags column
    status = next(v for v in html_cells if 'data-status="succeeded"' in v)
    assert "background:#a1d99b" in status  # the DAG's colour for succeeded
    created = three_runs[0].record["created"]  # UTC ISO with milliseconds
    local = dt.datetime.fromisoformat(created.replace("Z", "+00:00")).astimezone()
    assert local.strftime("%H:%M:%S") in html_cells and created not in "".join(html_cells)
    assert any(v.endswith(" s</span>") for v in html_cells)  # durations in seconds
    browser.sort("duration")
    durations = [r.record for r in browser.runs]
    assert len(durations) == 3
