"""A run link in a sweep's view in a JupyterLab notebook opens the run's detail beside the
notebook and never navigates the page (issue 26, item 1), where a dataset input reads as its
catalog name (item 8): before, each id of the "top" table
was a relative link that replaced JupyterLab with "Could not find path", losing every live
form and run view. Screenshots go to test-artifacts/."""

from __future__ import annotations

import time

import nbformat
import pytest

from tests.browser.conftest import lab_url
from tests.browser.test_notebook_in_lab import _accept_kernel_dialog
from tests.jupyter.installed import require_installed_extensions

pytestmark = pytest.mark.browser

CELLS = [
    "import flowlab\nfrom flowlab.library import data\nfrom tests.notebook import workflows\n"
    "frame = data.iris()\n"
    "flowlab.datasets.register('iris_links', frame)\n"
    "flowlab.datasets.register('iris_links_unlabeled', frame.drop(columns='species').head(9))",
    "sweep = workflows.iris_form.sweep(grid={'max_depth': [2, 3]}, labeled_data='iris_links',\n"
    "    unlabeled_data='iris_links_unlabeled', features=['petal_width', 'sepal_width'])\n"
    "sweep.wait()\nsweep",
]


def test_a_run_link_in_a_sweep_view_opens_the_run_beside_the_notebook(
    jupyterlab, browser, artifacts_dir
):
    from playwright.sync_api import expect

    require_installed_extensions()
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    name = f"run_links_{int(time.time())}.ipynb"
    nbformat.write(notebook, jupyterlab["root"] / name)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(60_000)
    try:
        page.goto(lab_url(jupyterlab, name))
        page.locator(".jp-Notebook").first.wait_for()
        _accept_kernel_dialog(page)
        expect(page.locator(".jp-StatusBar-TextItem", has_text="Idle").first).to_be_visible(
            timeout=120_000
        )
        page.locator("#jp-MainMenu").get_by_text("Run", exact=True).click()
        page.locator(".lm-Menu").get_by_text("Run All Cells", exact=True).click()
        link = page.locator(".jp-OutputArea a[data-flowlab-run]").first
        expect(link).to_be_visible(timeout=300_000)
        run_id = link.get_attribute("data-flowlab-run")
        link.click()
        detail = page.locator(".flowlab-run-detail")
        expect(detail).to_be_visible()
        expect(detail).to_contain_text(run_id)
        # a dataset input reads as its catalog name and hash, never the record's JSON
        data_row = detail.locator("tr", has_text="labeled_data").first
        expect(data_row).to_contain_text("iris_links · sha256:")
        expect(detail).not_to_contain_text("$uri")
        # still the same page: no "Could not find path", the notebook and its outputs are there
        assert "run?id=" not in page.url, page.url
        expect(page.locator(".jp-Dialog")).to_have_count(0)
        expect(page.locator(".jp-OutputArea a[data-flowlab-run]").first).to_be_attached()
        page.screenshot(path=str(artifacts_dir / "lab-run-link-opens-detail.png"))
    except Exception:
        page.screenshot(path=str(artifacts_dir / "lab-run-link-failure.png"))
        raise
    finally:
        page.close()
