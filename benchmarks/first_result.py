"""The first result in a fresh Python process: the seed's iris workflow from `python` starting
to its result (import, the local cluster's start, the run), side by side with the same work
on raw Dask (a 2-worker LocalCluster, the same four scikit-learn steps as client.submit calls).

    python benchmarks/first_result.py [--repeat 3]

Each repeat is a new process with a new FLOWLAB_HOME (nothing cached, cache=False); the table
shows the best and the median of the repeats.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FLOWLAB = textwrap.dedent(
    """
    import time
    started = time.perf_counter()
    import flowlab
    from flowlab.library import data
    imported = time.perf_counter()
    from tests.seed_iris import make_iris
    frame = data.iris()
    run = make_iris("logloss").launch(
        labeled_data=frame, unlabeled_data=frame.drop(columns=["species"]), cache=False
    )
    launched = time.perf_counter()
    run.result(timeout=600)
    ended = time.perf_counter()
    import json
    print(json.dumps({"import": imported - started, "launch": launched - imported,
                      "result": ended - launched, "total": ended - started}))
    """
)

RAW_DASK = textwrap.dedent(
    """
    import time
    started = time.perf_counter()
    from distributed import Client, LocalCluster
    from flowlab.library import data
    imported = time.perf_counter()


    def split(frame):
        from sklearn.model_selection import train_test_split
        return train_test_split(frame, train_size=0.8, test_size=0.2)


    def train(parts):
        from sklearn.tree import DecisionTreeClassifier
        train = parts[0]
        return DecisionTreeClassifier().fit(train.drop(columns=["species"]), train["species"])


    def metric(parts, model):
        from sklearn.metrics import log_loss
        test = parts[1]
        proba = model.predict_proba(test.drop(columns=["species"]))
        return log_loss(test["species"], proba, labels=model.classes_)


    def predict(frame, model):
        return model.predict(frame)


    if __name__ == "__main__":
        frame = data.iris()
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
        parts = client.submit(split, frame)
        model = client.submit(train, parts)
        loss = client.submit(metric, parts, model)
        predictions = client.submit(predict, frame.drop(columns=["species"]), model)
        launched = time.perf_counter()
        client.gather([loss, predictions])
        ended = time.perf_counter()
        import json
        print(json.dumps({"import": imported - started, "launch": launched - imported,
                          "result": ended - launched, "total": ended - started}))
        client.close()
        cluster.close()
    """
)


def one(script: str, folder: Path) -> dict:
    path = folder / "first.py"
    path.write_text(script)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWLAB_")}
    env["FLOWLAB_HOME"] = str(folder / "home")
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, str(path)], env=env, cwd=folder, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"{done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows: dict[str, list[dict]] = {"flowlab": [], "raw Dask": []}
    for _ in range(args.repeat):
        for name, script in (("flowlab", FLOWLAB), ("raw Dask", RAW_DASK)):
            with tempfile.TemporaryDirectory(prefix="flowlab-first-") as temp:
                rows[name].append(one(script, Path(temp)))
    print(
        f"\nfirst result in a fresh process, seed iris, {args.repeat} repeats "
        f"(load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores)"
    )
    print(f"{'':<10}{'import':>9}{'launch':>9}{'result':>9}{'total best':>12}{'median':>9}")
    for name, results in rows.items():
        best = min(results, key=lambda r: r["total"])
        median = statistics.median(r["total"] for r in results)
        print(
            f"{name:<10}{best['import']:>9.2f}{best['launch']:>9.2f}{best['result']:>9.2f}"
            f"{best['total']:>12.2f}{median:>9.2f}"
        )


if __name__ == "__main__":
    main()
