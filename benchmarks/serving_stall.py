"""Does one big prediction request stall the small ones? ``flowlab serve`` on loopback, 1 worker.

A client sends 1-row iris requests back to back on one kept-alive connection, while another
sends an 8 MB request now and then; the 1-row latencies are split into those that overlapped
a big request and those that did not (quiet), and p50/p99/max are printed for each. Two big
requests:

- ``many``: 8 MB of plain iris instances (~108,000): parsing, validation and the model call
  are all big. Over the default 10,000 instances per request, so the server is started with
  ``FLOWLAB_SERVE_MAX_INSTANCES`` raised (code without that limit ignores the variable).
- ``padded``: 8 MB in 10,000 instances, each with an ignored 780-byte text field: within the
  default limits; mostly parsing.

    python benchmarks/serving_stall.py [--code DIR] [--home DIR] [--rounds 6]

``--code`` serves the flowlab of another checkout (``git worktree add /tmp/before HEAD``),
put first on PYTHONPATH; ``--home`` keeps the trained model (FLOWLAB_HOME) between runs, so
two checkouts are compared on the same model. Prints a table; asserts nothing. Other
processes on the machine share its cores: compare rows of one machine at one time. The
server's output goes to a log file in a temporary folder, removed at the end with the
temporary FLOWLAB_HOME (when ``--home`` is not given).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAME = "iris-stall"
INSTANCE = {"petal_width": 2, "petal_height": 14, "sepal_width": 33, "sepal_height": 50}
BIG_BYTES = 8 * 1024 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def deploy(home: Path) -> None:
    """Train a depth-3 iris tree with this checkout's flowlab and deploy it as NAME."""
    code = textwrap.dedent(
        f"""
        import flowlab
        from flowlab.library import data
        from tests.serving.workflows import serving_iris
        if {NAME!r} not in [m["name"] for m in flowlab.models.list()]:
            run = serving_iris.launch(labeled_data=data.iris(), max_depth=3, seed=1)
            run.result(timeout=600)
            run.deploy({NAME!r})
        try:
            flowlab.cluster.shutdown()
        except Exception:  # a slow shutdown on a busy machine changes nothing deployed
            pass
        """
    )
    env = {**os.environ, "FLOWLAB_HOME": str(home), "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT, timeout=900)


def big_bodies() -> dict[str, bytes]:
    one = json.dumps(INSTANCE)
    many = json.dumps({"instances": [INSTANCE] * (BIG_BYTES // (len(one) + 2))}).encode()
    note = "x" * 780
    padded = json.dumps({"instances": [{**INSTANCE, "note": note}] * 10_000}).encode()
    return {"many": many, "padded": padded}


class Server:
    def __init__(self, code: Path, home: Path, log: Path):
        self.port = free_port()
        self.log = log
        env = {
            **os.environ,
            "FLOWLAB_HOME": str(home),
            "PYTHONPATH": f"{code}{os.pathsep}{ROOT}",
            "FLOWLAB_SERVE_MAX_INSTANCES": "1000000",
        }
        command = [sys.executable, "-m", "flowlab.cli", "serve", "--port", str(self.port)]
        # to a file: a pipe nobody reads fills up and blocks the server mid-benchmark
        with open(log, "w") as out:
            self.process = subprocess.Popen(
                command, env=env, cwd=code, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 120
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"flowlab serve exited: {self.last_lines()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("flowlab serve did not answer /healthz") from None
                time.sleep(0.2)

    def post(self, conn: http.client.HTTPConnection, body: bytes) -> tuple[int, bytes]:
        conn.request(
            "POST",
            f"/v1/models/{NAME}:predict",
            body=body,
            headers={"Content-Type": "application/json"},
        )
        response = conn.getresponse()
        return response.status, response.read()

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)

    def last_lines(self, n: int = 5) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)


def measure(server: Server, big: bytes, rounds: int) -> dict:
    """1-row latencies (ms) that overlapped a big request, and those that did not."""
    small = json.dumps({"instances": [INSTANCE]}).encode()
    spans: list[tuple[float, float]] = []  # (sent, answered) of each big request
    timings: list[tuple[float, float]] = []
    big_statuses, small_errors = [], 0
    done = threading.Event()

    def small_stream():
        nonlocal small_errors
        conn = server.connection()
        while not done.is_set():
            sent = time.perf_counter()
            status, _ = server.post(conn, small)
            timings.append((sent, time.perf_counter()))
            small_errors += status != 200

    def big_stream():
        conn = server.connection()
        time.sleep(0.5)  # quiet 1-row requests first
        for _ in range(rounds):
            sent = time.perf_counter()
            status, _ = server.post(conn, big)
            spans.append((sent, time.perf_counter()))
            big_statuses.append(status)
            time.sleep(0.3)
        done.set()

    threads = [threading.Thread(target=small_stream), threading.Thread(target=big_stream)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    during, quiet = [], []
    for sent, answered in timings:
        overlapped = any(sent < end and answered > start for start, end in spans)
        (during if overlapped else quiet).append((answered - sent) * 1000)
    return {
        "big_ms": sorted((end - start) * 1000 for start, end in spans)[len(spans) // 2],
        "big_status": sorted(set(big_statuses)),
        "during": quantiles(during),
        "quiet": quantiles(quiet),
        "small_errors": small_errors,
    }


def quantiles(values: list[float]) -> dict:
    ordered = sorted(values)
    if not ordered:
        return {"n": 0, "p50": float("nan"), "p99": float("nan"), "max": float("nan")}
    return {
        "n": len(ordered),
        "p50": ordered[len(ordered) // 2],
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "max": ordered[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose flowlab serves")
    parser.add_argument("--home", type=Path, default=None, help="FLOWLAB_HOME to keep the model")
    parser.add_argument("--rounds", type=int, default=6, help="big requests per scenario")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(
        prefix="flowlab-bench-stall-", ignore_cleanup_errors=True
    ) as t:
        home = args.home or Path(t) / "home"
        home.mkdir(parents=True, exist_ok=True)
        deploy(home)
        measure_all(args, Server(args.code.resolve(), home, Path(t) / "flowlab-serve.log"))


def measure_all(args, server: Server) -> None:
    print(f"flowlab serve from {args.code.resolve()} on 127.0.0.1:{server.port}, 1 worker")
    print(
        f"{'big request':28s} {'big ms':>7s} {'status':>6s} {'1-row n':>7s} {'p50 ms':>7s} "
        f"{'p99 ms':>7s} {'max ms':>7s}   quiet p50/p99 ms"
    )
    try:
        bodies = big_bodies()
        warm = server.connection()
        for body in bodies.values():  # models loaded, code paths hot
            server.post(warm, body)
        for _ in range(50):
            server.post(warm, json.dumps({"instances": [INSTANCE]}).encode())
        for label, body in bodies.items():
            r = measure(server, body, args.rounds)
            d, q = r["during"], r["quiet"]
            status = ",".join(map(str, r["big_status"]))
            print(
                f"{label + f' ({len(body) / 2**20:.1f} MiB)':28s} {r['big_ms']:7.0f} "
                f"{status:>6s} {d['n']:7d} {d['p50']:7.1f} {d['p99']:7.1f} {d['max']:7.1f}"
                f"   {q['p50']:.1f}/{q['p99']:.1f}"
                + (f"  ({r['small_errors']} 1-row errors)" if r["small_errors"] else ""),
                flush=True,
            )
    except Exception:
        print(f"flowlab serve's last lines:\n{server.last_lines()}", file=sys.stderr)
        raise
    finally:
        server.stop()


if __name__ == "__main__":
    main()
