"""The dashboard's runs page: the *mine* filter (who launched a run), the user column, and
``mine=1`` in a shared link, read by the page server-side (first paint) and by the live view."""

from __future__ import annotations

import os
import urllib.parse
import urllib.request

import pytest

from flowlab.store import open_store
from tests.jupyter_app import free_port
from tests.security.test_servers import start_ui, stop

ADA, BOB = "ada-dash", "bob-dash"


def _record(run_id: str, user: str | None, created: str) -> dict:
    record = {
        "id": run_id,
        "workflow": "dash_mine",
        "status": "succeeded",
        "created": created,
        "inputs": {},
        "outputs": {"total": 1.0},
        "operators": {},
        "tags": [],
    }
    if user is not None:
        record["user"] = user
    return record


RECORDS = [
    _record("mine-ada-1", ADA, "2026-11-01T10:00:00.000Z"),
    _record("mine-bob-1", BOB, "2026-11-01T11:00:00.000Z"),
    _record("mine-ada-2", ADA, "2026-11-01T12:00:00.000Z"),
    _record("mine-old-1", None, "2026-11-01T09:00:00.000Z"),  # before runs had a user
]


@pytest.fixture(scope="module")
def store_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('mine') / 'runs.db'}"
    open_store(url).put_runs(RECORDS)
    return url


def test_mine_shows_only_the_runs_of_whom_the_dashboard_runs_as(store_url, monkeypatch):
    from flowlab.dashboard.app import RunsView

    monkeypatch.setenv("FLOWLAB_USER", ADA)
    view = RunsView(open_store(store_url), 'workflow = "dash_mine"', mine=True)
    assert view.mine.label == f"mine ({ADA})"
    assert view.page.ids == ["mine-ada-2", "mine-ada-1"]
    assert "user" in view.page.columns
    assert list(view.table.value["user"]) == [ADA, ADA]
    view.mine.value = False  # everyone's, the old run's user blank
    assert view.page.ids == ["mine-ada-2", "mine-bob-1", "mine-ada-1", "mine-old-1"]
    assert list(view.table.value["user"]) == [ADA, BOB, ADA, ""]
    view.status.value = "failed"
    view.mine.value = True  # with the other filters
    assert view.page.ids == []


def test_the_user_column_sorts_in_the_store(store_url, monkeypatch):
    from flowlab.dashboard.rows import column_path, runs_page

    assert column_path("user") == "user"
    page = runs_page('workflow = "dash_mine"', sort="user", store=open_store(store_url))
    assert page.ids == ["mine-ada-1", "mine-ada-2", "mine-bob-1", "mine-old-1"]
    page = runs_page('workflow = "dash_mine"', user=BOB, store=open_store(store_url))
    assert page.ids == ["mine-bob-1"]


@pytest.fixture(scope="module")
def ui(store_url, tmp_path_factory):
    """``flowlab ui`` run by ada over the store: its base URL."""
    env = dict(os.environ, FLOWLAB_STORE=store_url, FLOWLAB_USER=ADA)
    log = tmp_path_factory.mktemp("mine-ui") / "ui.log"
    process, url = start_ui(["--port", str(free_port())], env, log)
    yield url.rsplit("/", 1)[0]
    stop(process)


def _page(url: str) -> str:
    with urllib.request.urlopen(url, timeout=120) as answer:
        return answer.read().decode()


def test_a_link_with_mine_1_opens_the_page_on_my_runs(ui):
    """The page's first paint (the rows in the HTML response) already follows ``mine=1``."""
    query = urllib.parse.quote('workflow = "dash_mine"')
    everyone = _page(f"{ui}/runs?q={query}")
    assert all(r["id"] in everyone for r in RECORDS), everyone[-3000:]
    assert f"<td>{BOB}</td>" in everyone
    mine = _page(f"{ui}/runs?q={query}&mine=1")
    assert "mine-ada-1" in mine and "mine-ada-2" in mine
    assert "mine-bob-1" not in mine and "mine-old-1" not in mine
