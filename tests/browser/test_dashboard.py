"""The dashboard in headless Debian Chromium: ``flowlab ui`` served in a real subprocess over
the test session's store, filled with real runs of real workflows (one failed).

Playwright runs in a thread of its own (``BrowserThread``): an earlier test module may leave
an asyncio loop running in the main thread, where Playwright's sync API refuses to work.
"""

from __future__ import annotations

import os
import queue
import re
import secrets
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from tests.browser.conftest import REPO
from tests.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.jupyter_app import free_port
from tests.polling import load_factor, poll_for

# a real server, cluster and browser: on a busy machine they take minutes, not seconds
pytestmark = pytest.mark.timeout(900)

TAG = "dash-" + secrets.token_hex(3)
ADD_QUERY = quote(f'tags = "{TAG}" and workflow = "dash_add"')
URL_LINE = re.compile(r"flowlab dashboard: (\S+)")


def _ms(seconds: float) -> float:
    """A Playwright timeout (milliseconds): ``seconds`` on a quiet machine, more on a busy one."""
    return seconds * 1000 * load_factor()


class BrowserThread:
    """Chromium driven by Playwright's sync API from one dedicated thread."""

    def __init__(self):
        self._jobs: queue.Queue = queue.Queue()
        self._ready = threading.Event()
        self._failed: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="playwright", daemon=True)
        self._thread.start()
        self._ready.wait(120)
        if self._failed is not None:
            raise self._failed

    def _main(self) -> None:
        from playwright.sync_api import sync_playwright

        try:
            playwright = sync_playwright().start()
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            self._failed = exc
            self._ready.set()
            return
        self._ready.set()
        while (job := self._jobs.get()) is not None:
            fn, box = job
            try:
                box["result"] = fn(browser)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
                box["error"] = exc
                _screenshot_pages(browser, fn.__qualname__.split(".")[0])
            box["done"].set()
        browser.close()
        playwright.stop()

    def run(self, fn, timeout: float = 300):
        """``fn(browser)`` in the browser's thread; its result, or its exception raised here
        (``timeout``: seconds on a quiet machine, scaled by the load)."""
        box: dict = {"done": threading.Event()}
        self._jobs.put((fn, box))
        timeout *= load_factor()
        if not box["done"].wait(timeout):
            raise TimeoutError(f"browser job {fn.__name__} took over {timeout:.0f} s")
        if "error" in box:
            raise box["error"]
        return box.get("result")

    def close(self) -> None:
        self._jobs.put(None)
        self._thread.join(30)


def _screenshot_pages(browser, name: str) -> None:
    """What the pages showed when a check failed, for the test's artifacts."""
    for i, page in enumerate(p for c in browser.contexts for p in c.pages):
        try:
            page.screenshot(path=REPO / "test-artifacts" / f"{name}-failed-{i}.png")
        except Exception:  # noqa: BLE001, S112 - a closed page has nothing to show
            continue


@pytest.fixture(scope="module")
def chrome():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: run `make browser-deps` (apt-get install chromium)")
    browser = BrowserThread()
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def made(client):
    """Real runs, tagged for this module: two sums and one failed run."""
    from tests.browser.dashboard_flows import dash_add, dash_fail

    first = dash_add.launch(a=1, b=2, tags=[TAG])
    second = dash_add.launch(a=5, b=2, tags=[TAG])
    for run in (first, second):
        run.result(timeout=120 * load_factor())
    failed = dash_fail.launch(x=2.0, tags=[TAG])
    failed.wait(timeout=120 * load_factor())
    assert failed.status == "failed"
    return {"first": first.id, "second": second.id, "failed": failed.id}


def _plugin(root: Path) -> Path:
    """A really installed plugin distribution: module + dist-info with an entry point."""
    (root / "dash_team_plugin.py").write_text(
        textwrap.dedent(
            """
            from flowlab.dashboard import DashboardPage, RunPanel

            PLUGINS = [
                DashboardPage("team", "Team", lambda: "<h2 class='team'>team board works</h2>"),
                RunPanel("Team panel", lambda run: f"<b>team panel for {run.id}</b>"),
            ]
            """
        )
    )
    dist = root / "dash_team_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: dash-team-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[flowlab.dashboard]\nteam = dash_team_plugin:PLUGINS\n")
    return root


