"""Prediction service speed: flowlab serve beside MLflow's model server, same iris tree.

One run, side by side, with ``wrk`` (Debian's package) on loopback: single-instance iris
requests at 1, 8, 32 and 64 connections for ``--seconds`` each; throughput and p50/p99 for

- flowlab serve, 1 worker;
- flowlab serve, 1 worker, with a shadow version mirroring every request;
- flowlab serve, 2 workers;
- ``mlflow models serve`` (uvicorn/FastAPI, 1 worker) from a separate virtual environment
  (``--mlflow-python``, default /work/mlflow-venv/bin/python), the same tree trained there.

    python benchmarks/serving.py [--seconds 10] [--connections 1 8 32 64]

Prints a table; asserts nothing. Other processes on the machine share its cores: compare
rows of one run, not runs of different days.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FEATURES = ["petal_width", "petal_height", "sepal_width", "sepal_height"]
INSTANCE = {"petal_width": 2, "petal_height": 14, "sepal_width": 33, "sepal_height": 50}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {process.stdout.read() if process.stdout else ''}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"no answer from {url}")


def wrk(url: str, body: dict, connections: int, seconds: int) -> dict:
    """Throughput and latency quantiles from one wrk run (POST of ``body``)."""
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    script.write(
        textwrap.dedent(
            f"""
            wrk.method = "POST"
            wrk.body = {json.dumps(json.dumps(body))}
            wrk.headers["Content-Type"] = "application/json"
            """
        )
    )
    script.close()
    threads = min(2, connections)
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            script.name,
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    ).stdout
    os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50": _ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1)),
        "p99": _ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1)),
        "errors": int(errors.group(1)) if errors else 0,
    }


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def deploy_models(home: Path) -> str:
    """Train a depth-3 and a depth-2 iris tree with flowlab; deploy them as versions 1, 2."""
    code = textwrap.dedent(
        """
        import flowlab
        from flowlab.library import data
        from tests.serving.workflows import serving_iris
        frame = data.iris()
        runs = [serving_iris.launch(labeled_data=frame, max_depth=d, seed=1) for d in (3, 2)]
        for run in runs:
            run.result(timeout=600)
            run.deploy("iris-classifier")
        flowlab.models.alias("iris-classifier", "production", 1)
        flowlab.models.alias("iris-classifier", "candidate", 2)
        try:
            flowlab.cluster.shutdown()
        except Exception:  # a slow shutdown on a busy machine changes nothing deployed
            pass
        """
    )
    env = {**os.environ, "FLOWLAB_HOME": str(home), "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT, timeout=900)
    return "iris-classifier"


def flowlab_rows(home: Path, name: str, args, workers: int, shadow: bool) -> list[dict]:
    env = {**os.environ, "FLOWLAB_HOME": str(home), "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [
            sys.executable,
            "-c",
            f"import flowlab; flowlab.models.shadow({name!r}, {'candidate' if shadow else None!r})",
        ],
        check=True,
        env=env,
        cwd=ROOT,
    )
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flowlab.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    label = f"flowlab serve, {workers} worker{'s' if workers > 1 else ''}" + (
        " + shadow" if shadow else ""
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", process)
        url = f"http://127.0.0.1:{port}/v1/models/{name}:predict"
        body = {"instances": [INSTANCE]}
        wrk(url, body, 8, 2)  # warm up: models loaded, code paths hot
        return [
            {"server": label, "c": c, **wrk(url, body, c, args.seconds)} for c in args.connections
        ]
    finally:
        process.terminate()
        process.wait(timeout=30)


def mlflow_rows(args) -> list[dict]:
    python = args.mlflow_python
    if not Path(python).exists():
        print(
            f"(MLflow skipped: no {python}; python3 -m venv /work/mlflow-venv && "
            "/work/mlflow-venv/bin/pip install mlflow scikit-learn)"
        )
        return []
    workdir = Path(tempfile.mkdtemp(prefix="flowlab-bench-mlflow-"))
    model_dir = workdir / "model"
    train = textwrap.dedent(
        f"""
        import pandas as pd, mlflow.sklearn
        from sklearn.tree import DecisionTreeClassifier
        frame = pd.read_csv({str(ROOT / "flowlab/library/data/iris.csv")!r})
        tree = DecisionTreeClassifier(max_depth=3, min_samples_leaf=5, random_state=1)
        tree.fit(frame[{FEATURES!r}], frame["species"])
        mlflow.sklearn.save_model(tree, {str(model_dir)!r}, input_example=frame[{FEATURES!r}].head(2), skops_trusted_types=["sklearn.tree._tree.Tree"])
        """
    )
    subprocess.run([python, "-c", train], check=True, timeout=600)
    port = free_port()
    mlflow = str(Path(python).parent / "mlflow")
    process = subprocess.Popen(
        [
            mlflow,
            "models",
            "serve",
            "-m",
            str(model_dir),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "--env-manager",
            "local",
            "-w",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={
            **os.environ,
            "MLFLOW_TRACKING_URI": f"file://{workdir}/mlruns",
            # mlflow starts `uvicorn` by name: its own venv's
            "PATH": f"{Path(python).parent}:{os.environ.get('PATH', '')}",
        },
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/ping", process)
        url = f"http://127.0.0.1:{port}/invocations"
        body = {"dataframe_records": [INSTANCE]}
        wrk(url, body, 8, 2)
        return [
            {"server": "mlflow models serve, 1 worker", "c": c, **wrk(url, body, c, args.seconds)}
            for c in args.connections
        ]
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 8, 32, 64])
    parser.add_argument("--mlflow-python", default="/work/mlflow-venv/bin/python")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install -y wrk")
    home = Path(tempfile.mkdtemp(prefix="flowlab-bench-serving-"))
    name = deploy_models(home)
    header = (
        f"{'server':38s} {'conns':>5s} {'req/s':>9s} {'p50 ms':>8s} {'p99 ms':>8s} {'non-2xx':>7s}"
    )
    rows = []
    measures = [
        lambda: flowlab_rows(home, name, args, workers=1, shadow=False),
        lambda: flowlab_rows(home, name, args, workers=1, shadow=True),
        lambda: flowlab_rows(home, name, args, workers=2, shadow=False),
        lambda: mlflow_rows(args),
    ]
    for measure in measures:
        try:
            new = measure()
        except Exception as e:  # one server failing still leaves the others' figures
            print(f"(failed: {e})")
            continue
        for r in new:
            print(_line(r), flush=True)
        rows += new
    print("\n" + header)
    for r in rows:
        print(_line(r))
    shutil.rmtree(home, ignore_errors=True)


def _line(r: dict) -> str:
    return (
        f"{r['server']:38s} {r['c']:5d} {r['rps']:9.0f} {r['p50']:8.2f} {r['p99']:8.2f} "
        f"{r['errors']:7d}"
    )


if __name__ == "__main__":
    main()
