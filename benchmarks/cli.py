"""Runs per second through the command line, on the persistent cluster of `flowlab cluster up`.

N small runs submitted one `flowlab submit` each (every submit is a new process, as in a
shell loop), then N runs in one `flowlab submit --array`; end to end (first submit to last
run recorded succeeded), and the scheduler's memory after each.

    python benchmarks/cli.py [--runs 200] [--workers 2]

Each `flowlab submit` launches in its own process and exits: the scheduler keeps the runs
(core/engine/cluster_runs.py). The cluster is taken down and its temporary FLOWLAB_HOME
removed at the end, however the run ends (Ctrl-C and SIGTERM included).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLOW = "tests.cli.flows:adder"


def flowlab(env, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "flowlab", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"flowlab {' '.join(args)} failed: {done.stderr}")
    return done.stdout


def wait_all(ids: list[str]) -> None:
    """Until every run is recorded succeeded (read from the store's index: polling through
    `flowlab runs` would cost a process and every full record each time)."""
    from flowlab.store import get_store

    store = get_store()
    pending = set(ids)
    while pending:
        for run_id in list(pending):
            status = (store.get_summary(run_id) or {}).get("status")
            if status in ("failed", "cancelled"):
                raise SystemExit(f"run {run_id} {status}: see `flowlab show {run_id}`")
            if status == "succeeded":
                pending.discard(run_id)
        time.sleep(0.2)


def scheduler_memory(address: str) -> int:
    from distributed import Client

    with Client(address) as client:
        return client.run_on_scheduler(lambda: __import__("psutil").Process().memory_info().rss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    # a kill from outside unwinds like Ctrl-C: the cluster goes down, the folder goes
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="flowlab-cli-bench-") as home:
        os.environ["FLOWLAB_HOME"] = home  # this process reads the same store
        os.environ.pop("FLOWLAB_STORE", None)
        env = {**os.environ, "FLOWLAB_HOME": home}
        env.pop("FLOWLAB_SCHEDULER", None)
        try:
            address = flowlab(env, "cluster", "up", "--workers", str(args.workers)).strip()
            measure(env, address, args)
        finally:  # also after an interrupted `cluster up`, which may have started one
            down = subprocess.run(
                [sys.executable, "-m", "flowlab", "cluster", "down"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
            )
            if down.returncode != 0:
                print(f"flowlab cluster down: {down.stderr.strip()}", file=sys.stderr)


def measure(env: dict, address: str, args) -> None:
    print(f"cluster {address}: {args.workers} workers; {args.runs} runs of {FLOW}")
    print(f"scheduler memory at start: {scheduler_memory(address) / 2**20:.0f} MiB")
    started = time.perf_counter()
    ids = [
        flowlab(env, "submit", FLOW, "--input", f"a={i}", "--tag", "bench").strip()
        for i in range(args.runs)
    ]
    submitted = time.perf_counter() - started
    wait_all(ids)
    total = time.perf_counter() - started
    print(
        f"one submit per run: {args.runs / total:.2f} runs/s end to end "
        f"({submitted / args.runs * 1000:.0f} ms per submit command); scheduler memory "
        f"{scheduler_memory(address) / 2**20:.0f} MiB"
    )
    started = time.perf_counter()
    values = ",".join(str(args.runs + i) for i in range(args.runs))
    out = flowlab(env, "submit", FLOW, "--array", f"a={values}", "--tag", "bench")
    array_ids = out.split()
    wait_all(array_ids)
    total = time.perf_counter() - started
    print(
        f"--array: {args.runs / total:.2f} runs/s end to end; scheduler memory "
        f"{scheduler_memory(address) / 2**20:.0f} MiB"
    )


if __name__ == "__main__":
    main()