def start_ui(args: list[str], env: dict, log: Path) -> tuple[subprocess.Popen, str]:
    """``flowlab ui ARGS`` in a subprocess; the URL it prints (promptly, flushed)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "flowlab", "ui", "--no-show", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=open(log, "w"),
        text=True,
    )
    found: queue.Queue = queue.Queue()

    def read() -> None:
        for line in process.stdout:
            match = URL_LINE.search(line)
            if match:
                found.put(match.group(1))

    threading.Thread(target=read, daemon=True).start()
    try:
        url = found.get(timeout=90 * load_factor())
    except queue.Empty:
        process.kill()
        raise RuntimeError(f"flowlab ui printed no URL; see {log}") from None
    return process, url


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def ui(made, client, tmp_path_factory):
    root = tmp_path_factory.mktemp("dashboard")
    plugin_dir = root / "plugin"
    plugin_dir.mkdir()
    _plugin(plugin_dir)
    env = dict(
        os.environ,
        FLOWLAB_SCHEDULER=client.scheduler.address,
        PYTHONPATH=os.pathsep.join([str(REPO), str(plugin_dir)]),
    )
    process, url = start_ui(["--port", str(free_port())], env, root / "ui.log")
    assert url.startswith("http://127.0.0.1:") and "token" not in url
    yield url.rsplit("/", 1)[0]
    stop(process)


def _open(browser, url: str, wait_for: str | None = ".tabulator-row"):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(_ms(30))  # clicks, fills, reads: as patient as the machine needs
    page.goto(url, timeout=_ms(60))
    if wait_for:
        page.wait_for_selector(wait_for, timeout=_ms(60))
    return page


def _query(tag: str = TAG) -> str:
    return quote(f'tags = "{tag}"')


def test_query_shows_its_runs_and_a_bad_query_its_error(ui, made, chrome, artifacts_dir):
    def check(browser):
        page = _open(browser, f"{ui}/runs?q={ADD_QUERY}")
        page.wait_for_function("true")
        rows = page.locator(".tabulator-row")
        page.locator(f".tabulator-row:has-text('{made['first']}')").wait_for(timeout=_ms(30))
        texts = rows.all_inner_texts()
        assert len(texts) == 2
        assert any(made["first"] in t for t in texts) and any(made["second"] in t for t in texts)
        assert not any(made["failed"] in t for t in texts)
        page.screenshot(path=artifacts_dir / "dashboard-runs.png", full_page=True)
        box = page.locator(".flowlab-query input")
        box.fill('tags = "x" and outputs.total <')
        box.press("Enter")
        error = page.locator(".flowlab-query-error pre")
        error.wait_for(timeout=_ms(30))
        assert "column 31" in error.inner_text()
        assert len(page.locator(".tabulator-row").all_inner_texts()) == 2  # the rows stay
        page.screenshot(path=artifacts_dir / "dashboard-bad-query.png", full_page=True)
        page.close()

    chrome.run(check)


def test_run_page_shows_its_metric(ui, made, chrome, artifacts_dir):
    def check(browser):
        page = _open(browser, f"{ui}/run?id={made['first']}", ".flowlab-metrics")
        text = page.locator(".flowlab-metrics").inner_text()
        assert "total" in text and "3" in text
        assert page.get_by_text("succeeded").first.is_visible()
        page.locator(".flowlab-dag, svg").first.wait_for()
        page.get_by_text(f"team panel for {made['first']}").wait_for(timeout=_ms(30))
        page.screenshot(path=artifacts_dir / "dashboard-run.png", full_page=True)
        page.close()

    chrome.run(check)


def test_failed_run_shows_the_operators_traceback(ui, made, chrome, artifacts_dir):
    def check(browser):
        page = _open(browser, f"{ui}/run?id={made['failed']}", ".flowlab-traceback")
        failure = page.locator(".flowlab-failure").inner_text()
        assert "dash_refuse" in failure
        assert "x=2.0 is refused on purpose" in failure
        assert "Traceback" in failure or "raise ValueError" in failure
        page.screenshot(path=artifacts_dir / "dashboard-failed-run.png", full_page=True)
        page.close()

    chrome.run(check)


def test_tick_two_runs_and_compare_them(ui, made, chrome, artifacts_dir):
    def check(browser):
        page = _open(browser, f"{ui}/runs?q={ADD_QUERY}")
        for run_id in (made["first"], made["second"]):
            row = page.locator(f".tabulator-row:has-text('{run_id}')")
            row.wait_for(timeout=_ms(30))
            row.locator("input[type=checkbox]").click()
        link = page.locator("a.flowlab-compare")
        link.wait_for(timeout=_ms(30))
        link.click()
        table = page.locator(".flowlab-comparison table")
        table.wait_for(timeout=_ms(60))
        page.get_by_text("total").first.wait_for(timeout=_ms(30))
        text = table.inner_text()
        assert made["first"] in text and made["second"] in text
        assert "compare?ids=" in page.url
        page.screenshot(path=artifacts_dir / "dashboard-compare.png", full_page=True)
        page.close()

    chrome.run(check)


def test_launch_from_the_form_lands_on_the_new_run_which_succeeds(ui, made, chrome, artifacts_dir):
    def check(browser):
        page = _open(browser, f"{ui}/launch?workflow=dash_add", ".flowlab-field-a input")
        field = page.locator(".flowlab-field-a input")
        field.fill("four")
        field.press("Enter")
        error = page.locator(".flowlab-field-error span[data-field='a']")
        error.wait_for(timeout=_ms(30))
        assert "integer" in error.inner_text()
        page.locator(".flowlab-launch button").click()
        page.get_by_text("not launched").wait_for(timeout=_ms(30))
        page.screenshot(path=artifacts_dir / "dashboard-launch-invalid.png", full_page=True)
        field.fill("4")
        field.press("Enter")
        error.wait_for(state="detached", timeout=_ms(30))
        page.locator(".flowlab-launch button").click()
        page.wait_for_url(re.compile(r".*/run\?id="), timeout=_ms(60))
        page.locator(".flowlab-run-status[data-status='succeeded']").wait_for(timeout=_ms(120))
        page.locator(".flowlab-metrics").wait_for(timeout=_ms(30))
        assert "6" in page.locator(".flowlab-metrics").inner_text()
        page.screenshot(path=artifacts_dir / "dashboard-launched-run.png", full_page=True)
        page.close()

    chrome.run(check, timeout=600)


def test_a_bool_input_is_a_box_to_tick_in_the_launch_form(ui, made, chrome, artifacts_dir):
    """A BOOL is a checkbox, not a text box holding "false" (issue 26, item 10); ticking it
    launches with true."""
    from tests.browser.dashboard_flows import dash_signed

    dash_signed.register()

    def check(browser):
        page = _open(browser, f"{ui}/launch?workflow=dash_signed", ".flowlab-field-a input")
        box = page.locator(".flowlab-field-negate input[type='checkbox']")
        box.wait_for(timeout=_ms(30))
        assert page.locator(".flowlab-field-negate input[type='text']").count() == 0
        assert not box.is_checked()
        box.check()
        page.screenshot(path=artifacts_dir / "dashboard-launch-bool.png", full_page=True)
        page.locator(".flowlab-launch button").click()
        page.wait_for_url(re.compile(r".*/run\?id="), timeout=_ms(60))
        page.locator(".flowlab-run-status[data-status='succeeded']").wait_for(timeout=_ms(120))
        assert "-1" in page.locator(".flowlab-metrics").inner_text()
        page.close()

    chrome.run(check, timeout=600)


def test_the_filters_are_in_the_url_and_a_shared_link_opens_them(ui, made, chrome):
    """Status and tag filters land in the address bar as they change; opening that address
    in another page shows the same filtered list (issue 26, item 10)."""

    def check(browser):
        page = _open(browser, f"{ui}/runs?q={_query()}")
        page.locator(".flowlab-status select").select_option("failed")
        page.wait_for_url(re.compile(r".*status=failed"), timeout=_ms(30))
        page.locator(".flowlab-tag input").fill(TAG)
        page.locator(".flowlab-tag input").press("Enter")
        page.wait_for_url(re.compile(rf".*tag={re.escape(TAG)}"), timeout=_ms(30))
        shared = page.url
        page.close()
        other = _open(browser, shared)  # its rows: the module's one failed run
        assert other.locator(".flowlab-status select").input_value() == "failed"
        assert other.locator(".flowlab-tag input").input_value() == TAG
        rows = other.locator(".tabulator-row").all_inner_texts()
        assert len(rows) == 1 and made["failed"] in rows[0], rows
        other.close()

    chrome.run(check)


def test_mine_is_in_the_url_and_keeps_the_runs_of_the_dashboards_user(ui, made, chrome):
    """Ticking *mine* keeps the runs launched as the user the dashboard runs as (the module's
    runs, launched here) and puts ``mine=1`` in the address; the link opens on them (issue 28)."""
    from flowlab.store import get_store

    store, tag = get_store(), TAG + "-mine"  # a tag of its own: the other tests' rows stay
    first = store.get_run(made["first"])
    mine = {**first, "id": f"{first['id']}-mine", "tags": [tag]}  # the module's user's
    theirs = {**first, "id": f"{first['id']}-theirs", "tags": [tag], "user": "someone"}
    store.put_runs([mine, theirs])

    def check(browser):
        page = _open(browser, f"{ui}/runs?q={_query(tag)}")
        _wait_rows(page, lambda ids: set(ids) == {mine["id"], theirs["id"]})
        page.locator(".flowlab-mine input").check()
        page.wait_for_url(re.compile(r".*mine=1"), timeout=_ms(30))
        _wait_rows(page, lambda ids: ids == [mine["id"]])
        shared = page.url
        page.close()
        other = _open(browser, shared)
        assert other.locator(".flowlab-mine input").is_checked()
        _wait_rows(other, lambda ids: ids == [mine["id"]])
        other.close()

    chrome.run(check)


def test_save_a_search_and_find_it_after_a_reload(ui, made, chrome):
    name = f"dash search {TAG}"

    def check(browser):
        page = _open(browser, f"{ui}/runs?q={_query()}")
        page.locator(".flowlab-save-name input").fill(name)
        page.locator(".flowlab-save-name input").press("Enter")
        page.locator(".flowlab-save button").click()
        page.get_by_text(f"saved '{name}'").wait_for(timeout=_ms(30))
        page.reload()
        page.wait_for_selector(".tabulator-row", timeout=_ms(60))
        options = page.locator(".flowlab-saved select option").all_inner_texts()
        assert name in options
        page.locator(".flowlab-saved select").select_option(name)
        page.wait_for_function("true")
        page.close()

    chrome.run(check)
    import flowlab

    assert flowlab.searches.get(name)["query"] == f'tags = "{TAG}"'


def test_runs_refresh_live_and_cancel_from_the_run_page(ui, client, chrome, artifacts_dir):
    from tests.browser.dashboard_flows import dash_slow

    live_tag = TAG + "-live"
    state: dict = {}

    def open_runs(browser):
        page = _open(browser, f"{ui}/runs?q={_query(live_tag)}", ".flowlab-count")
        page.get_by_text("of 0").wait_for(timeout=_ms(30))
        state["page"] = page

    chrome.run(open_runs)
    # long enough that the Cancel button (shown while the run runs) cannot go away by the run
    # ending on its own while a busy machine opens the page; cancelled below in any case
    run = dash_slow.launch(seconds=600.0, tags=[live_tag])

    def appears(browser):
        page = state["page"]
        page.locator(f".tabulator-row:has-text('{run.id}')").wait_for(timeout=_ms(30))
        page.locator(f".tabulator-row:has-text('{run.id}') a").click()
        page.locator(".flowlab-cancel button").wait_for(timeout=_ms(60))
        page.locator(".flowlab-cancel button").click()
        page.locator(".flowlab-run-status[data-status='cancelled']").wait_for(timeout=_ms(90))
        page.screenshot(path=artifacts_dir / "dashboard-cancelled.png", full_page=True)
        page.close()

    try:
        chrome.run(appears, timeout=300)
        run.wait(timeout=60 * load_factor())
        assert run.status == "cancelled"
    finally:
        if not run.done:  # a failed check must not leave the run holding a worker
            run.cancel()


def test_the_run_page_refreshes_until_it_has_drawn_the_runs_end(made):
    """The run page stops refreshing on the record it drew, never on a newer read: a run
    ending between the page's read of the store and ``run.done`` (which reads the store again
    while the record says running) left the page showing "running" for good."""
    import flowlab
    from flowlab.dashboard.app import RunView
    from flowlab.dashboard.plugins import Plugins

    run = flowlab.get_run(made["first"])
    assert run.record["status"] == "succeeded"
    # the record as the page read it a moment before the run ended; the store has its end
    run.record = {**run.record, "status": "running", "ended": None}
    view = RunView(run, Plugins([], [], {}))
    assert 'class="flowlab-run-status" data-status="running"' in view.body.object
    assert not view.done  # the page keeps refreshing: what it shows is not the end
    view.refresh()
    assert 'class="flowlab-run-status" data-status="succeeded"' in view.body.object
    assert view.done


def test_sweeps_page_draws_a_sweep(ui, client, chrome, artifacts_dir):
    from tests.browser.dashboard_flows import dash_add

    sweep = dash_add.sweep(grid={"a": [1, 2, 3]}, b=1)
    sweep.wait(timeout=120 * load_factor())

    def check(browser):
        page = _open(browser, f"{ui}/sweeps?id={sweep.id}", ".flowlab-sweep")
        page.locator(".flowlab-sweep svg, .flowlab-sweep img").first.wait_for(timeout=_ms(60))
        assert "cannot be drawn" not in page.locator(".flowlab-sweep div").first.inner_text()
        page.screenshot(path=artifacts_dir / "dashboard-sweep.png", full_page=True)
        page.close()

    chrome.run(check)


def test_plugin_page_and_bad_urls_show_messages(ui, chrome):
    def check(browser):
        page = _open(browser, f"{ui}/team", ".team")
        assert page.locator(".team").inner_text() == "team board works"
        page.goto(f"{ui}/run?id=no-such-run")
        message = page.locator(".flowlab-message")
        message.wait_for(timeout=_ms(60))
        assert "no run 'no-such-run'" in message.inner_text()
        page.goto(f"{ui}/launch?workflow=no_such_workflow")
        page.get_by_text("no workflow 'no_such_workflow' in the catalog").wait_for(timeout=_ms(60))
        page.goto(f"{ui}/compare?ids=only-one")
        page.get_by_text("compare needs two or more runs").wait_for(timeout=_ms(60))
        page.close()

    chrome.run(check)
    assert httpx.get(f"{ui}/runs", timeout=30).status_code == 200  # still serving


def test_beyond_loopback_every_request_needs_the_token(chrome, tmp_path, artifacts_dir):
    """``--host 0.0.0.0``: a generated token; pages, static files and the websocket refuse a
    request without it. This server's store cannot be opened: its page says so."""
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO))
    bad_store = f"sqlite:///{tmp_path}/missing-dir/runs.db"
    process, url = start_ui(
        ["--host", "0.0.0.0", "--port", str(port), "--store", bad_store], env, tmp_path / "ui.log"
    )
    try:
        token = re.search(r"token=([^&\s]+)", url).group(1)
        base = f"http://127.0.0.1:{port}"
        static = "/static/js/bokeh.min.js"
        ws_headers = {
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        }
        with httpx.Client(timeout=30) as http:
            assert http.get(f"{base}/runs").status_code in (401, 403)
            assert http.get(f"{base}{static}").status_code in (401, 403)
            assert http.get(f"{base}/runs/ws", headers=ws_headers).status_code in (401, 403)
            assert http.get(f"{base}/runs?token=wrong").status_code in (401, 403)
            assert http.get(f"{base}/runs?token={token}").status_code == 200
            header = {"Authorization": f"token {token}"}
            assert http.get(f"{base}{static}", headers=header).status_code == 200

        def check(browser):
            page = _open(browser, f"{base}/runs?token={token}", ".flowlab-message")
            text = page.locator(".flowlab-message").inner_text()
            assert "cannot be opened" in text and "missing-dir" in text
            page.screenshot(path=artifacts_dir / "dashboard-bad-store.png", full_page=True)
            page.close()

        chrome.run(check)
    finally:
        stop(process)


