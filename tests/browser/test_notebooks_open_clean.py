"""Opening a shipped notebook in JupyterLab leaves it unmodified: no "unsaved changes" dot on
its tab before the user changes anything (issue 26, item 10: 02_compare.ipynb was marked
modified on opening). The cause was JupyterLab filling in the kernel's full language info
(the notebooks held only its name): they now ship with it."""

from __future__ import annotations

import json
import platform
from pathlib import Path

import pytest

from tests.browser.conftest import lab_url
from tests.browser.test_notebook_in_lab import _accept_kernel_dialog

pytestmark = pytest.mark.browser

FOLDER = Path(__file__).parents[2] / "notebooks"
NOTEBOOKS = sorted(p.name for p in FOLDER.glob("*.ipynb"))


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_opening_a_notebook_leaves_it_unmodified(name, jupyterlab, browser, artifacts_dir):
    from playwright.sync_api import expect

    # JupyterLab writes the kernel's language info into the notebook when it differs; the
    # notebooks carry the one of the Python the project pins (binder/runtime.txt)
    shipped = json.loads((FOLDER / name).read_text())["metadata"]["language_info"]["version"]
    if shipped != platform.python_version():
        pytest.skip(f"{name} records Python {shipped}; this is {platform.python_version()}")
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    page.set_default_timeout(60_000)
    try:
        page.goto(lab_url(jupyterlab, name))
        page.locator(".jp-Notebook").first.wait_for()
        _accept_kernel_dialog(page)
        # the kernel started and JupyterLab has read its language info into the notebook
        expect(page.locator(".jp-StatusBar-TextItem", has_text="Idle").first).to_be_visible(
            timeout=120_000
        )
        page.wait_for_timeout(1000)  # a late change of the model would mark the tab by now
        tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=name)
        expect(tab).to_have_count(1)
        classes = tab.get_attribute("class") or ""
        assert "jp-mod-dirty" not in classes, f"{name} is marked modified on opening: {classes}"
    except Exception:
        page.screenshot(path=str(artifacts_dir / f"open-clean-{name}.png"))
        raise
    finally:
        page.close()
