"""The dashboard's sweeps page showing a 100-trial Optuna study in a store of 10,000 runs.

A fresh temporary store (TinyDB by default; ``--stores tinydb,sqlite`` for both) gets 10,000
finished runs filled in bulk (``store.put_runs``), the workflow ``bench`` in its catalog (as a
launch records it: captured by value and signed, since this file runs as ``__main__``), one
finished study of ``--trials`` trials (its parent record, one child run per trial, its Optuna
trials in the storage beside the store, ``flowlab.sweeps.storage``) and a finished 4 x 3 grid
sweep (parent and 12 children). Nothing runs on a cluster: the records and the trials are
written as a finished study and sweep leave them. (No study can be created on SQLite while
``optuna_storage`` drops a slash from ``sqlite:///…`` URLs: that store is then said, skipped.)

Then, side by side:

1. server side, in this process: the sweeps page's Panel objects for ``?id=<study>`` built as
   the server builds them for a request (``app_pages()["sweeps"]``), and its two steps,
   ``open_sweep`` and ``render_html`` (medians; the first build, imports included, apart);
2. in headless Debian Chromium (Playwright) against ``flowlab ui`` on 127.0.0.1: navigation to
   ``/sweeps?id=<study>`` until the study's trials table and its optimisation history are
   visible (Playwright's view) and the browser's first contentful paint (its own clock); the
   first navigation to a fresh server (cold: the server's first sweeps page imports Optuna,
   xarray and scikit-learn, the browser fetches Panel's JavaScript) apart from the median of
   the warm ones; then switching the page's picker from the study to the grid sweep and back
   until the chosen one is drawn.

Goal (issue 26, item 4): first paint < 2 s. The issue's figure before: 33 s first paint,
35-45 s switching sweeps. Measures and prints; asserts no time. ``--profile`` prints
cProfile's top functions of one server-side page build.

    python benchmarks/study_page.py [--runs 10000] [--trials 100] [--stores tinydb,sqlite]
                                    [--repeat 3] [--profile] [--no-browser]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import io
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
import weakref
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.dashboard import PAINTED, fill, serve  # noqa: E402 - after the path
from flowlab import Output, operator, types, workflow  # noqa: E402
from tests.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
GRID = {"max_depth": [2, 4, 8, 16], "min_samples_leaf": [1, 5, 10]}
WAIT_MS = 300_000  # before the fix a page took over half a minute: wait, never assert
SCORES = types.Schema(
    logloss=types.DOUBLE(direction="lower"), accuracy=types.DOUBLE(direction="higher")
)


@operator(returns=SCORES)
def train(data: str, max_depth: int, learning_rate: float, min_samples_leaf: int):
    loss = 0.1 + abs(learning_rate - 0.05) + 0.3 / max_depth + 0.001 * min_samples_leaf
    return {"logloss": loss, "accuracy": 1 - loss}


@workflow(returns=SCORES)
def bench(
    data: str = "bench_data",
    max_depth: int = 8,
    learning_rate: float = 0.1,
    min_samples_leaf: int = 1,
):
    scores = train(
        data=data,
        max_depth=max_depth,
        learning_rate=learning_rate,
        min_samples_leaf=min_samples_leaf,
    )
    return Output(logloss=scores.logloss, accuracy=scores.accuracy)


def _child(run_id: str, parent: str, i: int, inputs: dict, outputs: dict, status: str) -> dict:
    created = T0 + dt.timedelta(minutes=i)
    return {
        "id": run_id,
        "workflow": "bench",
        "kind": "run",
        "version": "v1",
        "status": status,
        "created": created.isoformat(),
        "started": created.isoformat(),
        "ended": (created + dt.timedelta(seconds=30)).isoformat(),
        "tags": [],
        "notes": [],
        "parent": parent,
        "seed": i,
        "inputs": inputs,
        "outputs": outputs if status == "succeeded" else {},
        "operators": {
            "load": {"state": "succeeded", "duration": 1.0},
            "train": {"state": status, "duration": 28.0},
        },
        "error": None,
        "graph": {"nodes": ["load", "train"], "edges": [["load", "train"]]},
    }


def _parent(run_id: str, kind: str, detail: dict, created: dt.datetime) -> dict:
    return {
        "id": run_id,
        "workflow": f"bench.{'sweep' if kind == 'sweep' else 'optimize'}",
        "kind": kind,
        "version": "",
        "status": "succeeded",
        "inputs": {"data": "bench_data"},
        "outputs": {},
        "tags": [kind],
        "notes": [],
        "parent": None,
        "created": created.isoformat(),
        "started": created.isoformat(),
        "ended": (created + dt.timedelta(hours=2)).isoformat(),
        "seed": None,
        "operators": {},
        "error": None,
        kind: {"workflow": "bench", **detail},
    }


def add_study(url: str, trials: int) -> str:
    """A finished ``trials``-trial study (every 20th trial failed): its records and its
    Optuna trials; the study's id."""
    import optuna

    from flowlab.store import open_store
    from flowlab.sweeps.storage import optuna_storage

    store = open_store(url)
    bench.register(store)  # a launch records it so: the page rebuilds it from here
    study_id = "study-bench"
    name = f"bench-{study_id}"
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        study_name=name, storage=optuna_storage(url), directions=["minimize"]
    )
    space = {
        "max_depth": optuna.distributions.IntDistribution(2, 32),
        "learning_rate": optuna.distributions.FloatDistribution(1e-3, 0.3, log=True),
        "min_samples_leaf": optuna.distributions.IntDistribution(1, 20),
    }
    rng = random.Random(1)
    records, frozen = [], []
    for i in range(trials):
        params = {
            "max_depth": rng.randint(2, 32),
            "learning_rate": 10 ** rng.uniform(-3, -0.53),
            "min_samples_leaf": rng.randint(1, 20),
        }
        loss = 0.1 + abs(params["learning_rate"] - 0.05) + 0.3 / params["max_depth"]
        loss += rng.random() * 0.05
        failed = i % 20 == 19
        run_id = f"trial-{i:04d}"
        records.append(
            _child(
                run_id,
                study_id,
                i,
                {"data": "bench_data", **params},
                {"logloss": loss, "accuracy": 1 - loss},
                "failed" if failed else "succeeded",
            )
        )
        frozen.append(
            optuna.trial.create_trial(
                params=params,
                distributions=space,
                value=None if failed else loss,
                state=optuna.trial.TrialState.FAIL if failed else optuna.trial.TrialState.COMPLETE,
                user_attrs={"run_id": run_id},
            )
        )
    study.add_trials(frozen)
    detail = {
        "objective": ["logloss"],
        "directions": ["minimize"],
        "space": {
            "max_depth": "Int(low=2, high=32, log=False)",
            "learning_rate": "Float(low=0.001, high=0.3, log=True)",
            "min_samples_leaf": "Int(low=1, high=20, log=False)",
        },
        "n_trials": trials,
        "parallel": 4,
        "name": name,
        "counts": {"succeeded": trials - trials // 20, "failed": trials // 20},
    }
    store.put_runs([*records, _parent(study_id, "study", detail, T0 + dt.timedelta(days=2))])
    return study_id


def add_grid_sweep(url: str) -> str:
    """A finished grid sweep (GRID: 4 x 3 children); its id."""
    import itertools

    from flowlab.store import open_store

    store = open_store(url)
    sweep_id = "sweep-bench"
    configs = [dict(zip(GRID, combo, strict=True)) for combo in itertools.product(*GRID.values())]
    children = []
    for i, config in enumerate(configs):
        loss = 0.2 + 0.1 / config["max_depth"] + 0.01 * config["min_samples_leaf"]
        children.append(
            _child(
                f"cell-{i:03d}",
                sweep_id,
                i,
                {"data": "bench_data", **config},
                {"logloss": loss, "accuracy": 1 - loss},
                "succeeded",
            )
        )
    detail = {
        "mode": "grid",
        "grid": GRID,
        "configs": configs,
        "children": [c["id"] for c in children],
        "counts": {"succeeded": len(children)},
    }
    store.put_runs([*children, _parent(sweep_id, "sweep", detail, T0 + dt.timedelta(days=1))])
    return sweep_id


# -- server side -----------------------------------------------------------------------------------
class _Request:
    def __init__(self, args: dict[str, str]):
        self.arguments = {k: [v.encode()] for k, v in args.items()}


class _Session:
    """What a Panel page reads of its session here: the request's query string."""

    def __init__(self, args: dict[str, str]):
        self.request = _Request(args)


@contextlib.contextmanager
def page_session(args: dict[str, str]):
    """A Bokeh document as ``panel serve`` gives a page (``?id=…``); its periodic callbacks
    are stopped afterwards."""
    import panel as pn
    from bokeh.document import Document

    doc = Document()
    session = _Session(args)
    doc._session_context = weakref.ref(session)
    pn.state.curdoc = doc
    try:
        yield doc
    finally:
        for callback in pn.state._periodic.pop(doc, []):
            callback.stop()
        pn.state.curdoc = None


_PAGES: dict = {}


def build_page(run_id: str):
    """The sweeps page's Panel objects for ``?id=run_id``, as the server builds them for a
    browser's request (the first paint's HTML included)."""
    from flowlab.dashboard.app import app_pages

    if not _PAGES:
        _PAGES.update(app_pages())  # once, as the server does
    with page_session({"id": run_id}):
        return _PAGES["sweeps"]()


def median_s(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def server_side(url: str, study_id: str, repeat: int, profile: bool) -> dict:
    from flowlab.dashboard.app import store_env
    from flowlab.render import render_html
    from flowlab.sweeps import open_sweep

    store_env(url)
    start = time.perf_counter()
    build_page(study_id)
    first = time.perf_counter() - start
    out = {
        "page, first": first,
        "page": median_s(lambda: build_page(study_id), repeat),
        "open_sweep": median_s(lambda: open_sweep(study_id), repeat),
    }
    opened = open_sweep(study_id)
    out["render_html"] = median_s(lambda: render_html(opened), repeat)
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        build_page(study_id)
        profiler.disable()
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(30)
        print(text.getvalue(), flush=True)
    return out


# -- in the browser --------------------------------------------------------------------------------
#: run in the page before its own scripts: notes (``window.flowlabDrawn``, ms after navigation
#: began) the first animation frame in which a study's trials table and history are both laid
#: out and visible, wherever they are (the first paint's HTML, or Panel's shadow roots)
DRAWN_SCRIPT = """
(() => {
  function all(root, selector, found) {
    root.querySelectorAll(selector).forEach((e) => found.push(e));
    root.querySelectorAll("*").forEach((e) => e.shadowRoot && all(e.shadowRoot, selector, found));
    return found;
  }
  function shown(e) {
    const box = e.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && getComputedStyle(e).visibility === "visible";
  }
  function check() {
    const tables = all(document, "table.flowlab-sweep-top", []).filter(shown);
    const plots = all(document, "svg", []).filter(
      (e) => e.textContent.includes("optimisation history") && shown(e));
    if (tables.length && plots.length) window.flowlabDrawn = performance.now();
    else requestAnimationFrame(check);
  }
  requestAnimationFrame(check);
})();
"""
DRAWN = "() => window.flowlabDrawn"


def drawn(page, run_id: str, study: bool) -> None:
    """Wait until the sweep ``run_id`` is drawn: a study's trials table and history visible."""
    view = page.locator(f".flowlab-sweep[data-sweep='{run_id}']")
    view.locator("table.flowlab-sweep-top").first.wait_for(state="visible", timeout=WAIT_MS)
    if study:
        history = view.locator("svg", has_text="optimisation history").first
        history.wait_for(state="visible", timeout=WAIT_MS)
    else:
        view.locator("svg").first.wait_for(state="visible", timeout=WAIT_MS)


def first_paint(page, base: str, study_id: str) -> tuple[float, float, float]:
    """Seconds from navigation to the study drawn: by the browser's clock (DRAWN_SCRIPT's
    frame), as Playwright sees it (its polling waits while the page runs Panel's JavaScript),
    and the browser's first contentful paint."""
    start = time.perf_counter()
    page.goto(f"{base}/sweeps?id={study_id}", wait_until="commit")
    drawn(page, study_id, study=True)
    seen = time.perf_counter() - start
    page.wait_for_function(DRAWN, timeout=WAIT_MS)
    return page.evaluate(DRAWN) / 1000, seen, (page.evaluate(PAINTED) or 0.0) / 1000


def switch(page, label: str, run_id: str, study: bool) -> float:
    page.locator("#flowlab-first").wait_for(state="detached", timeout=WAIT_MS)  # live now
    start = time.perf_counter()
    page.locator("select").first.select_option(label=label)
    drawn(page, run_id, study)
    return time.perf_counter() - start


def browser_side(browser, url: str, home: str, study_id: str, sweep_id: str, repeat: int):
    from flowlab.store import open_store

    labels = {
        s["id"]: f"{s['id']} · {s['workflow']} · {s['status']}"
        for s in (open_store(url).get_summary(i) for i in (study_id, sweep_id))
    }
    process, base = serve(url, home)
    try:
        context = browser.new_context()
        context.add_init_script(DRAWN_SCRIPT)
        page = context.new_page()
        cold, cold_seen, cold_painted = first_paint(page, base, study_id)
        warm = [first_paint(page, base, study_id) for _ in range(repeat)]
        to_sweep, to_study = [], []
        for _ in range(repeat):
            to_sweep.append(switch(page, labels[sweep_id], sweep_id, study=False))
            to_study.append(switch(page, labels[study_id], study_id, study=True))
        context.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
    return {
        "drawn, cold": cold,
        "seen, cold": cold_seen,
        "FCP, cold": cold_painted,
        "drawn, warm": statistics.median(w[0] for w in warm),
        "seen, warm": statistics.median(w[1] for w in warm),
        "FCP, warm": statistics.median(w[2] for w in warm),
        "to sweep": statistics.median(to_sweep),
        "to study": statistics.median(to_study),
    }


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10000)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--stores", default="tinydb")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--no-browser", action="store_true", help="server side only")
    options = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory(prefix="flowlab-study-page-") as tmp:
        os.environ["FLOWLAB_HOME"] = tmp
        for kind in options.stores.split(","):
            folder = Path(tmp) / kind
            folder.mkdir()
            url = f"sqlite:///{folder / 'runs.db'}" if kind == "sqlite" else f"tinydb://{folder}"
            start = time.perf_counter()
            fill(url, options.runs)
            sweep_id = add_grid_sweep(url)
            try:
                study_id = add_study(url, options.trials)
            except Exception as exc:  # noqa: BLE001 - said, and the next store measured
                print(f"{kind}: no study could be created: {type(exc).__name__}: {exc}")
                continue
            filled = time.perf_counter() - start
            print(f"{kind}: {options.runs:,} runs + study + sweep in {filled:.1f} s", flush=True)
            server = server_side(url, study_id, options.repeat, options.profile)
            print(f"{kind} server side: " + ", ".join(f"{k} {v:.2f} s" for k, v in server.items()))
            print(f"  load average {load()}", flush=True)
            seen = {}
            if not options.no_browser:
                from playwright.sync_api import sync_playwright

                with sync_playwright() as pw:
                    browser = pw.chromium.launch(
                        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
                    )
                    seen = browser_side(browser, url, tmp, study_id, sweep_id, options.repeat)
                    browser.close()
                print(f"{kind} browser: " + ", ".join(f"{k} {v:.2f} s" for k, v in seen.items()))
                print(f"  load average {load()}", flush=True)
            rows.append((kind, server, seen, load()))
    print(
        f"\n{options.runs:,} runs, a {options.trials}-trial study and a 4 x 3 grid sweep; "
        f"warm and switching: medians of {options.repeat}. drawn: navigation to the first frame "
        "showing the study's trials table and history (the browser's clock); seen: Playwright "
        "sees both visible\n"
    )
    print(
        "| store | page built (server) | open_sweep | render_html | drawn, cold (seen) "
        "| drawn, warm (seen) | switch to sweep | switch to study | load average |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for kind, server, seen, load_text in rows:

        def cell(found: dict, key: str) -> str:
            return f"{found[key]:.2f} s" if key in found else "-"

        print(
            f"| {kind} | {cell(server, 'page')} | {cell(server, 'open_sweep')} "
            f"| {cell(server, 'render_html')} "
            f"| {cell(seen, 'drawn, cold')} ({cell(seen, 'seen, cold')}) "
            f"| {cell(seen, 'drawn, warm')} ({cell(seen, 'seen, warm')}) | {cell(seen, 'to sweep')} "
            f"| {cell(seen, 'to study')} | {load_text} |"
        )


if __name__ == "__main__":
    main()
