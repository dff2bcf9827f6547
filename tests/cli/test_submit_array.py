"""`flowlab submit --array` makes a Sweep: its runs are the sweep's children (real CLI, real
cluster started by `flowlab cluster up`)."""

from __future__ import annotations

import datetime
import json
import re
import subprocess
import sys

from tests.cli.conftest import ROOT, keeper_of

FLOWS = "tests.cli.flows"


def test_array_is_a_sweep_whose_runs_are_its_children(cli):
    done = cli(
        "submit", f"{FLOWS}:adder", "--array", "a=1,2,3", "--input", "b=100", "--tag", "arr",
        "--wait",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    ids = done.stdout.split()
    assert len(ids) == 3  # one run per value, ids on stdout as before
    found = re.search(r"sweep (\S+) of 3 runs", done.stderr)
    assert found, done.stderr
    sweep_id = found.group(1)
    children = [cli.json("show", i) for i in ids]
    assert {c["parent"] for c in children} == {sweep_id}
    assert [c["outputs"]["total"] for c in children] == [101, 102, 103]
    assert all("arr" in c["tags"] for c in children)

    shown = cli.wait_for(sweep_id)
    assert shown["workflow"] == "adder.sweep" and shown["status"] == "succeeded"

    from flowlab.store import open_store
    from flowlab.sweeps import open_sweep

    sweep = open_sweep(sweep_id, store=open_store(f"tinydb://{cli.home}"))
    results = sweep.results
    assert list(results.dims) == ["a"] and list(results["a"].values) == [1, 2, 3]
    assert list(results["total"].values) == [101, 102, 103]
    assert sorted(results["run_id"].values) == sorted(ids)
    import tests.cli.flows  # noqa: F401  (best() reads the metric's type from the workflow)

    assert sweep.best("total", "maximize").id == ids[2]


def test_array_json_lists_each_run_with_the_sweep_as_parent(cli):
    runs = cli.json("submit", f"{FLOWS}:adder", "--array", "a=4,5", "--input", "b=1")
    assert [set(r) >= {"id", "status", "parent"} for r in runs] == [True, True]
    assert len({r["parent"] for r in runs}) == 1
    sweep = cli.wait_for(runs[0]["parent"])
    assert sweep["status"] == "succeeded"


def test_show_a_sweep_lists_its_children_and_counts_by_status(cli):
    done = cli(
        "submit", f"{FLOWS}:evens", "--array", "a=2,3,4", "--array", "b=0,10", "--wait",
    )  # fmt: skip
    assert done.returncode != 0  # two children failed (a + b odd)
    sweep_id = re.search(r"sweep (\S+) of 6 runs", done.stderr).group(1)
    ids = done.stdout.split()
    cli.wait_for(sweep_id)

    shown = cli.json("show", sweep_id)
    assert shown["workflow"] == "evens.sweep"
    assert shown["counts"] == {"succeeded": 4, "failed": 2}
    children = shown["children"]
    assert sorted(c["id"] for c in children) == sorted(ids)
    by_inputs = {(c["inputs"]["a"], c["inputs"]["b"]): c for c in children}
    assert set(by_inputs) == {(a, b) for a in (2, 3, 4) for b in (0, 10)}
    assert by_inputs[(4, 10)]["status"] == "succeeded"
    assert by_inputs[(4, 10)]["outputs"] == {"half": 7}
    assert by_inputs[(3, 0)]["status"] == "failed" and by_inputs[(3, 0)]["outputs"] == {}

    text = cli("show", sweep_id)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert "children: 6 (4 succeeded, 2 failed)" in lines
    header = next(line for line in lines if line.startswith("ID"))
    assert header.split() == ["ID", "A", "B", "STATUS", "HALF"]
    row = next(line for line in lines if line.startswith(by_inputs[(4, 10)]["id"]))
    assert row.split()[1:] == ["4", "10", "succeeded", "7"]
    failed = next(line for line in lines if line.startswith(by_inputs[(3, 0)]["id"]))
    assert failed.split()[1:] == ["3", "0", "failed", "-"]
    assert "operators:" not in lines  # a sweep has children, not operators


def test_show_a_plain_run_has_no_children(cli):
    done = cli("submit", f"{FLOWS}:adder", "--input", "a=1", "--wait")
    assert done.returncode == 0, done.stderr
    shown = cli.json("show", done.stdout.split()[0])
    assert "children" not in shown and "counts" not in shown


def test_array_on_a_cluster_launches_in_process_and_the_cluster_ends_the_sweep(cli):
    done = cli("submit", f"{FLOWS}:sleeper", "--array", "x=1,2,3", "--input", "seconds=2")
    returned_at = datetime.datetime.now(datetime.UTC)
    assert done.returncode == 0, done.stderr
    ids = done.stdout.split()
    sweep_id = re.search(r"sweep (\S+) of 3 runs", done.stderr).group(1)
    # the command started no detached launcher (and returned before its runs ended: below)
    assert not (cli.home / "launchers").exists()
    shown = cli.wait_for(sweep_id)
    assert shown["status"] == "succeeded", shown
    assert [c["id"] for c in shown["children"]] == ids
    assert shown["counts"] == {"succeeded": 3}
    assert shown["ended"] is not None
    assert returned_at < datetime.datetime.fromisoformat(shown["ended"])
    record = json.loads((cli.home / "runs" / f"{sweep_id}.json").read_text())
    keeper_of(record, cli.state())  # kept by the cluster
    assert [cli.json("show", i)["outputs"]["second"] for i in ids] == [1, 2, 3]


def test_a_process_killed_with_sigkill_after_starting_a_sweep_leaves_a_complete_sweep(cli):
    code = (
        "import os, signal\n"
        f"from {FLOWS} import sleeper\n"
        "sweep = sleeper.sweep(seconds=2, grid={'x': [4, 5, 6]})\n"
        "print(sweep.id, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=cli.env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == -9, done.stderr
    sweep_id = done.stdout.strip()
    shown = cli.wait_for(sweep_id)
    assert shown["status"] == "succeeded", shown
    assert shown["counts"] == {"succeeded": 3} and len(shown["children"]) == 3
    children = [cli.json("show", c["id"]) for c in shown["children"]]
    assert [c["outputs"] for c in children] == [{"first": x, "second": x} for x in (4, 5, 6)]
    assert {c["parent"] for c in children} == {sweep_id}


def test_show_a_study_lists_its_trials(cli):
    code = (
        "import flowlab\n"
        f"from {FLOWS} import adder\n"
        "study = adder.optimize(objective='total', direction='minimize', n_trials=3,\n"
        "                       parallel=1, space={'a': flowlab.space.int(0, 9)}, b=1)\n"
        "print(study.wait(timeout=120).id)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=cli.env, capture_output=True, text=True,
        timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    study_id = done.stdout.split()[-1]
    shown = cli.json("show", study_id)
    assert len(shown["children"]) == 3
    for trial in shown["children"]:
        assert trial["status"] == "succeeded"
        assert trial["outputs"]["total"] == trial["inputs"]["a"] + 1
    text = cli("show", study_id)
    assert text.returncode == 0, text.stderr
    assert "children: 3" in text.stdout