def test_dashboard_inline_carries_a_static_snapshot(made):
    import flowlab

    shown = flowlab.dashboard(f'tags = "{TAG}"')
    data, _meta = shown._repr_mimebundle_()
    assert "flowlab-snapshot" in data["text/html"]
    for run_id in made.values():
        assert run_id in data["text/html"]
    assert any("holoviews" in key for key in data)  # the live Panel view


def _ids_shown(page) -> list[str]:
    return page.locator(".tabulator-row a.flowlab-run-link").all_inner_texts()


def _wait_rows(page, predicate, timeout: float = 30.0) -> list[str]:
    """Poll the table until ``predicate(ids shown)`` holds; the ids."""
    seen: list = [[]]

    def shown():
        seen[0] = _ids_shown(page)
        return seen if predicate(seen[0]) else None

    try:
        return poll_for(shown, timeout, what="the table's rows", every=0.2)[0]
    except AssertionError as exc:
        raise AssertionError(f"{exc}: the table kept showing {seen[0]}") from None


def test_header_click_sorts_in_the_store(ui, made, chrome, artifacts_dir):
    """One row a page: the row a header click brings can only come from the store's order."""

    def check(browser):
        page = _open(browser, f"{ui}/runs?q={ADD_QUERY}&size=1")
        page.get_by_text("runs 1–1 of 2").wait_for(timeout=_ms(30))
        assert _ids_shown(page) == [made["second"]]  # newest first
        header = page.locator(".tabulator-col[tabulator-field='o_total'] .tabulator-col-title")
        header.click()  # total ascending: 3 (first) before 7 (second)
        _wait_rows(page, lambda ids: ids == [made["first"]])
        header.click()  # descending
        _wait_rows(page, lambda ids: ids == [made["second"]])
        page.screenshot(path=artifacts_dir / "dashboard-sorted.png", full_page=True)
        page.close()

    chrome.run(check)


