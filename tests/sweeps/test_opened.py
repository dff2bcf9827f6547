"""A sweep or study opened from the store by id (the dashboard, a later session): it follows
the store to its end, and a finished one gives the same results each time it is asked."""

from __future__ import annotations

import optuna
import xarray as xr

import flowlab
from flowlab.sweeps import open_sweep
from tests.polling import poll_for
from tests.sweeps.ops import bowl, tune


def test_a_study_opened_while_it_runs_follows_the_store_to_its_end(client):
    study = tune.optimize(
        objective="loss",
        space={"lr": flowlab.space.float(0.0, 1.0)},
        n_trials=3,
        parallel=1,
        sampler=optuna.samplers.RandomSampler(seed=3),
    )
    opened = open_sweep(study.id)
    assert opened.kind == "study" and opened.record["status"] == "running"
    poll_for(lambda: opened.done, 180, what="the opened study to read its end from the store")
    assert opened.status == "succeeded"
    assert opened.wait(timeout=60) is opened
    assert len(opened.results["trial"]) == 3


def test_an_opened_finished_sweep_gives_the_same_results_each_time(client):
    sweep = bowl.sweep(y=1, grid={"x": [1, 2, 3]}).wait(timeout=180)
    opened = open_sweep(sweep.id)
    first = opened.results
    first["doubled"] = first["loss"] * 2  # the caller's own
    again = opened.results
    assert "doubled" not in again
    xr.testing.assert_identical(again, sweep.results)
