"""Big data without the tax: a chain of operators passing a 2M x 10 DataFrame, side by side
with the same functions called in plain pandas, caching on and off, in one run.

Every flowlab run executes every operator (each repetition uses a new seed, so no cache hit):
"caching on" pays for hashing the input and keeping each operator's DataFrame as parquet (in
a worker thread, beside the next operator); "caching off" keeps nothing but the final output.
Goals (issue 11): flowlab / pandas <= 1.5 with caching on, <= 1.2 with it off.

    python benchmarks/bigdata.py [--rows 2000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import numpy as np
import pandas as pd

import flowlab
from flowlab import Output, types


def scale(frame):
    return frame * 1.5


def add_total(frame):
    out = frame.copy()
    out["total"] = out.sum(axis=1)
    return out


def center(frame):
    return frame - frame.mean()


def checksum(frame) -> float:
    return float(np.abs(frame.to_numpy()).sum())


def plain(frame) -> float:
    return checksum(center(add_total(scale(frame))))


def flowlab_chain():
    @flowlab.operator(returns=types.Schema(frame=types.DATASET))
    def Scale(frame: types.DATASET):  # noqa: N802 - named like the seed's operators
        return {"frame": scale(frame)}

    @flowlab.operator(returns=types.Schema(frame=types.DATASET))
    def AddTotal(frame: types.DATASET):  # noqa: N802
        return {"frame": add_total(frame)}

    @flowlab.operator(returns=types.Schema(frame=types.DATASET))
    def Center(frame: types.DATASET):  # noqa: N802
        return {"frame": center(frame)}

    @flowlab.operator(returns=types.Schema(value=types.DOUBLE))
    def Checksum(frame: types.DATASET):  # noqa: N802
        return {"value": checksum(frame)}

    @flowlab.workflow(returns=types.Schema(value=types.DOUBLE))
    def chain(frame: types.DATASET):
        return Output(
            value=Checksum(
                frame=Center(frame=AddTotal(frame=Scale(frame=frame).frame).frame).frame
            ).value
        )

    return chain


def timed(fn, repeat: int) -> list[float]:
    times = []
    for i in range(repeat):
        started = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import warnings

    from distributed import Client

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(args.rows, 10)), columns=[f"c{i}" for i in range(10)])
    cluster = flowlab.cluster.start_local_cluster()
    client = Client(cluster)
    flowlab.cluster.use_client(client)
    chain = flowlab_chain()
    expected = plain(frame)

    def run(cache: bool):
        def once(i: int):
            value = chain.launch(frame=frame, seed=1000 + i + (0 if cache else 500), cache=cache)
            assert abs(value.result().value - expected) <= 1e-6 * abs(expected)

        return once

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run(False)(-1)  # warm up: workers import pandas and flowlab
        results = {
            "pandas": timed(lambda i: plain(frame), args.repeat),
            "flowlab, caching on": timed(run(True), args.repeat),
            "flowlab, caching off": timed(run(False), args.repeat),
        }
    large_graph = [w for w in caught if "Sending large graph" in str(w.message)]
    base = statistics.median(results["pandas"])
    print(
        f"chain of 4 operators over a {args.rows:,} x 10 DataFrame "
        f"({frame.memory_usage().sum() / 2**20:.0f} MiB), median of {args.repeat}"
    )
    print(f"{'':24}{'median s':>10}{'min s':>9}{'x pandas':>10}")
    for name, times in results.items():
        median = statistics.median(times)
        print(f"{name:24}{median:10.2f}{min(times):9.2f}{median / base:10.2f}")
    print(f"'Sending large graph' warnings: {len(large_graph)}")
    client.close()
    cluster.close()


if __name__ == "__main__":
    # the runs' records and artifacts, removed however the run ends (unless FLOWLAB_HOME is set)
    with tempfile.TemporaryDirectory(prefix="flowlab-bigdata-", ignore_cleanup_errors=True) as home:
        os.environ.setdefault("FLOWLAB_HOME", home)
        main()