def test_status_and_tag_filters_narrow_the_rows(ui, made, client, chrome, artifacts_dir):
    from tests.browser.dashboard_flows import dash_add

    other = dash_add.launch(a=0, b=0, tags=[TAG + "-other"])
    other.result(timeout=120 * load_factor())

    def check(browser):
        page = _open(browser, f"{ui}/runs?q={_query()}")
        _wait_rows(page, lambda ids: set(ids) == set(made.values()))
        page.locator(".flowlab-status select").select_option("failed")
        _wait_rows(page, lambda ids: ids == [made["failed"]])
        page.locator(".flowlab-status select").select_option("any")
        box = page.locator(".flowlab-query input")
        box.fill('workflow = "dash_add"')
        box.press("Enter")
        _wait_rows(page, lambda ids: other.id in ids and made["first"] in ids)
        tag = page.locator(".flowlab-tag input")
        tag.fill(TAG)
        tag.press("Enter")
        ids = _wait_rows(page, lambda ids: other.id not in ids and made["first"] in ids)
        assert made["second"] in ids and made["failed"] not in ids
        for text in page.locator(".tabulator-row").all_inner_texts():
            assert TAG in text
        page.screenshot(path=artifacts_dir / "dashboard-filtered.png", full_page=True)
        page.close()

    chrome.run(check)


