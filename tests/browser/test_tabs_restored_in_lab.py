"""The dashboard's tab and a run's tab come back after a page reload, as JupyterLab's own tabs do
(issue 26, item 10): each kind of tab has a tracker that the layout restorer saves in the
workspace and reopens through the same open command; opening a run that has a tab focuses it
instead of opening a second one. Screenshots go to test-artifacts/."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest

from tests.browser.test_dashboard_in_lab import _lab, _open_dashboard
from tests.jupyter.runs import make_runs
from tests.polling import poll_for

pytestmark = pytest.mark.browser


def _saved_main_area(lab: dict, workspace: str) -> str:
    """The main area's tabs as JupyterLab last saved them in ``workspace`` (JSON text)."""
    url = f"{lab['url']}/lab/api/workspaces/{workspace}?token={lab['token']}"
    with urllib.request.urlopen(url, timeout=10) as answer:
        data = json.load(answer).get("data", {})
    return json.dumps((data.get("layout-restorer:data") or {}).get("main"))


def _show_sidebar(page) -> None:
    """Open the Flowlab sidebar unless it is open (a second click on its tab would close it)."""
    if not page.locator("#flowlab-sidebar").is_visible():
        page.locator(".lm-TabBar-tab[data-id='flowlab-sidebar']").click()


def test_dashboard_and_run_tabs_come_back_after_a_reload_and_a_run_opens_in_one_tab(
    client, jupyterlab, browser, artifacts_dir
):
    from playwright.sync_api import expect

    run_id = make_runs(n_iris=1)["iris"][0]
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(30_000)
    shot = "lab-tabs-restored"
    try:
        page.goto(_lab(jupyterlab))
        workspace = re.search(r"/lab/workspaces/([^/?]+)", page.url).group(1)
        _open_dashboard(page)
        dashboard = page.locator("#flowlab-dashboard")
        # the server starts the dashboard on first use (Panel's imports: seconds)
        page.locator("#flowlab-dashboard iframe[src], .jp-Dialog").first.wait_for(
            state="attached", timeout=240_000
        )
        assert page.locator(".jp-Dialog").count() == 0, page.locator(".jp-Dialog").inner_text()
        _show_sidebar(page)
        sidebar = page.locator("#flowlab-sidebar")
        sidebar.locator(f".flowlab-run-item[data-run='{run_id}'] .flowlab-run-label").click()
        detail = page.locator(".flowlab-run-detail")
        expect(detail.locator("h2")).to_contain_text(run_id, timeout=60_000)

        # JupyterLab saves the layout to the server's workspace a moment after it changes
        poll_for(
            lambda: all(
                name in _saved_main_area(jupyterlab, workspace)
                for name in (f"flowlab-run:{run_id}", "flowlab-dashboard:dashboard")
            ),
            60,
            what="the workspace to hold the dashboard's and the run's tabs",
        )

        page.reload()
        tabs = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab")
        expect(tabs.filter(has_text="Flowlab dashboard")).to_have_count(1, timeout=90_000)
        expect(tabs.filter(has_text=run_id)).to_have_count(1)
        expect(detail).to_have_count(1)
        expect(detail.locator("h2")).to_contain_text(run_id, timeout=60_000)
        expect(detail.locator(".flowlab-dag svg")).to_be_visible()
        page.screenshot(path=str(artifacts_dir / "lab-tabs-restored-run.png"))

        tabs.filter(has_text="Flowlab dashboard").click()
        expect(dashboard.locator("iframe")).to_have_attribute(
            "src", re.compile(r"^http://127\.0\.0\.1:\d+")
        )
        inside = dashboard.frame_locator("iframe")
        expect(inside.get_by_text(run_id).first).to_be_visible(timeout=120_000)
        expect(inside.get_by_role("button", name="Search", exact=True)).to_be_visible(
            timeout=60_000
        )
        shot = "lab-tabs-restored-dashboard"
        page.screenshot(path=str(artifacts_dir / "lab-tabs-restored-dashboard.png"))

        # opening the run again, from the sidebar, focuses its restored tab: still one
        _show_sidebar(page)
        sidebar.locator(f".flowlab-run-item[data-run='{run_id}'] .flowlab-run-label").click()
        expect(detail).to_be_visible()
        expect(detail).to_have_count(1)
        expect(tabs.filter(has_text=run_id)).to_have_count(1)
        expect(tabs.filter(has_text=run_id)).to_have_class(re.compile(r"\blm-mod-current\b"))
        # and the dashboard command shows the restored dashboard, not a second one
        _open_dashboard(page, focus=run_id)
        expect(dashboard).to_have_count(1)
        expect(dashboard).to_be_visible()
        shot = "lab-tabs-reopened"
        page.screenshot(path=str(artifacts_dir / "lab-tabs-reopened.png"))
    except Exception:
        page.screenshot(path=str(artifacts_dir / f"{shot}-failure.png"))
        raise
    finally:
        page.close()
