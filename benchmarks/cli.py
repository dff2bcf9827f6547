"""Runs per second through the command line, on the persistent cluster of `flowlab cluster up`.

N small runs submitted one `flowlab submit` each (every submit is a new process, as in a
shell loop), then N runs in one `flowlab submit --array`; end to end (first submit to last
run recorded succeeded), and the scheduler's memory after each.

    python benchmarks/cli.py [--runs 200] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
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


def wait_all(env, ids: list[str]) -> None:
    pending = set(ids)
    while pending:
        found = json.loads(flowlab(env, "runs", 'tag = "bench"', "--json"))
        finished = {r["id"] for r in found if r["status"] in ("succeeded", "failed")}
        failed = [r["id"] for r in found if r["status"] == "failed" and r["id"] in pending]
        if failed:
            raise SystemExit(f"runs failed: {failed[:3]}")
        pending -= finished
        time.sleep(0.5)


def scheduler_memory(address: str) -> int:
    from distributed import Client

    with Client(address) as client:
        return client.run_on_scheduler(lambda: __import__("psutil").Process().memory_info().rss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="flowlab-cli-bench-")
    env = {**os.environ, "FLOWLAB_HOME": home}
    env.pop("FLOWLAB_SCHEDULER", None)
    address = flowlab(env, "cluster", "up", "--workers", str(args.workers)).strip()
    try:
        print(f"cluster {address}: {args.workers} workers; {args.runs} runs of {FLOW}")
        print(f"scheduler memory at start: {scheduler_memory(address) / 2**20:.0f} MiB")
        started = time.perf_counter()
        ids = [
            flowlab(env, "submit", FLOW, "--input", f"a={i}", "--tag", "bench").strip()
            for i in range(args.runs)
        ]
        submitted = time.perf_counter() - started
        wait_all(env, ids)
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
        wait_all(env, array_ids)
        total = time.perf_counter() - started
        print(
            f"--array: {args.runs / total:.2f} runs/s end to end; scheduler memory "
            f"{scheduler_memory(address) / 2**20:.0f} MiB"
        )
    finally:
        flowlab(env, "cluster", "down")


if __name__ == "__main__":
    main()
