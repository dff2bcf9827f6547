"""Scaling out, measured: how long `flowlab cluster up` takes until its workers accept work,
and how many runs per second an `--array` pushes through them, on a local cluster, a real
single-node Slurm (workers as jobs) and a real Dask Gateway (local backend), side by side.

    python benchmarks/scale_out.py [--runs 40] [--repeat 2]

Each engine gets the same two 1-core workers and the same workflow (tests/cli/flows.py's
adder, one tiny operator), so the difference is the engine's start and each run's overhead.
Slurm and the Gateway are started by the benchmark (tests/slurm.py, tests/gateway.py) in a
temporary folder and stopped at the end; nothing is left behind.
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
sys.path.insert(0, str(ROOT))

from tests.gateway import GatewayServer  # noqa: E402
from tests.slurm import SingleNodeSlurm, missing_reason  # noqa: E402

UP = {
    "local": ["--workers", "2", "--resources", "CPU=1,MEMORY=2GB"],
    "slurm": ["--slurm", "--jobs", "2", "--cores", "1", "--memory", "2GB"],
    "gateway": ["--jobs", "2", "--cores", "1", "--memory", "2GB"],
}


def flowlab(env: dict, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "flowlab", *args], env=env, capture_output=True, text=True, cwd=ROOT
    )
    if done.returncode != 0:
        raise RuntimeError(f"flowlab {' '.join(args)}: {done.stderr.strip()}")
    return done


def measure(engine: str, env: dict, runs: int, extra: list[str]) -> dict:
    started = time.perf_counter()
    flowlab(env, "cluster", "up", *UP[engine], *extra)
    up = time.perf_counter() - started
    try:
        values = ",".join(str(i) for i in range(runs))
        started = time.perf_counter()
        done = flowlab(
            env, "submit", "tests.cli.flows:adder", "--array", f"a={values}", "--wait", "--json"
        )
        array = time.perf_counter() - started
        statuses = [r["status"] for r in json.loads(done.stdout)]
        assert statuses == ["succeeded"] * runs, statuses
    finally:
        started = time.perf_counter()
        flowlab(env, "cluster", "down")
        down = time.perf_counter() - started
    return {"up": up, "array": array, "runs_per_s": runs / array, "down": down}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    results: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="flowlab-scale-out-") as temp:
        folder = Path(temp)
        base = {k: v for k, v in os.environ.items() if not k.startswith("FLOWLAB_")}
        engines: list[tuple[str, dict, list[str]]] = [("local", {}, [])]
        slurm = gateway = None
        reason = missing_reason()
        if reason is None:
            slurm = SingleNodeSlurm(folder / "slurm").start()
            engines.append(("slurm", slurm.env, []))
        else:
            print(f"slurm: skipped ({reason})")
        gateway = GatewayServer(folder / "gateway").start()
        engines.append(("gateway", gateway.client_env, ["--gateway", gateway.url]))
        try:
            for repeat in range(args.repeat):
                for engine, extra_env, extra in engines:
                    home = folder / f"home-{engine}-{repeat}"
                    env = {**base, **extra_env, "FLOWLAB_HOME": str(home)}
                    results.setdefault(engine, []).append(measure(engine, env, args.runs, extra))
        finally:
            gateway.stop()
            if slurm is not None:
                slurm.stop()
    load = os.getloadavg()[0]
    print(
        f"\n{args.runs}-run --array of a one-operator workflow, 2 one-core workers, "
        f"best of {args.repeat} (load average {load:.1f}, {os.cpu_count()} cores)"
    )
    print(f"{'engine':<10}{'up (s)':>10}{'array (s)':>12}{'runs/s':>10}{'down (s)':>10}")
    for engine, rows in results.items():
        best = min(rows, key=lambda r: r["array"])
        print(
            f"{engine:<10}{min(r['up'] for r in rows):>10.2f}{best['array']:>12.2f}"
            f"{best['runs_per_s']:>10.1f}{min(r['down'] for r in rows):>10.2f}"
        )


if __name__ == "__main__":
    main()
