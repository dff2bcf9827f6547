"""The run view, the comparison and the saved snapshots in JupyterLab, in a real browser
(issue 12, items 1 and 6). Screenshots go to test-artifacts/: look at them."""

from __future__ import annotations

import re
import time

import nbformat
import pytest

from tests.browser.conftest import lab_url
from tests.browser.test_notebook_in_lab import _accept_kernel_dialog
from tests.polling import poll_for

pytestmark = pytest.mark.browser

CELLS = [
    "%load_ext flowlab\nimport time, flowlab\nfrom tests.notebook import workflows\n"
    "from flowlab.notebook import RunView\nfrom flowlab.notebook.comparison import ComparisonView",
    # runs until the test opens its gate: its running state is seen however slow the machine
    "ok = workflows.gated_steps.launch(gate={gate!r}, value=time.time(), tags=['slow'])\n"
    "RunView(ok)",
    "bad = workflows.mixed.launch(x=time.time())\nRunView(bad)",
    "ok.wait(); bad.wait()\n"
    "other = workflows.two_steps.launch(seconds=0.1, value=1.5, tags=['other'])\n"
    "other.wait()\nComparisonView(flowlab.compare([ok, other], baseline=ok))",
]


@pytest.fixture
def run_view_notebook(jupyterlab):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    name = f"run_view_{int(time.time())}.ipynb"
    gate = jupyterlab["root"] / f"{name}.gate"
    notebook.cells = [nbformat.v4.new_code_cell(source.format(gate=str(gate))) for source in CELLS]
    nbformat.write(notebook, jupyterlab["root"] / name)
    return name


def _shoot(page, locator, path) -> None:
    """A screenshot of what the user sees of ``locator``: scrolled into view, clipped to it
    (again if the view was redrawn meanwhile, which detaches the element found first)."""
    from playwright.sync_api import Error

    def shot() -> bool:
        try:
            locator.scroll_into_view_if_needed(timeout=10_000)
            page.wait_for_timeout(300)  # the scroll settles before the picture
            box = locator.bounding_box(timeout=10_000)
            page.screenshot(path=str(path), clip=box)
        except Error:
            return False
        return True

    poll_for(shot, 60, what=f"a screenshot {path.name} of a view that stays attached")


def _output(page, index: int):
    return page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".jp-OutputArea")


def _snapshot_statuses(notebook) -> list[str]:
    """The run statuses the saved snapshots show (the HTML a notebook shows with no kernel)."""
    from flowlab.notebook.snapshot import MARKER

    statuses = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            shown = str((output.get("data") or {}).get("text/html", ""))
            if MARKER in shown:
                statuses += re.findall(r'class="flowlab-run-status" data-status="(\w+)"', shown)
    return statuses


def _save_until(page, path, done, timeout: float = 60.0):
    """Save the notebook (Ctrl+S) until the file on disk satisfies ``done``; the notebook."""
    last = []

    def saved():
        before = path.stat().st_mtime_ns
        page.keyboard.press("Control+s")
        poll_for(
            lambda: path.stat().st_mtime_ns != before,
            timeout,
            what=f"{path.name} to be written by the save",
            every=0.2,
        )
        last[:] = [nbformat.read(path, as_version=4)]
        return last[0] if done(last[0]) else None

    try:
        return poll_for(saved, timeout, what=f"{path.name} saved with the expected snapshots")
    except AssertionError as exc:
        statuses = _snapshot_statuses(last[0]) if last else "never saved"
        raise AssertionError(f"{exc}; its run statuses: {statuses}") from None