def test_rerun_with_changes_prefills_the_form_and_records_a_child(ui, made, chrome, artifacts_dir):
    from urllib.parse import parse_qs, urlsplit

    def check(browser):
        page = _open(browser, f"{ui}/run?id={made['first']}", "a.flowlab-rerun")
        page.locator("a.flowlab-rerun").click()
        page.wait_for_url(re.compile(r".*/launch\?workflow=dash_add&from="), timeout=_ms(60))
        a, b = page.locator(".flowlab-field-a input"), page.locator(".flowlab-field-b input")
        b.wait_for(timeout=_ms(60))
        assert (a.input_value(), b.input_value()) == ("1", "2")
        assert page.locator(".flowlab-field-parent input").input_value() == made["first"]
        b.fill("10")
        b.press("Enter")
        page.screenshot(path=artifacts_dir / "dashboard-rerun-form.png", full_page=True)
        page.locator(".flowlab-launch button").click()
        page.wait_for_url(re.compile(r".*/run\?id="), timeout=_ms(60))
        page.locator(".flowlab-run-status[data-status='succeeded']").wait_for(timeout=_ms(120))
        assert "11" in page.locator(".flowlab-metrics").inner_text()
        child = parse_qs(urlsplit(page.url).query)["id"][0]
        page.close()
        return child

    child = chrome.run(check, timeout=600)
    import flowlab

    run = flowlab.get_run(child)
    assert run.parent == made["first"]
    assert run.record["inputs"] == {"a": 1, "b": 10}


