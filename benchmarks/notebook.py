"""Notebook layer timings: building a 20-field launch form, how soon the run view shows an
operator's end, and the seed's iris run end to end on the first launch (cluster start
included) and on a warm cluster. Prints; never asserts. Goals: form < 100 ms, update < 0.5 s,
"starting the local cluster…" at once, warm iris run < 3 s.

    .venv/bin/python benchmarks/notebook.py
"""

from __future__ import annotations

import atexit
import datetime as dt
import os
import statistics
import tempfile
import time

# the runs' records and artifacts, removed at exit (unless FLOWLAB_HOME is set); registered
# before flowlab is imported, so it runs after flowlab's own exit handlers stop the cluster
_HOME = tempfile.TemporaryDirectory(prefix="flowlab-bench-", ignore_cleanup_errors=True)
atexit.register(_HOME.cleanup)
os.environ.setdefault("FLOWLAB_HOME", _HOME.name)

import flowlab  # noqa: E402
import flowlab.notebook  # noqa: E402
from flowlab import Output, operator, types, workflow  # noqa: E402

KINDS = [
    types.INTEGER(min=0, max=100, default=5),
    types.DOUBLE(min=0.0, max=1.0, default=0.5),
    types.BOOL(default=True),
    types.TEXT(default="x"),
    types.ENUM("a", "b", "c", default="a"),
]
SCHEMA = types.Schema({f"field_{i}": KINDS[i % len(KINDS)] for i in range(20)})


def form_build_times(repeats: int = 20) -> tuple[float, list[float]]:
    """Seconds for the first form (imports ipywidgets) and for each later one."""
    wide = workflow(twenty_fields_with_signature(), input_schema=SCHEMA)
    started = time.perf_counter()
    wide.form()
    first = time.perf_counter() - started
    later = []
    for _ in range(repeats):
        started = time.perf_counter()
        wide.form()
        later.append(time.perf_counter() - started)
    return first, later


def twenty_fields_with_signature():
    names = ", ".join(f"field_{i}=None" for i in range(20))
    namespace: dict = {}
    exec(f"def twenty_fields({names}):\n    return None\n", namespace)  # noqa: S102
    return namespace["twenty_fields"]


@operator(returns=types.Schema(value=types.DOUBLE))
def step(seconds: float, value: float):
    time.sleep(seconds)
    return {"value": value + 1}


@workflow(returns=types.Schema(value=types.DOUBLE))
def chain(seconds: float = 0.3, start: float = 0.0):
    value = start
    for _ in range(6):
        value = step(seconds=seconds, value=value)
    return Output(value=value)


def update_latencies() -> list[float]:
    """Seconds from each operator's end on its worker to the view drawing it finished."""
    from flowlab.notebook.runview import RunView

    run = chain.launch(seconds=0.3, start=time.time())
    view = RunView(run)
    view.wait_shown(timeout=300)
    latencies = []
    for node, op in run.operators.items():
        ended = dt.datetime.fromisoformat(op["ended"].replace("Z", "+00:00")).timestamp()
        latencies.append(view.first_seen[node] - ended)
    return latencies


def iris_launch_times(warm_runs: int = 3) -> dict:
    """Seconds from ``launch()`` to the result of the seed's iris workflow: the first launch
    (flowlab starts its local cluster), then warm launches (new inputs, no cache hits)."""
    from flowlab.library import data
    from tests.seed_iris import make_iris

    iris = make_iris("logloss")
    frame = data.iris()
    told: dict[str, float] = {}
    flowlab.cluster.on_local_cluster_start(
        lambda stage, _client: told.setdefault(stage, time.perf_counter())
    )
    times = {}
    started = time.perf_counter()
    run = iris.launch(labeled_data=frame, unlabeled_data=frame.drop(columns="species").head(5))
    run.result(timeout=600)
    times["first"] = time.perf_counter() - started
    times["announced"] = told.get("starting", started) - started
    times["cluster"] = told.get("started", started) - told.get("starting", started)
    time.sleep(2)  # the background warm-up of every worker (imports) finishes
    times["warm"] = []
    for i in range(warm_runs):
        unlabeled = frame.drop(columns="species").sample(5, random_state=i)
        started = time.perf_counter()
        iris.launch(labeled_data=frame, unlabeled_data=unlabeled, seed=100 + i, cache=False).result(
            timeout=600
        )
        times["warm"].append(time.perf_counter() - started)
    flowlab.cluster.shutdown()
    return times


def main() -> None:
    times = iris_launch_times()
    print(
        f"iris, first launch in a fresh process: {times['first']:.2f} s end to end "
        f'("starting the local cluster…" after {times["announced"] * 1000:.0f} ms; cluster '
        f"start {times['cluster']:.2f} s)"
    )
    print(
        f"iris, warm cluster: median {statistics.median(times['warm']):.2f} s, "
        f"max {max(times['warm']):.2f} s over {len(times['warm'])} runs (goal < 3 s)"
    )
    first, later = form_build_times()
    print(
        f"form, 20 fields: first {first * 1000:.1f} ms (imports ipywidgets), then median "
        f"{statistics.median(later) * 1000:.1f} ms, max {max(later) * 1000:.1f} ms "
        "(goal < 100 ms)"
    )
    cluster = flowlab.cluster.start_local_cluster(n_workers=2, threads_per_worker=1)
    from distributed import Client

    client = Client(cluster)
    flowlab.cluster.use_client(client)
    try:
        update_latencies()  # warm-up: workers import flowlab
        latencies = update_latencies()
    finally:
        client.close()
        cluster.close()
    print(
        f"run view update after an operator ends: median {statistics.median(latencies) * 1000:.0f} ms, "
        f"max {max(latencies) * 1000:.0f} ms over {len(latencies)} operators (goal < 500 ms)"
    )


if __name__ == "__main__":
    main()
