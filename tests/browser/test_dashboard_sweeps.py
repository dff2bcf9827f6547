"""The dashboard's sweeps page in headless Debian Chromium, over a real study and a real grid
sweep: the study is drawn in the page's HTML response (painted before Panel's JavaScript
runs), the live view takes over from it, and the picker switches between the two."""

from __future__ import annotations

import os

import optuna
import pytest

import flowlab
from tests.browser.conftest import REPO
from tests.browser.test_dashboard import BrowserThread, start_ui, stop
from tests.chromium import CHROMIUM
from tests.jupyter_app import free_port
from tests.polling import load_factor
from tests.sweeps.ops import bowl, tune

# a real server, cluster and browser: on a busy machine they take minutes, not seconds
pytestmark = pytest.mark.timeout(900)


def _ms(seconds: float) -> float:
    return seconds * 1000 * load_factor()


@pytest.fixture(scope="module")
def chrome():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: run `make browser-deps` (apt-get install chromium)")
    browser = BrowserThread()
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def shown(client, tmp_path_factory):
    """A finished study and grid sweep, and ``flowlab ui`` over their store."""
    study = tune.optimize(
        objective="loss",
        space={"lr": flowlab.space.float(0.0, 1.0)},
        n_trials=4,
        steps=2,
        pause=0.0,
        sampler=optuna.samplers.RandomSampler(seed=1),
    )
    sweep = bowl.sweep(y=5, grid={"x": [1, 2]})
    for launched in (study, sweep):
        launched.wait(timeout=180 * load_factor())
    root = tmp_path_factory.mktemp("sweeps-page")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    process, url = start_ui(["--port", str(free_port())], env, root / "ui.log")
    yield url.rsplit("/", 1)[0], study, sweep
    stop(process)


def test_a_study_is_painted_first_then_live_and_the_picker_switches(shown, chrome, artifacts_dir):
    base, study, sweep = shown
    best = study.best_run.id

    def check(browser):
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(_ms(60))
        response = page.goto(f"{base}/sweeps?id={study.id}", timeout=_ms(60))
        sent = response.text()  # the first paint: the study itself, before any JavaScript
        assert "flowlab-sweep-top" in sent and "optimisation history" in sent and best in sent
        page.locator("#flowlab-first").wait_for(state="detached")  # the live view took over
        live = page.locator(f".flowlab-sweep-live .flowlab-sweep[data-sweep='{study.id}']")
        live.locator("table.flowlab-sweep-top").wait_for(state="visible")
        assert best in live.inner_text()
        picker = page.locator("select").first
        picker.select_option(
            label=next(o for o in picker.locator("option").all_inner_texts() if sweep.id in o)
        )
        page.locator(
            f".flowlab-sweep-live .flowlab-sweep[data-sweep='{sweep.id}'] svg"
        ).first.wait_for(state="visible")
        page.screenshot(path=artifacts_dir / "dashboard-sweeps-switched.png", full_page=True)
        picker.select_option(
            label=next(o for o in picker.locator("option").all_inner_texts() if study.id in o)
        )
        live.locator("table.flowlab-sweep-top").wait_for(state="visible")
        page.close()

    chrome.run(check)
