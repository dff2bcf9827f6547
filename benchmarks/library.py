"""The library's GBDT operator inside a flowlab run versus the same LightGBM fit called directly.

On one synthetic 200k x 20 binary set (made once, same for every contender):

1. direct: ``lightgbm.LGBMClassifier(**params).fit(x, y)`` in this process;
2. flowlab: a one-operator workflow running ``TrainGBDTOperator`` with the same parameters on
   a LocalCluster worker (the overhead ratio: flowlab / direct; the goal is <= 1.05);
3. distributed vs single worker: ``lightgbm.dask`` training on a dask DataFrame spread over
   2 workers, against 1 worker, through the same operator.

Each figure is the best of ``--repeats`` runs, after a warm-up run on each cluster (workers
import the libraries once). Prints figures; asserts nothing.

    .venv/bin/python benchmarks/library.py [--rows 200000] [--repeats 3] [--trees 100]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings

import pandas as pd


def synthetic(rows: int, features: int = 20, seed: int = 0) -> pd.DataFrame:
    from sklearn.datasets import make_classification

    x, y = make_classification(
        n_samples=rows, n_features=features, n_informative=10, random_state=seed
    )
    frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(features)])
    frame["y"] = y
    return frame


def best_of(repeats: int, fn) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--trees", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1, help="LightGBM threads (all contenders)")
    args = parser.parse_args()
    # a pandas input travels inside the task graph (part of what is measured); say it once
    warnings.filterwarnings("ignore", message=".*large graph.*")
    print("note: a pandas input is shipped to the worker inside the graph and recorded as parquet")

    import dask.dataframe as dd
    import lightgbm as lgb
    from distributed import Client

    import flowlab
    from flowlab import Output, types, workflow
    from flowlab.library import operators as ops

    frame = synthetic(args.rows)
    features = [c for c in frame.columns if c != "y"]
    params = {"n_estimators": args.trees, "threads": args.threads}
    direct_params = {
        "n_estimators": args.trees,
        "learning_rate": 0.1,
        "num_leaves": 31,
        "max_depth": -1,
        "min_child_samples": 20,
        "subsample": 1.0,
        "colsample_bytree": 1.0,
        "reg_lambda": 0.0,
        "random_state": 0,
        "n_jobs": args.threads,
        "verbose": -1,
    }

    @workflow(
        input_schema=types.Schema(dataset=types.DATASET, hyper=types.DICT),
        returns=types.Schema(model=types.MODEL),
    )
    def gbdt(dataset, hyper):
        return Output(model=ops.TrainGBDTOperator(dataset=dataset, label="y", **hyper).model)

    def direct():
        lgb.LGBMClassifier(**direct_params).fit(frame[features], frame["y"])

    print(f"GBDT on {args.rows:,} x {len(features)}, {args.trees} trees, {args.threads} thread(s)")
    direct_s = best_of(args.repeats, direct)
    print(f"  direct LightGBM fit          {direct_s:8.3f} s")

    for workers in (2, 1):
        cluster = flowlab.cluster.start_local_cluster(n_workers=workers, threads_per_worker=1)
        client = Client(cluster)
        flowlab.cluster.use_client(client)
        try:
            # warm-up (not timed): workers import the libraries on their first operator
            gbdt.launch(dataset=frame.head(1000), hyper=params, cache=False).result()
            if workers == 2:
                flowlab_s = best_of(
                    args.repeats,
                    lambda: gbdt.launch(dataset=frame, hyper=params, cache=False).result(),
                )
                print(f"  flowlab run (operator)       {flowlab_s:8.3f} s")
                print(
                    f"  overhead ratio flowlab/direct {flowlab_s / direct_s:7.3f}  (goal <= 1.05)"
                )
            # the partitions live on the workers before the run, as a user's dataset would
            lazy = client.persist(dd.from_pandas(frame, npartitions=2 * workers))
            client.wait_for_workers(workers)
            spread = best_of(
                args.repeats,
                lambda lazy=lazy: gbdt.launch(dataset=lazy, hyper=params, cache=False).result(),
            )
            print(f"  distributed, {workers} worker(s)       {spread:8.3f} s")
        finally:
            flowlab.cluster.use_client(None)
            client.close()
            cluster.close()
    print(
        "  (the machine's cores bound the distributed speed-up: on 2 cores two workers "
        "share the CPU with the scheduler)"
    )


if __name__ == "__main__":
    # the runs' records and artifacts, removed however the run ends (unless FLOWLAB_HOME is set)
    with tempfile.TemporaryDirectory(prefix="flowlab-bench-", ignore_cleanup_errors=True) as home:
        os.environ.setdefault("FLOWLAB_HOME", home)
        main()
