"""The dashboard through a browser: time from navigation to the runs table's first rows with
1k, 10k and 100k runs in a SQLite store, and time to open a run page.

Each size gets a fresh SQLite store filled in bulk (``store.put_runs``) and its own
``flowlab ui`` subprocess; headless Debian Chromium (Playwright) opens ``/runs`` and waits for
the first Tabulator row, then opens ``/run?id=…`` and waits for the run's header. The first
navigation (cold: the browser fetches Panel's and Bokeh's JavaScript) is reported apart from
the median of the warm ones (cached JavaScript, as a tab a team keeps open reloads).
Goals (issue 16): first rows < 1 s at 100k runs, run page < 1 s. Anchor: MLflow 3.17.2's UI
showed its first run row 2.7–2.8 s after navigation at 1k and 10k runs (measured for the
issue; not re-run here).

    python benchmarks/dashboard.py [--sizes 1000,10000,100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def fill(url: str, n: int) -> str:
    """``n`` finished runs (every 17th failed) with inputs and metrics; the id of one."""
    from flowlab.store import open_store

    store = open_store(url)
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    rng = random.Random(0)
    batch = []
    for i in range(n):
        created = t0 + dt.timedelta(seconds=i)
        batch.append(
            {
                "id": f"b{i:07d}",
                "workflow": "iris" if i % 2 else "boost",
                "status": "failed" if i % 17 == 0 else "succeeded",
                "created": created.isoformat(),
                "started": created.isoformat(),
                "ended": (created + dt.timedelta(seconds=3)).isoformat(),
                "tags": ["bench"],
                "seed": i,
                "inputs": {"max_depth": i % 10, "learning_rate": 0.1},
                "outputs": {"logloss": rng.random(), "accuracy": rng.random()},
                "operators": {"train": {"state": "succeeded", "duration": 2.5}},
                "graph": {},
            }
        )
        if len(batch) == 5000:
            store.put_runs(batch)
            batch = []
    if batch:
        store.put_runs(batch)
    assert store.count() == n
    store.close()
    return f"b{n // 2:07d}"


def serve(store_url: str, home: str) -> tuple[subprocess.Popen, str]:
    env = dict(os.environ, FLOWLAB_STORE=store_url, FLOWLAB_HOME=home)
    process = subprocess.Popen(
        [sys.executable, "-m", "flowlab", "ui", "--no-show"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    for line in process.stdout:
        found = re.search(r"flowlab dashboard: (\S+)", line)
        if found:
            return process, found.group(1).rsplit("/", 1)[0]
    raise RuntimeError("flowlab ui printed no URL")


def timed(page, url: str, selector: str) -> float:
    start = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_selector(selector, timeout=60000)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        for n in (int(s) for s in options.sizes.split(",")):
            url = f"sqlite:///{Path(tmp) / f'runs-{n}.db'}"
            start = time.perf_counter()
            some_run = fill(url, n)
            filled = time.perf_counter() - start
            process, base = serve(url, tmp)
            try:
                context = browser.new_context()
                page = context.new_page()
                cold = timed(page, f"{base}/runs", ".tabulator-row")
                warm = [
                    timed(page, f"{base}/runs", ".tabulator-row") for _ in range(options.repeat)
                ]
                run_page = [
                    timed(page, f"{base}/run?id={some_run}", ".flowlab-run-header")
                    for _ in range(options.repeat)
                ]
                context.close()
            finally:
                process.terminate()
                process.wait(timeout=30)
            rows.append((n, filled, cold, statistics.median(warm), statistics.median(run_page)))
            print(
                f"{n:>7} runs (filled in {filled:.1f} s): first rows cold {cold:.2f} s, "
                f"warm {statistics.median(warm):.2f} s; run page {statistics.median(run_page):.2f} s",
                flush=True,
            )
        browser.close()
    print("\n| runs | first rows, cold | first rows, warm (median) | run page (median) |")
    print("|---:|---:|---:|---:|")
    for n, _filled, cold, warm, run_page in rows:
        print(f"| {n:,} | {cold:.2f} s | {warm:.2f} s | {run_page:.2f} s |")


if __name__ == "__main__":
    main()