def test_deploy_registers_the_runs_model(ui, client, chrome, artifacts_dir):
    from flowlab.store import get_store
    from flowlab.store.models import registry_for
    from tests.browser.dashboard_flows import dash_train

    run = dash_train.launch(depth=2, tags=[TAG])
    run.result(timeout=120 * load_factor())
    name = "dash-" + secrets.token_hex(3)

    def check(browser):
        page = _open(browser, f"{ui}/run?id={run.id}", ".flowlab-deploy button")
        page.locator(".flowlab-deploy-name input").fill(name)
        page.locator(".flowlab-deploy-name input").press("Enter")
        page.locator(".flowlab-deploy button").click()
        page.get_by_text(f"deployed model as {name} version 1").wait_for(timeout=_ms(60))
        page.screenshot(path=artifacts_dir / "dashboard-deployed.png", full_page=True)
        page.close()

    chrome.run(check)
    described = registry_for(get_store()).describe(name)
    assert [v["run"] for v in described["versions"]] == [run.id]


def test_a_features_input_offers_the_datasets_columns_as_you_type(ui, chrome, artifacts_dir):
    """Issue 26, item 6: a FEATURES input in the dashboard's launch form is a list of the
    chosen dataset's columns with typeahead (several picked), not a single Select."""
    import flowlab
    from flowlab.library import data, workflows

    flowlab.datasets.register("dash_iris", data.iris())
    workflows.classification.register()

    def check(browser):
        page = _open(browser, f"{ui}/launch?workflow=classification", ".flowlab-field-features")
        typed = page.locator(".flowlab-field-features input.choices__input--cloned")
        offered = page.locator(".flowlab-field-features .choices__list--dropdown .choices__item")
        typed.click()
        offered.first.wait_for(timeout=_ms(30))  # the list is open: typing goes to its box
        typed.press_sequentially("pet", delay=50)
        # the list narrows to what 'pet' matches; the label (the form's first column,
        # petal_width) is not a feature to pick
        poll_for(
            lambda: (
                "petal_height" in (shown := set(offered.all_inner_texts()))
                and not {"sepal_width", "petal_width"} & shown
            ),
            what="only the columns matching 'pet' to be offered",
        )
        page.screenshot(path=artifacts_dir / "dashboard-features-typeahead.png", full_page=True)
        offered.filter(has_text="petal_height").first.click()
        chosen = page.locator(".flowlab-field-features .choices__list--multiple .choices__item")
        poll_for(lambda: "petal_height" in " ".join(chosen.all_inner_texts()), what="the pick")
        page.close()

    chrome.run(check, timeout=600)
