"""The lab sidebar's *mine* toggle in a real browser: ticked, it keeps the runs launched as
the user the server runs as (asked of ``/flowlab/api/me``) and leaves out someone else's."""

from __future__ import annotations

import os
import secrets

import pytest

from flowlab.store.config import current_user
from tests.browser.conftest import lab_url
from tests.core.ops import add_twice
from tests.jupyter.installed import require_installed_extensions

pytestmark = pytest.mark.browser

TAG = "mine-" + secrets.token_hex(3)


@pytest.fixture(scope="module")
def two_users_runs(client):
    """One run launched as the server's user, one as someone else, both tagged TAG."""
    require_installed_extensions()
    other = "someone-" + secrets.token_hex(3)
    before = os.environ.pop("FLOWLAB_USER", None)
    try:
        mine = add_twice.launch(a=3, b=4, tags=[TAG])
        os.environ["FLOWLAB_USER"] = other
        theirs = add_twice.launch(a=3, b=5, tags=[TAG])
    finally:
        os.environ.pop("FLOWLAB_USER", None)
        if before is not None:
            os.environ["FLOWLAB_USER"] = before
    for run in (mine, theirs):
        run.result(timeout=120)
    assert theirs.user == other and mine.user != other
    return {"mine": mine.id, "theirs": theirs.id, "me": mine.user}


def test_mine_keeps_the_runs_of_the_servers_user(two_users_runs, jupyterlab, browser):
    from playwright.sync_api import expect

    if two_users_runs["me"] != current_user():
        pytest.skip("FLOWLAB_USER changed since the lab server started")
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(30_000)
    try:
        page.goto(lab_url(jupyterlab, "01_iris.ipynb"))
        page.locator(".jp-Notebook").first.wait_for(timeout=60_000)
        page.locator(".lm-TabBar-tab[data-id='flowlab-sidebar']").click()
        sidebar = page.locator("#flowlab-sidebar")
        query = sidebar.locator("input.flowlab-query")
        query.fill(f'tags = "{TAG}"')
        query.press("Enter")
        mine = sidebar.locator(f".flowlab-run-item[data-run='{two_users_runs['mine']}']")
        theirs = sidebar.locator(f".flowlab-run-item[data-run='{two_users_runs['theirs']}']")
        expect(mine).to_be_visible()
        expect(theirs).to_be_visible()
        box = sidebar.locator(".flowlab-mine input")
        box.check()
        expect(theirs).to_have_count(0)
        expect(mine).to_be_visible()
        expect(sidebar.locator(".flowlab-mine")).to_have_text(f"mine ({two_users_runs['me']})")
        box.uncheck()
        expect(theirs).to_be_visible()
    finally:
        page.close()
