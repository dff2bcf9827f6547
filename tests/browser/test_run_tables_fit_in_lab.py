"""The run browser and the comparison fit a JupyterLab notebook at its default width, in a real
browser (issue 26, item 5): whole run ids, readable headers, a tags column; the baseline and the
row labels in view while the runs scroll sideways inside the output; a long value cut at a
bounded width. Screenshots go to test-artifacts/: look at them."""

from __future__ import annotations

import time

import nbformat
import pytest

from tests.browser.conftest import lab_url
from tests.browser.test_notebook_in_lab import _accept_kernel_dialog
from tests.browser.test_run_view_in_lab import _output, _shoot

pytestmark = pytest.mark.browser

RUNS = 8
WIDEST_CELL_PX = 320  # a column is never wider than this, whatever the value it shows

CELLS = [
    "import flowlab\nfrom tests.notebook import workflows\n"
    "from flowlab.notebook.browser import RunBrowser\n"
    "from flowlab.notebook.comparison import ComparisonView",
    # the gate exists already, so each run finishes at once; its long path is the long input
    "runs = [\n"
    "    workflows.gated_steps.launch(gate={gate!r}, value=i + 0.5,\n"
    "                                 tags=[{tag!r}, f'variant-{{i}}'])\n"
    "    for i in range({runs})\n"
    "]\n"
    "for run in runs:\n"
    "    run.wait()\n"
    "RunBrowser('tag = \"{tag}\"', order_by='created')",
    # the baseline is the last run: it was the column past the right edge
    "ComparisonView(flowlab.compare(runs, baseline=runs[-1]))",
]


@pytest.fixture
def tables_notebook(jupyterlab):
    stamp = int(time.time())
    tag = f"fit-{stamp}"
    folder = jupyterlab["root"] / "experiments" / ("a-rather-long-folder-name-" * 8)
    folder.mkdir(parents=True, exist_ok=True)
    gate = folder / "gate-file-of-a-run-that-needs-no-waiting"
    gate.write_text("go")
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    notebook.cells = [
        nbformat.v4.new_code_cell(source.format(gate=str(gate), tag=tag, runs=RUNS))
        for source in CELLS
    ]
    name = f"run_tables_{stamp}.ipynb"
    nbformat.write(notebook, jupyterlab["root"] / name)
    return {"name": name, "gate": str(gate), "tag": tag}


# the boxes the test reasons about, read from the page: (left, right, width) in pixels
_BOX = "e => { const r = e.getBoundingClientRect(); return [r.left, r.right, r.width]; }"
_CUT = "e => e.scrollWidth > e.clientWidth + 1"  # the text is wider than the box: cut


def _box(locator) -> tuple[float, float, float]:
    return tuple(locator.evaluate(_BOX))


def _inside(inner, outer) -> bool:
    return inner[0] >= outer[0] - 1 and inner[1] <= outer[1] + 1


