"""notebooks/01_iris.ipynb in JupyterLab, in a real browser: run it, use its form, Launch."""

from __future__ import annotations

import pytest

from tests.browser.conftest import lab_url

pytestmark = pytest.mark.browser


def _accept_kernel_dialog(page) -> None:
    """JupyterLab may ask which kernel to start; take the notebook's own (python3)."""
    dialog = page.locator(".jp-Dialog button.jp-mod-accept")
    try:
        dialog.wait_for(timeout=15_000)
    except Exception:
        return
    dialog.click()


def test_iris_form_validates_launches_and_shows_logloss_and_predictions(
    jupyterlab, browser, artifacts_dir
):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(60_000)
    try:
        page.goto(lab_url(jupyterlab, "01_iris.ipynb"))
        page.locator(".jp-Notebook").first.wait_for()
        _accept_kernel_dialog(page)
        expect(page.locator(".jp-StatusBar-TextItem", has_text="Idle").first).to_be_visible(
            timeout=90_000
        )
        # a fresh kernel runs every cell, top to bottom
        page.locator("#jp-MainMenu").get_by_text("Run", exact=True).click()
        page.locator(".lm-Menu").get_by_text("Restart Kernel and Run All Cells…").click()
        page.locator(".jp-Dialog button.jp-mod-accept").click()
        # the last cells ran: the Python-launched run finished and printed its logloss
        expect(page.get_by_text("succeeded, logloss")).to_be_visible(timeout=180_000)
        # the form's messages come from the kernel, which answers widgets only between cells:
        # wait until every cell has run before typing (a busy kernel left the old message)
        expect(page.locator(".jp-StatusBar-TextItem", has_text="Idle").first).to_be_visible(
            timeout=180_000
        )

        form = page.locator(".flowlab-form").first
        form.scroll_into_view_if_needed()  # the notebook draws only the cells in view
        depth = form.locator(".flowlab-input-max_depth input")
        message = form.locator(".flowlab-input-max_depth .flowlab-message")
        launch = form.locator("button.flowlab-launch")
        expect(launch).to_be_enabled()

        # bad input: the message shows next to the field and nothing launches
        depth.fill("0")
        depth.press("Tab")
        expect(message).to_contain_text("below the minimum 1", timeout=30_000)
        expect(launch).to_be_disabled()
        launch.click(force=True)
        page.wait_for_timeout(1000)
        expect(form.locator(".flowlab-run")).to_have_count(0)

        # a good value: Launch, then the rendered outputs appear in the run view
        depth.fill("2")
        depth.press("Tab")
        expect(message).to_contain_text("✓", timeout=30_000)
        expect(launch).to_be_enabled()
        launch.click()
        view = form.locator(".flowlab-run")
        expect(view.locator(".flowlab-run-status[data-status='succeeded']")).to_be_visible(
            timeout=120_000
        )
        logloss = view.locator(".flowlab-output[data-output='logloss']")
        expect(logloss).to_contain_text("logloss")
        expect(logloss).to_contain_text("lower is better")
        predictions = view.locator(".flowlab-output[data-output='predictions']")
        expect(predictions).to_contain_text("DATASET")
        expect(predictions.locator("table")).to_be_visible()
        expect(view.locator("svg.flowlab-dag")).to_be_visible()
        predictions.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts_dir / "browser-01_iris.png"), full_page=False)
    except Exception:
        page.screenshot(path=str(artifacts_dir / "browser-01_iris-failure.png"))
        raise
    finally:
        page.close()
