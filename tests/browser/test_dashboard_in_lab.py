"""The palette command "Flowlab: open dashboard" in a real browser: the dashboard (``flowlab
ui``, started by the server) opens in a JupyterLab tab and lists the runs of the server's
store; when it cannot start, a dialog says why."""

from __future__ import annotations

import re
import secrets

import pytest

from tests.jupyter.runs import make_runs
from tests.jupyter_app import running_jupyter

pytestmark = pytest.mark.browser


def _lab(lab: dict) -> str:
    """JupyterLab in a fresh workspace of its own (no notebook: the launcher)."""
    return f"{lab['url']}/lab/workspaces/t{secrets.token_hex(4)}?token={lab['token']}"


def _open_dashboard(page, focus: str = "Launcher") -> None:
    """Run the palette command, JupyterLab's keyboard focus on the main-area tab ``focus``."""
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=focus)
    tab.wait_for(timeout=90_000)
    tab.click()
    page.keyboard.press("Control+Shift+C")
    page.locator(".lm-CommandPalette-input").fill("Flowlab: open dashboard")
    page.locator(".lm-CommandPalette-item", has_text="Flowlab: open dashboard").click()


def test_open_dashboard_shows_the_dashboard_with_the_servers_runs_in_a_tab(
    client, jupyterlab, browser, artifacts_dir
):
    from playwright.sync_api import expect

    made = make_runs(n_iris=1)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(30_000)
    shot = "labext-dashboard"
    try:
        page.goto(_lab(jupyterlab))
        _open_dashboard(page)
        # the server starts the dashboard on first use (Panel's imports: seconds)
        tab = page.locator("#flowlab-dashboard")
        page.locator("#flowlab-dashboard, .jp-Dialog").first.wait_for(timeout=240_000)
        dialog = page.locator(".jp-Dialog")
        assert dialog.count() == 0, f"the dashboard did not open: {dialog.inner_text()}"
        frame = tab.locator("iframe")
        expect(frame).to_have_attribute("src", re.compile(r"^http://127\.0\.0\.1:\d+"))
        # the runs page shows each run's id as text: the dashboard reads the server's store
        inside = tab.frame_locator("iframe")
        expect(inside.get_by_text(made["iris"][0]).first).to_be_visible(timeout=120_000)
        page.screenshot(path=str(artifacts_dir / f"{shot}.png"))
        # a second command shows the same tab, not a second dashboard
        _open_dashboard(page, focus="Flowlab dashboard")
        expect(page.locator("#flowlab-dashboard")).to_have_count(1)
        expect(tab).to_be_visible()
    except Exception:
        page.screenshot(path=str(artifacts_dir / f"{shot}-failure.png"))
        raise
    finally:
        page.close()


def test_open_dashboard_that_cannot_start_says_why_in_a_dialog(
    client, browser, artifacts_dir, tmp_path
):
    from playwright.sync_api import expect

    env = {"FLOWLAB_DASHBOARD_PORT": "eighty"}
    with running_jupyter("lab", tmp_path, env) as lab:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(30_000)
        try:
            page.goto(_lab(lab))
            _open_dashboard(page)
            dialog = page.locator(".jp-Dialog")
            expect(dialog).to_contain_text("Flowlab: open dashboard", timeout=60_000)
            expect(dialog).to_contain_text("FLOWLAB_DASHBOARD_PORT")
            page.screenshot(path=str(artifacts_dir / "labext-dashboard-error.png"))
            expect(page.locator("#flowlab-dashboard")).to_have_count(0)
        finally:
            page.close()