def test_run_view_counts_logs_buttons_traceback_and_saved_snapshot(
    jupyterlab, browser, artifacts_dir, run_view_notebook
):
    from nbconvert import HTMLExporter
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.set_default_timeout(60_000)
    try:
        page.goto(lab_url(jupyterlab, f"{run_view_notebook}"))
        page.locator(".jp-Notebook").first.wait_for()
        _accept_kernel_dialog(page)
        expect(page.locator(".jp-StatusBar-TextItem", has_text="Idle").first).to_be_visible(
            timeout=90_000
        )
        page.locator("#jp-MainMenu").get_by_text("Run", exact=True).click()
        page.locator(".lm-Menu").get_by_text("Run All Cells", exact=True).click()

        # running: one operator running, Cancel offered, no Resume yet
        running = _output(page, 1).locator(".flowlab-run").first
        expect(running.locator(".flowlab-run-status[data-status='running']")).to_be_visible(
            timeout=120_000
        )
        expect(running.locator(".flowlab-counts")).to_contain_text("1 running", timeout=60_000)
        expect(running.locator(".flowlab-cancel")).to_be_visible()
        expect(running.locator(".flowlab-resume")).to_be_hidden()
        _shoot(page, running, artifacts_dir / "run-view-running.png")
        (jupyterlab["root"] / f"{run_view_notebook}.gate").write_text("go")

        # succeeded: counts by state, outputs, Rerun offered, Cancel gone
        expect(running.locator(".flowlab-run-status[data-status='succeeded']")).to_be_visible(
            timeout=120_000
        )
        expect(running.locator(".flowlab-counts")).to_have_text("2 succeeded")
        expect(running.locator(".flowlab-output[data-output='second']")).to_be_visible()
        expect(running.locator(".flowlab-rerun")).to_be_visible()
        expect(running.locator(".flowlab-cancel")).to_be_hidden()
        expect(running.locator("svg.flowlab-dag .flowlab-arrowhead")).to_have_count(1)
        _shoot(page, running, artifacts_dir / "run-view-succeeded.png")

        # failed: counts by state, the error line shown, the traceback collapsed, logs collapsed
        failed = _output(page, 2).locator(".flowlab-run").first
        expect(failed.locator(".flowlab-run-status[data-status='failed']")).to_be_visible(
            timeout=120_000
        )
        expect(failed.locator(".flowlab-counts")).to_have_text(
            "2 succeeded · 1 failed · 1 cancelled"
        )
        expect(failed.locator(".flowlab-error-line")).to_contain_text(
            "operator explode failed: ValueError: cannot take"
        )
        traceback = failed.locator("details.flowlab-traceback pre")
        expect(traceback).to_be_hidden()
        expect(failed.locator(".flowlab-resume")).to_be_visible()
        expect(failed.locator(".flowlab-rerun")).to_be_visible()
        logs = failed.locator("details.flowlab-logs[data-node='chatty']")
        expect(logs.locator("summary")).to_contain_text("step 29 of 30")  # the tail's last line
        expect(logs.locator("pre")).to_be_hidden()
        _shoot(page, failed, artifacts_dir / "run-view-failed.png")
        failed.locator("details.flowlab-traceback summary").click()
        expect(traceback).to_be_visible()
        expect(traceback).to_contain_text("workflows.py")
        expect(traceback).not_to_contain_text("flowlab/core/worker/task.py")
        logs.locator("summary").click()
        expect(logs.locator("pre")).to_contain_text("step 10 of 30")
        _shoot(page, failed, artifacts_dir / "run-view-failed-expanded.png")
        failed.locator(".flowlab-resume").click()
        expect(failed.locator(".flowlab-view-message").first).to_contain_text("resumed as run")
        resumed = failed.locator(".flowlab-run").nth(0)  # the new run's view
        expect(resumed).to_be_visible()

        # the comparison: headed by tags, seed, duration; the baseline is chosen in a dropdown
        comparison = _output(page, 3).locator(".flowlab-comparison")
        expect(comparison.locator("table.flowlab-compare")).to_be_visible(timeout=120_000)
        expect(comparison.locator("tr.flowlab-run-tags")).to_contain_text("slow")
        expect(comparison.locator("tr.flowlab-run-seed")).to_be_visible()
        expect(comparison.locator("tr.flowlab-run-duration")).to_contain_text(" s")
        _shoot(page, comparison, artifacts_dir / "comparison.png")
        comparison.locator(".flowlab-baseline select").select_option(index=1)
        expect(comparison.locator("thead th[data-run] i")).to_have_count(1)
        expect(comparison.locator("thead th[data-run]").nth(0)).to_contain_text("(baseline)")

        # saved, then rendered with no kernel: the snapshots show the final states. The resumed
        # run fails in the background, after the kernel is idle: save once its view shows it
        # (it fails again, as it should), and save again until its snapshot has reached the
        # file (the snapshot follows the live view by one message).
        expect(page.locator(".jp-StatusBar-TextItem", has_text="Idle").first).to_be_visible(
            timeout=120_000
        )
        expect(resumed.locator(".flowlab-run-status[data-status='failed']")).to_be_visible(
            timeout=120_000
        )
        saved = _save_until(
            page,
            jupyterlab["root"] / run_view_notebook,
            lambda nb: _snapshot_statuses(nb).count("failed") == 2,
        )
        # the server's pre_save_hook kept the snapshots and dropped the dead widget views
        assert "application/vnd.jupyter.widget-view+json" not in str(saved)
        assert "flowlab-snapshot" in str(saved)
        body, _ = HTMLExporter().from_notebook_node(saved)
        static = browser.new_page(viewport={"width": 1300, "height": 1000})
        try:
            static.set_content(body, wait_until="domcontentloaded")
            snapshots = static.locator(".flowlab-snapshot")
            expect(snapshots.first).to_be_visible()
            expect(
                static.locator(".flowlab-snapshot .flowlab-run-status[data-status='succeeded']")
            ).to_have_count(1)
            # the failed run, and the run resumed from its view (it fails again, as it should)
            expect(
                static.locator(".flowlab-snapshot .flowlab-run-status[data-status='failed']")
            ).to_have_count(2)
            expect(static.get_by_text("Error displaying widget")).to_have_count(0)
            static.screenshot(path=str(artifacts_dir / "saved-notebook-static.png"), full_page=True)
        finally:
            static.close()
    except Exception:
        page.screenshot(path=str(artifacts_dir / "run-view-failure.png"))
        raise
    finally:
        # never leave the gated operator holding a worker of the session's cluster
        (jupyterlab["root"] / f"{run_view_notebook}.gate").write_text("go")
        page.close()