def test_run_browser_and_comparison_fit_the_notebook(
    jupyterlab, browser, artifacts_dir, tables_notebook
):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(60_000)
    try:
        page.goto(lab_url(jupyterlab, tables_notebook["name"]))
        page.locator(".jp-Notebook").first.wait_for()
        _accept_kernel_dialog(page)
        expect(page.locator(".jp-StatusBar-TextItem", has_text="Idle").first).to_be_visible(
            timeout=90_000
        )
        page.locator("#jp-MainMenu").get_by_text("Run", exact=True).click()
        page.locator(".lm-Menu").get_by_text("Run All Cells", exact=True).click()

        # -- the run browser: whole ids, readable headers, a tags column, inside the output
        output = _output(page, 1)
        browser_view = output.locator(".flowlab-browser")
        openers = browser_view.locator("button.flowlab-open-run")
        expect(openers).to_have_count(RUNS, timeout=180_000)
        _shoot(page, browser_view, artifacts_dir / "run-browser-in-lab.png")
        area = _box(output.locator(".jp-OutputArea-output").first)
        assert _inside(_box(browser_view), area), "the run browser is wider than its output"
        for index in range(RUNS):
            opener = openers.nth(index)
            run_id = opener.get_attribute("title").split()[-1]
            assert opener.inner_text().strip() in run_id, "the id shown is the run's id"
            assert not opener.evaluate(_CUT), f"run id {run_id} is cut: {opener.inner_text()!r}"
        headers = browser_view.locator("button.flowlab-sort")
        labels = [h.strip() for h in headers.all_inner_texts()]
        assert "tags" in labels and "first" in labels and "gate" in labels, labels
        assert not any(label.endswith("…") for label in labels), labels
        for index in range(headers.count()):
            header = headers.nth(index)
            assert not header.evaluate(_CUT), f"header {header.inner_text()!r} is cut"
        first = headers.nth(labels.index("first"))
        assert "outputs.first" in first.get_attribute("title")  # the full key on hover
        tag_cells = browser_view.locator(".flowlab-cell", has_text=tables_notebook["tag"])
        expect(tag_cells).to_have_count(RUNS)
        long_cell = browser_view.locator(".flowlab-cell", has_text="a-rather-long").first
        assert long_cell.get_attribute("title") == tables_notebook["gate"]  # whole on hover
        assert long_cell.evaluate(_CUT)  # cut, not as wide as its text
        assert _box(long_cell)[2] <= WIDEST_CELL_PX
        # the columns past the edge scroll inside the output; the ticks and ids stay put
        scroller = browser_view.locator(".flowlab-browser-scroll")
        assert scroller.evaluate("e => e.scrollWidth > e.clientWidth"), (
            "the run browser fits without scrolling: the test no longer tests scrolling"
        )
        id_before = _box(openers.first)
        scroller.evaluate("e => { e.scrollLeft = e.scrollWidth; }")
        assert _box(headers.last)[1] <= area[1] + 1  # the last column, inside the output
        assert abs(_box(openers.first)[0] - id_before[0]) <= 1, "the run ids scrolled away"
        _shoot(page, browser_view, artifacts_dir / "run-browser-in-lab-scrolled.png")

        # -- the comparison: baseline first and in view, row labels sticky, bounded cells
        output = _output(page, 2)
        comparison = output.locator(".flowlab-comparison")
        table = comparison.locator("table.flowlab-compare")
        expect(table).to_be_visible(timeout=120_000)
        expect(table.locator("thead th[data-run]")).to_have_count(RUNS)
        _shoot(page, comparison, artifacts_dir / "comparison-in-lab.png")
        area = _box(output.locator(".jp-OutputArea-output").first)
        scroller = comparison.locator(".flowlab-compare-scroll")
        assert _inside(_box(scroller), area), "the comparison is wider than its output"
        assert scroller.evaluate("e => e.scrollWidth > e.clientWidth"), (
            f"{RUNS} runs fit without scrolling: the test no longer tests scrolling"
        )
        baseline = table.locator("thead th[data-run]").first
        expect(baseline).to_contain_text("(baseline)")
        baseline_id = baseline.get_attribute("data-run")
        assert baseline_id == baseline.get_attribute("title")
        assert baseline_id in baseline.inner_text() and not baseline.evaluate(_CUT)
        label = table.locator("tr", has_text="gate").locator("th").first
        label_before, baseline_before = _box(label), _box(baseline)
        assert _inside(label_before, area) and _inside(baseline_before, area)
        assert label_before[1] <= baseline_before[0] + 1  # the labels, then the baseline
        widths = table.locator("td, th:not([colspan])").evaluate_all(
            "cells => cells.map(c => c.getBoundingClientRect().width)"
        )
        assert max(widths) <= WIDEST_CELL_PX, f"a column is {max(widths):.0f} px wide"
        long_value = table.locator("td", has_text="a-rather-long").first
        assert long_value.get_attribute("title") == tables_notebook["gate"]
        assert long_value.evaluate(_CUT)

        scroller.evaluate("e => { e.scrollLeft = e.scrollWidth; }")
        last = table.locator("thead th[data-run]").last
        expect(last).to_be_in_viewport()
        assert _box(last)[1] <= area[1] + 1  # scrolled inside the output, not the page
        label_after, baseline_after = _box(label), _box(baseline)
        assert abs(label_after[0] - label_before[0]) <= 1, "the row labels scrolled away"
        assert abs(baseline_after[0] - baseline_before[0]) <= 1, "the baseline scrolled away"
        _shoot(page, comparison, artifacts_dir / "comparison-in-lab-scrolled.png")
    except Exception:
        page.screenshot(path=str(artifacts_dir / "run-tables-failure.png"))
        raise
    finally:
        page.close()
