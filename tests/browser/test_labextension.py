"""The Flowlab sidebar in JupyterLab, in a real browser: runs made before the test are listed,
a click opens the run's detail with its metric, ticking two and Compare inserts a
``flowlab.compare([...])`` cell, and the palette command inserts a ``%%workflow`` template."""

from __future__ import annotations

import re
import shutil

import pytest

from flowlab.render import STATE_COLOURS
from tests.browser.conftest import lab_url
from tests.jupyter.installed import require_installed_extensions
from tests.jupyter.runs import make_runs

pytestmark = pytest.mark.browser


def _rgb(colour: str) -> str:
    """``#fc9272`` as the browser's computed style writes it: ``rgb(252, 146, 114)``."""
    return "rgb({}, {}, {})".format(*(int(colour[i : i + 2], 16) for i in (1, 3, 5)))


@pytest.fixture(scope="module")
def runs_before(client):
    import flowlab

    require_installed_extensions()
    made = make_runs(n_iris=2)
    flowlab.get_run(made["iris"][0]).tag("lab-detail-tag").note("a note for the lab")
    return made


def _accept_kernel_dialog(page) -> None:
    dialog = page.locator(".jp-Dialog button.jp-mod-accept")
    try:
        dialog.wait_for(timeout=15_000)
    except Exception:
        return
    dialog.click()


def _cell_sources(page) -> list[str]:
    return page.locator(".jp-NotebookPanel:visible .jp-Cell .cm-content").all_inner_texts()


def test_sidebar_lists_runs_opens_detail_compares_and_inserts_a_workflow_cell(
    runs_before, jupyterlab, browser, artifacts_dir
):
    from playwright.sync_api import expect

    first, second = runs_before["iris"]
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(30_000)
    shot = "labext-failure"
    try:
        page.goto(lab_url(jupyterlab, "01_iris.ipynb"))
        page.locator(".jp-Notebook").first.wait_for(timeout=60_000)
        _accept_kernel_dialog(page)

        # the sidebar lists the runs made before, with status and metric
        page.locator(".lm-TabBar-tab[data-id='flowlab-sidebar']").click()
        sidebar = page.locator("#flowlab-sidebar")
        item = sidebar.locator(f".flowlab-run-item[data-run='{first}']")
        expect(item).to_be_visible()
        expect(item.locator(".flowlab-status")).to_have_text("succeeded")
        expect(item).to_contain_text("logloss")
        failed = sidebar.locator(f".flowlab-run-item[data-run='{runs_before['failed']}']")
        expect(failed.locator(".flowlab-status")).to_have_text("failed")
        # badges in the colours the server gives (/flowlab/api/states), the DAG's colours
        expect(failed.locator(".flowlab-status")).to_have_css(
            "background-color", _rgb(STATE_COLOURS["failed"])
        )
        expect(sidebar.locator(".flowlab-search", has_text="good iris")).to_be_visible()
        page.screenshot(path=str(artifacts_dir / "labext-sidebar.png"))

        # a bad query shows the store's message, naming the column
        query = sidebar.locator("input.flowlab-query")
        query.fill("outputs.logloss < < 1")
        query.press("Enter")
        expect(sidebar.locator(".flowlab-query-error")).to_contain_text("column 19")
        query.fill('workflow = "iris"')
        query.press("Enter")
        expect(sidebar.locator(".flowlab-query-error")).to_have_text("")
        expect(failed).to_have_count(0)

        # click a run: its detail opens in the main area, with its metric rendered
        item.locator(".flowlab-run-label").click()
        detail = page.locator(".flowlab-run-detail:visible")
        expect(detail.locator("h2")).to_contain_text(first, timeout=60_000)
        # its tags and notes (issue 26, item 7)
        expect(detail.locator(".flowlab-annotations .flowlab-tag")).to_contain_text(
            ["lab-detail-tag"]
        )
        expect(detail.locator(".flowlab-annotations .flowlab-note")).to_have_text(
            ["a note for the lab"]
        )
        logloss = detail.locator(".flowlab-output[data-output='logloss']")
        expect(logloss).to_contain_text("logloss")
        expect(detail.locator(".flowlab-dag svg")).to_be_visible()
        # succeeded, or cached when an earlier run of the session had the same inputs
        expect(detail.locator("tr[data-node='TrainDecisionTreeOperator']")).to_have_attribute(
            "data-state", re.compile("^(succeeded|cached)$")
        )
        shot = "labext-detail"
        page.screenshot(path=str(artifacts_dir / "labext-detail.png"))

        # tick two runs, Compare: a flowlab.compare cell lands in the notebook
        compare = sidebar.locator("button.flowlab-compare")
        expect(compare).to_be_disabled()
        for run_id in (first, second):
            sidebar.locator(f".flowlab-run-item[data-run='{run_id}'] input[type=checkbox]").check()
        expect(compare).to_have_text("Compare (2)")
        compare.click()
        page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="01_iris.ipynb").click()
        expected = f'flowlab.compare(["{first}", "{second}"])'
        expect(
            page.locator(".jp-NotebookPanel:visible .jp-Cell .cm-content", has_text=expected)
        ).to_have_count(1)
        # at the notebook's end, not amid its cells (issue 26, item 10)
        last = page.locator(".jp-NotebookPanel:visible .jp-Notebook .jp-Cell").last
        expect(last.locator(".cm-content")).to_contain_text(expected)
        shot = "labext-compare"
        page.screenshot(path=str(artifacts_dir / "labext-compare.png"))

        # the palette command inserts a %%workflow template, highlighted as Python
        page.keyboard.press("Escape")
        page.keyboard.press("Control+Shift+C")
        palette = page.locator(".lm-CommandPalette-input")
        palette.fill("Flowlab: new workflow cell")
        page.locator(".lm-CommandPalette-item", has_text="Flowlab: new workflow cell").click()
        cell = page.locator(
            ".jp-NotebookPanel:visible .jp-Cell .cm-content", has_text="def my_workflow("
        )
        expect(cell).to_have_count(1)
        expect(cell).to_contain_text("%%workflow")
        keyword = cell.locator("span", has_text="def").first
        colours = keyword.evaluate(
            "span => [getComputedStyle(span).color,"
            " getComputedStyle(span.closest('.cm-content')).color]"
        )
        assert colours[0] != colours[1], f"'def' is not highlighted: {colours}"
        shot = "labext-workflow-cell"
        page.screenshot(path=str(artifacts_dir / "labext-workflow-cell.png"))
    except Exception:
        page.screenshot(path=str(artifacts_dir / f"{shot}-failure.png"))
        shutil.copy(jupyterlab["log"], artifacts_dir / "labext-jupyterlab.log")
        raise
    finally:
        page.close()
