"""Run-store speed: fill each backend, then time filtered+sorted searches and single inserts.

Side by side, in one run: flowlab's TinyDB (20k runs), SQLite (10k, 100k), PostgreSQL (10k,
when a server answers at FLOWLAB_TEST_POSTGRES) and MLflow's SQLite tracking store (when
mlflow is installed; filled through its own client, so fewer runs by default).

    python benchmarks/store.py [--sqlite 10000 100000] [--tinydb 20000] [--mlflow 2000]

Every store lives in one temporary folder, each removed once measured and the folder at the
end, however the run ends (Ctrl-C and SIGTERM included); PostgreSQL gets a schema of its own
per size, dropped the same way.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from flowlab.store import forget_store, open_store
from flowlab.store.query import parse

QUERY = (
    'workflow = "iris" and status = "succeeded" and outputs.logloss < 0.3 '
    'and tag = "baseline" order by outputs.logloss limit 20'
)
# what a dashboard's runs table asks for one page: the total, then page 21 of 50 rows
PAGE_FILTER = 'status = "succeeded"'
PAGE = PAGE_FILTER + " order by outputs.accuracy desc limit 50 offset 1000"


def record(i: int) -> dict:
    rng = random.Random(i)
    return {
        "id": f"bench-{i:07d}-{uuid.uuid4().hex[:4]}",
        "workflow": rng.choice(["iris", "gbdt"]),
        "version": "v1",
        "status": rng.choice(["succeeded"] * 4 + ["failed"]),
        "created": f"2026-11-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00Z",
        "started": None,
        "ended": None,
        "parent": None,
        "seed": i,
        "inputs": {"max_depth": rng.randint(1, 12), "learning_rate": rng.random()},
        "outputs": {"logloss": rng.random(), "accuracy": rng.random()},
        "tags": ["baseline"] if rng.random() < 0.2 else [],
        "notes": [],
        "operators": {"train": {"state": "succeeded"}},
        "error": None,
    }


def median_ms(fn, repeat: int = 20) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def bench_flowlab(name: str, url: str, n: int) -> None:
    store = open_store(url)
    try:
        measure_flowlab(name, store, n)
    finally:
        store.close()
        forget_store(store)


def measure_flowlab(name: str, store, n: int) -> None:
    started = time.perf_counter()
    batch = 5000
    for first in range(0, n, batch):
        store.put_runs([record(i) for i in range(first, min(n, first + batch))])
    fill = time.perf_counter() - started
    query = parse(QUERY)
    search = median_ms(lambda: store.search(query))
    total, page = parse(PAGE_FILTER), parse(PAGE)
    count = median_ms(lambda: store.count(total), repeat=10)
    paged = median_ms(lambda: store.search(page), repeat=10)
    counter = iter(range(n, n + 1000))
    insert = median_ms(lambda: store.put_run(record(next(counter))))
    print(f"{name:22s} {n:>7d} {fill:9.1f} {search:10.1f} {count:9.1f} {paged:9.1f} {insert:10.1f}")


def bench_mlflow(n: int, directory: str) -> None:
    try:
        import mlflow
        from mlflow.tracking import MlflowClient
    except ImportError:
        print(f'{"mlflow sqlite":22s} skipped: mlflow not installed (pip install -e ".[peers]")')
        return
    import logging

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    uri = f"sqlite:///{directory}/mlflow-{n}.db"
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)
    # artifacts would otherwise default to ./mlruns, outside the temporary folder
    experiment = client.create_experiment("bench", artifact_location=f"file://{directory}/mlruns")

    def log(i: int) -> None:
        r = record(i)
        run = client.create_run(
            experiment, tags={"workflow": r["workflow"], **{t: "1" for t in r["tags"]}}
        )
        from mlflow.entities import Metric, Param

        now = int(time.time() * 1000)
        client.log_batch(
            run.info.run_id,
            metrics=[Metric(k, v, now, 0) for k, v in r["outputs"].items()],
            params=[Param(k, str(v)) for k, v in r["inputs"].items()],
        )
        client.set_terminated(
            run.info.run_id, "FINISHED" if r["status"] == "succeeded" else "FAILED"
        )

    started = time.perf_counter()
    for i in range(n):
        log(i)
    fill = time.perf_counter() - started
    search = median_ms(
        lambda: client.search_runs(
            [experiment],
            "tags.workflow = 'iris' and attributes.status = 'FINISHED' and "
            "metrics.logloss < 0.3 and tags.baseline = '1'",
            order_by=["metrics.logloss ASC"],
            max_results=20,
        ),
        repeat=10,
    )
    counter = iter(range(n, n + 1000))
    insert = median_ms(lambda: log(next(counter)), repeat=10)
    print(
        f"{'mlflow sqlite':22s} {n:>7d} {fill:9.1f} {search:10.1f} {'':9s} {'':9s} {insert:10.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tinydb", type=int, nargs="*", default=[20000])
    parser.add_argument("--sqlite", type=int, nargs="*", default=[10000, 100000])
    parser.add_argument("--postgres", type=int, nargs="*", default=[10000])
    parser.add_argument("--mlflow", type=int, nargs="*", default=[2000])
    args = parser.parse_args()
    # a kill from outside unwinds like Ctrl-C, so the cleanups below run (1M runs are ~2 GB)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="flowlab-store-bench-") as directory:
        measure(args, directory)


def measure(args, directory: str) -> None:
    print(f"query: {QUERY}\npage: count({PAGE_FILTER}) and {PAGE}")
    print(
        f"{'backend':22s} {'runs':>7s} {'fill (s)':>9s} {'search ms':>10s} {'count ms':>9s} "
        f"{'page ms':>9s} {'insert ms':>10s}"
    )
    for n in args.tinydb:
        folder = Path(directory) / f"tiny-{n}"
        try:
            bench_flowlab("flowlab tinydb", f"tinydb://{folder}", n)
        finally:  # the next size's store needs the disk space
            shutil.rmtree(folder, ignore_errors=True)
    for n in args.sqlite:
        path = Path(directory) / f"runs-{n}.db"
        try:
            bench_flowlab("flowlab sqlite", f"sqlite:///{path}", n)
        finally:
            for leftover in Path(directory).glob(f"{path.name}*"):  # -wal, -shm, -journal
                leftover.unlink()
    postgres = os.environ.get("FLOWLAB_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
    for n in args.postgres:
        url = f"{postgres}?schema=flowlab_bench_{uuid.uuid4().hex[:8]}"
        try:
            open_store(url)
        except Exception as e:
            print(f"{'flowlab postgresql':22s} skipped: {e.__class__.__name__}")
            break
        try:
            bench_flowlab("flowlab postgresql", url, n)
        finally:
            open_store(url).drop()
    for n in args.mlflow:
        bench_mlflow(n, directory)


if __name__ == "__main__":
    main()
