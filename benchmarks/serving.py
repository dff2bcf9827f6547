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
rows of one run, not runs of different days. Each server's output goes to a log file in the
benchmark's temporary folder (removed at the end); a row whose figures are not a server's
answers says why in its notes: wrk's socket errors and timeouts, non-2xx answers, a server
that exited (with its last log line), a server that was skipped.
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


def start_server(command: list[str], log: Path, **popen) -> subprocess.Popen:
    """Start a server with its output in ``log``: a pipe nobody reads fills up and blocks a
    server that logs every request (MLflow's does), and the benchmark then measures nothing."""
    with open(log, "w") as out:  # the child keeps its own descriptor
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, **popen)


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)


def last_line(log: Path) -> str:
    lines = [line.strip() for line in log.read_text(errors="replace").splitlines()]
    lines = [line for line in lines if line]
    return lines[-1][:120] if lines else "(nothing logged)"


def exited(process: subprocess.Popen, log: Path) -> str | None:
    """Why the server's figures cannot be trusted, when it is no longer running."""
    if process.poll() is None:
        return None
    return f"server exited ({process.returncode}): {last_line(log)}"


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (why := exited(process, log)) is not None:
            raise RuntimeError(why)
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"no answer from {url} in {timeout:.0f} s; log: {last_line(log)}")


