"""The JupyterLab extension's speed on a 10k-run store, in a real JupyterLab and Chromium.

Measures, side by side in one run:
- JupyterLab alone: from opening /lab to its shell being ready (what every extension waits on);
- from opening /lab to the Flowlab sidebar listing 50 runs (the sidebar clicked open at once);
- opening a run's detail: from the click to its rendered outputs (first open, then another);
- the REST calls alone (GET /flowlab/api/runs?limit=50, GET /flowlab/api/runs/ID), median.

One real run (the library's classification workflow on iris) is cloned into 10,000 records
with their own ids, times and metrics, so each detail renders real artifacts.

    python benchmarks/labext.py [--runs 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402 - after the path


def fill_store(home: Path, n: int) -> list[str]:
    """One real run, cloned into ``n`` records; their ids, newest first."""
    os.environ["FLOWLAB_HOME"] = str(home)
    import flowlab
    from flowlab.library import data, workflows
    from flowlab.store import get_store

    data.register_examples()
    cluster = flowlab.cluster.start_local_cluster(n_workers=1, threads_per_worker=1)
    from distributed import Client

    client = Client(cluster)
    flowlab.cluster.use_client(client)
    try:
        run = workflows.classification.launch(
            dataset="iris_labeled", label="species", algorithm="decision_tree", seed=0
        )
        run.result(timeout=300)
    finally:
        client.close()
        cluster.close()
    store = get_store()
    template = store.get_run(run.id)
    rng = random.Random(0)
    records = []
    for i in range(n - 1):
        record = json.loads(json.dumps(template))
        record["id"] = f"bench-{i:06d}-{secrets.token_hex(3)}"
        record["created"] = f"2026-{rng.randint(1, 10):02d}-{rng.randint(1, 28):02d}T00:00:00Z"
        record["outputs"]["accuracy"] = rng.random()
        record["outputs"]["logloss"] = rng.random()
        records.append(record)
    for start in range(0, len(records), 2000):
        store.put_runs(records[start : start + 2000])
    return flowlab.runs(limit=50).ids


def start_lab(root: Path, home: Path) -> tuple[subprocess.Popen, str, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = secrets.token_hex(16)
    settings = root / ".lab-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "notification.jupyterlab-settings").write_text(
        '{"fetchNews": "false", "checkForUpdates": false}'
    )
    env = dict(
        os.environ,
        FLOWLAB_HOME=str(home),
        JUPYTER_CONFIG_DIR=str(root / ".jupyter-config"),
        JUPYTER_RUNTIME_DIR=str(root / ".jupyter-runtime"),
    )
    server = subprocess.Popen(
        [
            sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
            "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}", "--LabApp.news_url=",
            f"--LabApp.user_settings_dir={root / '.lab-settings'}",
            f"--LabApp.workspaces_dir={root / '.lab-workspaces'}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ],
        env=env,
        stdout=open(root / "jupyterlab.log", "w"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
            return server, url, token
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise RuntimeError(f"JupyterLab did not start; see {root / 'jupyterlab.log'}")


def rest_ms(url: str, token: str, path: str, repeat: int = 10) -> float:
    samples = []
    for _ in range(repeat):
        request = urllib.request.Request(url + path, headers={"Authorization": f"token {token}"})
        started = time.perf_counter()
        urllib.request.urlopen(request, timeout=60).read()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def measure_page(browser, url: str, token: str, ids: list[str]) -> dict[str, float]:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(120_000)
    try:
        started = time.perf_counter()
        page.goto(f"{url}/lab?token={token}&reset")
        page.locator(".lm-TabBar-tab[data-id='flowlab-sidebar']").click()
        shell = time.perf_counter()
        page.locator("#flowlab-sidebar .flowlab-run-item").nth(49).wait_for()
        listed = time.perf_counter()
        times = {"lab_ready_s": shell - started, "sidebar_50_s": listed - started}
        for key, run_id in (("detail_first_s", ids[0]), ("detail_next_s", ids[1])):
            clicked = time.perf_counter()
            page.locator(f".flowlab-run-item[data-run='{run_id}'] .flowlab-run-label").click()
            page.locator(
                f"#flowlab-run-panel-{run_id} .flowlab-output[data-output='accuracy']"
            ).wait_for()
            times[key] = time.perf_counter() - clicked
        return times
    finally:
        page.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="flowlab-labext-bench-") as tmp:
        root, home = Path(tmp) / "lab", Path(tmp) / "home"
        root.mkdir()
        started = time.perf_counter()
        ids = fill_store(home, args.runs)
        print(f"store: {args.runs} runs in {home} ({time.perf_counter() - started:.0f} s to fill)")
        server, url, token = start_lab(root, home)
        try:
            print(
                f"REST GET /flowlab/api/runs?limit=50: "
                f"{rest_ms(url, token, '/flowlab/api/runs?limit=50'):.0f} ms (median of 10)"
            )
            # the server warms up its model reader in the background; the first detail below
            # comes after JupyterLab's own start, as a user's first click does
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
                )
                samples = [
                    measure_page(browser, url, token, ids[i * 2 :]) for i in range(args.repeat)
                ]
                browser.close()
            print(
                f"REST GET /flowlab/api/runs/ID: "
                f"{rest_ms(url, token, f'/flowlab/api/runs/{ids[-1]}'):.0f} ms (median of 10)"
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"in the browser, median of {args.repeat} fresh pages:")
    labels = {
        "lab_ready_s": "JupyterLab alone: open /lab -> shell ready",
        "sidebar_50_s": "open /lab -> Flowlab sidebar lists 50 runs",
        "detail_first_s": "click a run -> its detail rendered (first open in the page)",
        "detail_next_s": "click another run -> its detail rendered",
    }
    for key, label in labels.items():
        values = [s[key] for s in samples]
        print(
            f"  {label:<62} {statistics.median(values):6.2f} s   "
            f"(each: {', '.join(f'{v:.2f}' for v in values)})"
        )


if __name__ == "__main__":
    main()
