"""Sweeps and studies, measured side by side on one LocalCluster per worker count.

1. 16 configurations of a 1-second operator swept on 1, 2 and 4 workers (one thread each):
   wall time, parallel efficiency (ideal time / wall time, per worker; goal >= 0.9) and the
   per-child overhead (wall time * workers / children - 1 s).
2. The same 16-trial Optuna study (random sampler, seeded) run by ``Workflow.optimize`` (every
   trial recorded as a run) and by plain Optuna with optuna-integration's DaskStorage, each
   trial a ``client.submit`` of the same 1-second function, ``parallel`` trials at a time.

    python benchmarks/sweeps.py [--workers 1 2 4] [--seconds 1.0] [--configs 16]

The plain-Optuna side needs optuna-integration (a peer: ``pip install -e ".[peers]"``); without
it that column is skipped, with the reason printed, and the rest still runs. It is not swapped
for another storage: DaskStorage is what an Optuna user on Dask would run.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import tempfile
import time

import optuna
from distributed import Client, LocalCluster, wait

import flowlab
from flowlab import Output, operator, types, workflow

SECONDS = 1.0


@operator(returns=types.Schema(loss=types.DOUBLE(direction="lower")))
def one_second(x: float, seconds: float = SECONDS):
    time.sleep(seconds)
    return {"loss": (x - 0.3) ** 2}


@workflow(returns=types.Schema(loss=types.DOUBLE(direction="lower")))
def slow(x: float, seconds: float = SECONDS):
    return Output(loss=one_second(x=x, seconds=seconds).loss)


def plain(x: float, seconds: float) -> float:
    time.sleep(seconds)
    return (x - 0.3) ** 2


def sweep_once(n_workers: int, configs: int, seconds: float) -> dict:
    xs = [i / configs for i in range(configs)]
    start = time.perf_counter()
    sweep = slow.sweep(seconds=seconds, cache=False, grid={"x": xs}).wait()
    wall = time.perf_counter() - start
    assert all(s == "succeeded" for s in sweep.results["status"].values)
    ideal = configs * seconds / n_workers
    return {
        "wall": wall,
        "efficiency": ideal / wall,
        "overhead": wall * n_workers / configs - seconds,
    }


def study_flowlab(trials: int, parallel: int, seconds: float) -> float:
    start = time.perf_counter()
    slow.optimize(
        objective="loss",
        space={"x": flowlab.space.float(0.0, 1.0)},
        n_trials=trials,
        parallel=parallel,
        sampler=optuna.samplers.RandomSampler(seed=0),
        cache=False,
        seconds=seconds,
    ).wait()
    return time.perf_counter() - start


def study_plain(client, trials: int, parallel: int, seconds: float) -> float:
    from optuna_integration import DaskStorage

    storage = DaskStorage(client=client)
    study = optuna.create_study(storage=storage, sampler=optuna.samplers.RandomSampler(seed=0))
    start = time.perf_counter()
    running = {}
    told = 0
    while told < trials:
        while len(running) < parallel and told + len(running) < trials:
            trial = study.ask()
            x = trial.suggest_float("x", 0.0, 1.0)
            running[client.submit(plain, x, seconds, pure=False)] = trial
        done, _ = wait(list(running), return_when="FIRST_COMPLETED")
        for future in done:
            study.tell(running.pop(future), future.result())
            told += 1
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--configs", type=int, default=16)
    args = parser.parse_args()
    # every run and study of the benchmark lands here, and goes with it however it ends
    with tempfile.TemporaryDirectory(prefix="flowlab-bench-") as home:
        os.environ["FLOWLAB_HOME"] = home
        measure(args)


def measure(args) -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    plain_optuna = importlib.util.find_spec("optuna_integration") is not None
    print(f"{args.configs} configurations of a {args.seconds:g} s operator; cpus={os.cpu_count()}")
    if not plain_optuna:
        print(
            "plain Optuna with DaskStorage: skipped (optuna-integration is not installed; "
            'pip install -e ".[peers]")'
        )
    header = (
        f"{'workers':>7} | {'sweep s':>8} {'efficiency':>10} {'overhead/child':>15} | "
        f"{'optimize() s':>12} {'plain Optuna s':>15} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    for n in args.workers:
        cluster = LocalCluster(
            n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
        flowlab.cluster.use_client(client)
        try:
            slow.sweep(seconds=0.0, cache=False, grid={"x": [0.5]}).wait()  # warm the workers
            result = sweep_once(n, args.configs, args.seconds)
            ours = study_flowlab(args.configs, n, args.seconds)
            if plain_optuna:
                theirs = study_plain(client, args.configs, n, args.seconds)
                compared = f"{theirs:>15.2f} {ours / theirs:>6.2f}"
            else:
                compared = f"{'skipped':>15} {'-':>6}"
            print(
                f"{n:>7} | {result['wall']:>8.2f} {result['efficiency']:>10.2f} "
                f"{result['overhead'] * 1000:>12.0f} ms | {ours:>12.2f} {compared}"
            )
        finally:
            flowlab.cluster.use_client(None)
            client.close()
            cluster.close()


if __name__ == "__main__":
    main()
