"""flowlab's overhead against raw dask.delayed, on the same LocalCluster, in one run.

N no-op operators, shaped wide (one source, N parallel, one fan-in) or as a chain.
Both sides count graph building; raw Dask gets its best of plain and resource-annotated.
flowlab runs with cache=False, so every operator executes (and keeps nothing but the
workflow's outputs).

    python benchmarks/overhead.py [--sizes 10 100 1000] [--repeat 3] [--scheduler ADDRESS]

With ``--scheduler`` (e.g. the address ``flowlab cluster up`` prints) both sides run on that
cluster, and flowlab's runs are kept by the scheduler (core/engine/cluster_runs.py);
``FLOWLAB_TRACKING=launcher`` makes this process follow them instead, for comparison.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import dask
from dask import delayed
from distributed import Client

import flowlab
from flowlab import Output, types, workflow
from flowlab.core.definition.operator import operator
from flowlab.core.engine.cluster_runs import kept_by_cluster


def noop(x=0):
    return x


def gather(xs):
    return len(xs)


@operator(returns=types.Schema(out=types.INTEGER))
def flow_noop(x: int = 0):
    return {"out": x}


@operator(returns=types.Schema(count=types.INTEGER))
def flow_gather(xs: list):
    return {"count": len(xs)}


@workflow(returns=types.Schema(count=types.INTEGER))
def wide(n: int):
    source = flow_noop(x=1)
    return Output(count=flow_gather(xs=[flow_noop(x=source) for _ in range(n)]).count)


@workflow(returns=types.Schema(out=types.INTEGER))
def chain(n: int):
    value = flow_noop(x=0)
    for _ in range(n - 1):
        value = flow_noop(x=value)
    return Output(out=value)


def raw_wide(client, n: int, resources: dict | None):
    with dask.annotate(resources=resources) if resources else _null():
        source = delayed(noop, pure=False)(1)
        total = delayed(gather, pure=False)([delayed(noop, pure=False)(source) for _ in range(n)])
    return client.compute(total, optimize_graph=False).result()


def raw_chain(client, n: int, resources: dict | None):
    with dask.annotate(resources=resources) if resources else _null():
        value = delayed(noop, pure=False)(0)
        for _ in range(n - 1):
            value = delayed(noop, pure=False)(value)
    return client.compute(value, optimize_graph=False).result()


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def elapsed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def interleaved(sides: dict, repeat: int) -> dict[str, list[float]]:
    """Each side once per round, ``repeat`` rounds: a machine whose speed drifts (other
    jobs) drifts under every side alike, so each round's ratio compares like with like."""
    times: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(repeat):
        for name, fn in sides.items():
            times[name].append(elapsed(fn))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scheduler", default=None, help="run on this cluster instead")
    args = parser.parse_args()

    cluster = None if args.scheduler else flowlab.cluster.start_local_cluster()
    client = Client(args.scheduler or cluster)
    flowlab.cluster.use_client(client)
    print(
        f"cluster: {len(client.scheduler_info(n_workers=-1)['workers'])} workers, "
        f"{os.cpu_count()} cores; medians of {args.repeat} interleaved rounds (ratio: "
        "median of the rounds' ratios); runs kept by "
        + ("the scheduler" if kept_by_cluster(client) else "this process")
    )
    print(f"{'shape':6s} {'N':>5s} {'raw':>8s} {'raw+ann':>8s} {'flowlab':>8s} {'ratio':>6s}")
    wide.launch(n=2, cache=False).result()  # warm up both paths once
    raw_wide(client, 2, None)
    for shape, raw, flow in (("wide", raw_wide, wide), ("chain", raw_chain, chain)):
        for n in args.sizes:
            times = interleaved(
                {
                    "raw": lambda: raw(client, n, None),  # noqa: B023
                    "raw+ann": lambda: raw(client, n, {"CPU": 1}),  # noqa: B023
                    "flowlab": lambda: flow.launch(n=n, cache=False).result(),  # noqa: B023
                },
                args.repeat,
            )
            # per round: flowlab against the better raw side of that round
            ratios = [
                ours / min(plain, annotated)
                for plain, annotated, ours in zip(*times.values(), strict=True)
            ]
            medians = [statistics.median(t) for t in times.values()]
            print(
                f"{shape:6s} {n:5d} "
                + " ".join(f"{m:8.3f}" for m in medians)
                + f" {statistics.median(ratios):6.2f}"
            )
    client.close()
    if cluster is not None:
        cluster.close()


if __name__ == "__main__":
    # the runs' records and artifacts, removed however the run ends (unless FLOWLAB_HOME is set)
    with tempfile.TemporaryDirectory(prefix="flowlab-bench-", ignore_cleanup_errors=True) as home:
        os.environ.setdefault("FLOWLAB_HOME", home)
        main()
