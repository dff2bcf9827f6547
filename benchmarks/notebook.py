"""Notebook layer timings: building a 20-field launch form, and how soon the run view shows an
operator's end. Prints; never asserts. Goals: form < 100 ms, update < 0.5 s.

    .venv/bin/python benchmarks/notebook.py
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import tempfile
import time

os.environ.setdefault("FLOWLAB_HOME", tempfile.mkdtemp(prefix="flowlab-bench-"))

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


def main() -> None:
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
