"""Grid and random sweeps on the session's 2-worker cluster."""

from __future__ import annotations

import math

import numpy as np
import pytest

import flowlab
from flowlab.errors import FlowTypeError, SweepError
from tests.sweeps.ops import bowl

GRID = {"x": [1, 2, 4, 6], "y": [3, 5, 7]}


@pytest.fixture(scope="module")
def grid_sweep(client):
    return bowl.sweep(fail_at=6, grid=GRID).wait(timeout=240)


def test_grid_records_twelve_children_with_the_sweep_as_parent(grid_sweep):
    children = grid_sweep.runs
    assert len(children) == 12
    assert {r.parent for r in children} == {grid_sweep.id}
    parent = flowlab.get_run(grid_sweep.id)
    assert parent.workflow == "bowl.sweep"
    assert parent.record["kind"] == "sweep"


def test_grid_dataset_matches_the_childrens_outputs(grid_sweep):
    ds = grid_sweep.results
    assert ds["loss"].dims == ("x", "y")
    assert list(ds["x"].values) == GRID["x"] and list(ds["y"].values) == GRID["y"]
    for run in grid_sweep.runs:
        x, y = run.inputs["x"], run.inputs["y"]
        cell = ds.sel(x=x, y=y)
        assert cell["run_id"].item() == run.id
        assert cell["status"].item() == run.status
        if run.status == "succeeded":
            assert cell["loss"].item() == run.result().loss
            assert cell["score"].item() == run.result().score


def test_a_failing_child_gives_nan_and_the_sweep_completes(grid_sweep):
    ds = grid_sweep.results
    assert grid_sweep.status == "succeeded"
    failed = ds.sel(x=6)
    assert all(s == "failed" for s in failed["status"].values)
    assert np.isnan(failed["loss"].values).all()
    assert int((ds["status"] == "succeeded").sum()) == 9


def test_best_agrees_with_the_minimum(grid_sweep):
    ds = grid_sweep.results
    best = grid_sweep.best("loss")
    assert best.result().loss == float(ds["loss"].min())
    assert (best.inputs["x"], best.inputs["y"]) == (4, 5)
    assert grid_sweep.best("score", direction="maximize").inputs["x"] == 4


def test_resweeping_unchanged_configurations_is_served_from_the_cache(grid_sweep):
    again = bowl.sweep(fail_at=6, grid={"x": [1, 2, 3], "y": [3]}).wait(timeout=120)
    states = {r.inputs["x"]: next(iter(r.operators.values())).state for r in again.runs}
    assert states[1] == states[2] == "cached"
    assert states[3] == "succeeded"  # the new point of a widened grid runs


def test_random_search_with_a_seed_is_reproducible(client):
    space = {"x": flowlab.space.int(0, 9), "y": flowlab.space.int(1, 20, log=True)}
    first = bowl.sweep(random=space, n=5, seed=3).wait(timeout=120)
    second = bowl.sweep(random=space, n=5, seed=3).wait(timeout=120)
    assert first.configs == second.configs
    ds = first.results
    assert ds["loss"].dims == ("trial",)
    assert list(ds["x"].values) == [c["x"] for c in first.configs]
    assert list(ds["loss"].values) == list(second.results["loss"].values)
    assert all(0 <= c["x"] <= 9 and 1 <= c["y"] <= 20 for c in first.configs)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"grid": {"z": [1]}}, SweepError, "sweeps input 'z'.*its inputs are x, y"),
        ({"grid": {"x": [1, -2]}}, FlowTypeError, "value -2 of input 'x'.*INTEGER"),
        ({"grid": {"x": ["a"]}}, FlowTypeError, "value 'a' of input 'x'"),
        ({"grid": {}}, SweepError, "grid must be a non-empty dict"),
        ({"grid": {"x": []}}, SweepError, "input 'x' has an empty list"),
        ({"random": {"x": flowlab.space.int(0, 3)}}, SweepError, "needs n="),
        ({"random": {"x": flowlab.space.int(-5, 3)}, "n": 2}, FlowTypeError, "-5 of input 'x'"),
        (
            {"random": {"x": flowlab.space.float(0.0, 8.0)}, "n": 2},
            FlowTypeError,
            "value 3.05.* of input 'x' does not fit its type INTEGER",
        ),
        ({"grid": {"x": [1]}, "random": {"y": flowlab.space.int(0, 1)}}, SweepError, "exactly one"),
        ({"grid": {"x": [1]}, "x": 2}, SweepError, "both as a fixed input and as swept"),
    ],
)
def test_bad_sweeps_are_refused_before_anything_runs(store, kwargs, error, match):
    before = flowlab.store.count()
    with pytest.raises(error, match=match):
        bowl.sweep(**kwargs)
    assert flowlab.store.count() == before  # nothing recorded, nothing launched


def test_best_of_an_unknown_metric_names_the_outputs(grid_sweep):
    with pytest.raises(SweepError, match="'accuracy' is not a scalar output.*loss, score"):
        grid_sweep.best("accuracy")


def test_space_refuses_inverted_bounds():
    with pytest.raises(ValueError, match="low \\(5\\) is above high \\(1\\)"):
        flowlab.space.int(5, 1)
    assert not math.isnan(flowlab.space.float(0.1, 1, log=True).low)


NOTEBOOK_SWEEP = """
from flowlab import operator, workflow, types

@operator(returns=types.Schema(gain=types.DOUBLE(direction="higher")))
def gain_of(x: int):
    return {"gain": float(-(x - 3) ** 2)}

@workflow
def hill(x: int = 0):
    return {"gain": gain_of(x).gain}

sweep = hill.sweep(grid={"x": [1, 2, 3, 5]}).wait(timeout=240)
print(sweep.id)
"""

OTHER_PROCESS = """
import sys
from flowlab.sweeps import open_sweep
print(open_sweep(sys.argv[1]).best("gain").inputs["x"])
"""


def test_best_of_a_sweep_opened_in_another_process_uses_the_metrics_direction(tmp_path):
    """The swept workflow lived in a notebook kernel: the catalog rebuilds it elsewhere, so
    best() still knows that gain is to be maximised."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "FLOWLAB_HOME": str(tmp_path / "home")}

    def python(*args):
        done = subprocess.run(
            [sys.executable, "-c", *args], env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout.strip().splitlines()[-1]

    sweep_id = python(NOTEBOOK_SWEEP)
    assert python(OTHER_PROCESS, sweep_id) == "3"
