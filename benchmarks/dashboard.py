"""The dashboard through a browser: time from navigation to the runs table's first rows with
1k, 10k and 100k runs in a SQLite store, and time to open a run page.

Each size gets a fresh SQLite store filled in bulk (``store.put_runs``) and its own
``flowlab ui`` subprocess; headless Debian Chromium (Playwright) opens ``/runs`` and waits for
the first visible row of the runs table (the plain table the server sends in the page, or the
live Tabulator's), records when the browser painted it (first contentful paint: the table is
the page's first content) and when the live Tabulator took over, then opens ``/run?id=…`` and
waits for the run's header. The first navigation (cold: the browser fetches Panel's and
Bokeh's JavaScript) is reported apart from the median of the warm ones (cached JavaScript, as
a tab a team keeps open reloads).
Goals (issue 16): first rows < 1 s at 100k runs, run page < 1 s. Anchor: MLflow 3.17.2's UI
showed its first run row 2.7–2.8 s after navigation at 1k and 10k runs (measured for the
issue; not re-run here).

    python benchmarks/dashboard.py [--sizes 1000,10000,100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402 - after the path


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
        stderr=subprocess.STDOUT,
        text=True,
    )
    said = collections.deque(maxlen=20)
    for line in process.stdout:
        said.append(line)
        found = re.search(r"flowlab dashboard: (\S+)", line)
        if found:
            # the rest is read and dropped: a full pipe nobody reads would block the server
            threading.Thread(
                target=collections.deque, args=(process.stdout, 0), daemon=True
            ).start()
            return process, found.group(1).rsplit("/", 1)[0]
    raise RuntimeError(
        f"flowlab ui exited ({process.wait()}) before printing its URL: {''.join(said)[-1000:]}"
    )


FIRST_ROW = "tr.flowlab-run-row, .tabulator-row"
PAINTED = """() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime"""


def timed(page, url: str, selector: str) -> float:
    start = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_selector(selector, timeout=60000)
    return time.perf_counter() - start


def runs_timed(page, url: str) -> tuple[float, float, float]:
    """Seconds to the first visible row, to its paint (the browser's clock), to the live table."""
    first = timed(page, url, FIRST_ROW)
    start = time.perf_counter() - first
    painted = (page.evaluate(PAINTED) or 0.0) / 1000
    page.wait_for_selector(".tabulator-row", timeout=60000)
    return first, painted, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for n in (int(s) for s in options.sizes.split(",")):
            url = f"sqlite:///{Path(tmp) / f'runs-{n}.db'}"
            start = time.perf_counter()
            some_run = fill(url, n)
            filled = time.perf_counter() - start
            process, base = serve(url, tmp)
            try:
                context = browser.new_context()
                page = context.new_page()
                cold = runs_timed(page, f"{base}/runs")[0]
                warm = [runs_timed(page, f"{base}/runs") for _ in range(options.repeat)]
                run_page = [
                    timed(page, f"{base}/run?id={some_run}", ".flowlab-run-header")
                    for _ in range(options.repeat)
                ]
                context.close()
            finally:
                process.terminate()
                process.wait(timeout=30)
            first, painted, live = (statistics.median(w[i] for w in warm) for i in range(3))
            page_s = statistics.median(run_page)
            rows.append((n, cold, first, painted, live, page_s))
            print(
                f"{n:>7} runs (filled in {filled:.1f} s): first rows cold {cold:.2f} s, "
                f"warm {first:.2f} s (painted at {painted:.2f} s), live table {live:.2f} s; "
                f"run page {page_s:.2f} s",
                flush=True,
            )
        browser.close()
    print(
        "\n| runs | first rows, cold | first rows, warm | painted (FCP), warm "
        "| live table, warm | run page |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for n, cold, first, painted, live, page_s in rows:
        print(
            f"| {n:,} | {cold:.2f} s | {first:.2f} s | {painted:.2f} s | {live:.2f} s "
            f"| {page_s:.2f} s |"
        )
    print("(warm: medians; first rows: Playwright sees the first row visible)")


if __name__ == "__main__":
    main()