def wrk(url: str, body: dict, connections: int, seconds: int, folder: Path) -> dict:
    """Throughput, latency quantiles and what went wrong, from one wrk run (POST of ``body``).

    wrk counts every answer in Requests/sec, errors included, and prints nothing about
    requests that got no answer except its "Socket errors" line: both go into ``notes``."""
    script = folder / "post.lua"
    script.write_text(
        textwrap.dedent(
            f"""
            wrk.method = "POST"
            wrk.body = {json.dumps(json.dumps(body))}
            wrk.headers["Content-Type"] = "application/json"
            """
        )
    )
    threads = min(2, connections)
    done = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    out = done.stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if done.returncode != 0 or rps is None:
        said = (done.stderr.strip() or out.strip() or "no output").splitlines()[-1][:120]
        return _failed(f"wrk failed ({done.returncode}): {said}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    notes = []
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    if socket_errors:
        for kind, count in zip(
            ("connect", "read", "write", "timeouts"), socket_errors.groups(), strict=True
        ):
            if int(count):
                notes.append(f"{kind} {count}")
    if errors:
        notes.append(f"non-2xx {errors.group(1)}")
    if float(rps.group(1)) == 0 and not notes:
        notes.append("no answers")
    answered = float(rps.group(1)) > 0  # with no answer, wrk's latencies read 0.00us
    p50 = re.search(r"50%\s+([\d.]+\w+)", out) if answered else None
    p99 = re.search(r"99%\s+([\d.]+\w+)", out) if answered else None
    return {
        "rps": float(rps.group(1)),
        "p50": _ms(p50.group(1)) if p50 else None,
        "p99": _ms(p99.group(1)) if p99 else None,
        "errors": int(errors.group(1)) if errors else 0,
        "notes": ", ".join(notes),
    }


def _failed(why: str) -> dict:
    """A row with no figures (shown as "-", not as zeros) and the reason."""
    return {"rps": None, "p50": None, "p99": None, "errors": None, "notes": why}


def measure(url: str, body: dict, args, label: str, process, log: Path, folder: Path) -> list:
    """One row per connection count; a server that died on the way is named in the notes."""
    warm = wrk(url, body, 8, 2, folder)  # warm up: models loaded, code paths hot
    if (why := exited(process, log)) is not None:
        return [{"server": label, "c": None, **_failed(why)}]
    rows = []
    for c in args.connections:
        row = {"server": label, "c": c, **wrk(url, body, c, args.seconds, folder)}
        if (why := exited(process, log)) is not None:
            row["notes"] = ", ".join(filter(None, [row["notes"], why]))
            rows.append(row)
            break
        rows.append(row)
    if warm["notes"] and all(not r["rps"] for r in rows):
        rows[0]["notes"] = rows[0]["notes"] or f"warm-up: {warm['notes']}"
    return rows


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


def flowlab_label(workers: int, shadow: bool) -> str:
    return f"flowlab serve, {workers} worker{'s' if workers > 1 else ''}" + (
        " + shadow" if shadow else ""
    )


def flowlab_rows(home: Path, name: str, args, workers: int, shadow: bool, folder: Path) -> list:
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
    label = flowlab_label(workers, shadow)
    log = folder / f"flowlab-serve-{workers}{'-shadow' if shadow else ''}.log"
    if workers > 1:
        # flowlab serve would make its workers' metrics folder in /tmp and leave it there
        metrics = folder / f"metrics-{port}"
        metrics.mkdir()
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
    process = start_server(
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
        log,
        env=env,
        cwd=ROOT,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", process, log)
        url = f"http://127.0.0.1:{port}/v1/models/{name}:predict"
        return measure(url, {"instances": [INSTANCE]}, args, label, process, log, folder)
    finally:
        stop_server(process)


MLFLOW_LABEL = "mlflow models serve, 1 worker"


def mlflow_rows(args, folder: Path) -> list[dict]:
    python = args.mlflow_python
    venv = (
        f"python3 -m venv {Path(python).parents[1]} && "
        f"{Path(python).parent / 'pip'} install mlflow scikit-learn"
    )
    if not Path(python).exists():
        why = f"skipped: mlflow not installed (no {python}; {venv})"
        return [{"server": MLFLOW_LABEL, "c": None, **_failed(why)}]
    if subprocess.run([python, "-c", "import mlflow"], capture_output=True).returncode != 0:
        why = f"skipped: mlflow not installed in {python} ({venv})"
        return [{"server": MLFLOW_LABEL, "c": None, **_failed(why)}]
    workdir = folder / "mlflow"
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
    workdir.mkdir()
    subprocess.run([python, "-c", train], check=True, timeout=600, cwd=workdir)
    port = free_port()
    mlflow = str(Path(python).parent / "mlflow")
    log = folder / "mlflow-models-serve.log"
    process = start_server(
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
        log,
        cwd=workdir,
        env={
            **os.environ,
            "MLFLOW_TRACKING_URI": f"file://{workdir}/mlruns",
            # mlflow starts `uvicorn` by name: its own venv's
            "PATH": f"{Path(python).parent}:{os.environ.get('PATH', '')}",
        },
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/ping", process, log)
        url = f"http://127.0.0.1:{port}/invocations"
        body = {"dataframe_records": [INSTANCE]}
        return measure(url, body, args, MLFLOW_LABEL, process, log, folder)
    finally:
        stop_server(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 8, 32, 64])
    parser.add_argument("--mlflow-python", default="/work/mlflow-venv/bin/python")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install -y wrk")
    # the stores, models, wrk's script and every server's log; removed however the run ends
    with tempfile.TemporaryDirectory(prefix="flowlab-bench-serving-") as temp:
        folder = Path(temp)
        home = folder / "home"
        home.mkdir()
        name = deploy_models(home)
        rows = []
        measures = [
            (flowlab_label(w, s), lambda w=w, s=s: flowlab_rows(home, name, args, w, s, folder))
            for w, s in ((1, False), (1, True), (2, False))
        ]
        measures.append((MLFLOW_LABEL, lambda: mlflow_rows(args, folder)))
        for label, fn in measures:
            try:
                new = fn()
            except Exception as e:  # one server failing still leaves the others' figures
                new = [{"server": label, "c": None, **_failed(f"failed: {e}")}]
            for r in new:
                print(_line(r), flush=True)
            rows += new
    header = (
        f"{'server':38s} {'conns':>5s} {'req/s':>9s} {'p50 ms':>8s} {'p99 ms':>8s} "
        f"{'non-2xx':>7s}  notes"
    )
    print("\n" + header)
    for r in rows:
        print(_line(r))


def _line(r: dict) -> str:
    def cell(value, width: int, digits: int) -> str:
        return f"{'-':>{width}s}" if value is None else f"{value:{width}.{digits}f}"

    conns = "-" if r["c"] is None else str(r["c"])
    errors = "-" if r["errors"] is None else str(r["errors"])
    return (
        f"{r['server']:38s} {conns:>5s} {cell(r['rps'], 9, 0)} {cell(r['p50'], 8, 2)} "
        f"{cell(r['p99'], 8, 2)} {errors:>7s}  {r['notes']}"
    ).rstrip()


if __name__ == "__main__":
    main()
