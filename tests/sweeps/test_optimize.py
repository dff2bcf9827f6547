"""Workflow.optimize: Optuna drives trials that are child runs; pruners stop bad ones."""

from __future__ import annotations

import optuna
import pytest

import flowlab
from flowlab.errors import FlowTypeError, SweepError
from tests.sweeps.ops import bowl, fan, tune


@pytest.fixture(scope="module")
def pruned_study(client):
    return tune.optimize(
        objective="loss",
        space={"lr": flowlab.space.float(0.0, 1.0)},
        n_trials=12,
        parallel=2,
        sampler=optuna.samplers.RandomSampler(seed=5),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1),
        study_name="tests-pruning",
    ).wait(timeout=300)


def test_a_study_of_twelve_trials_with_a_pruner_prunes_at_least_one(pruned_study):
    trials = pruned_study.study.trials
    assert len(trials) == 12
    states = [t.state for t in trials]
    assert optuna.trial.TrialState.PRUNED in states
    pruned = [t for t in trials if t.state == optuna.trial.TrialState.PRUNED]
    for t in pruned:  # recorded as a run whose status says pruned
        assert flowlab.get_run(t.user_attrs["run_id"]).status == "pruned"
    assert {r.parent for r in pruned_study.runs} == {pruned_study.id}
    assert len(pruned_study.runs) == 12


def test_study_results_have_a_trial_dim_with_params_as_coords(pruned_study):
    ds = pruned_study.results
    assert ds["loss"].dims == ("trial",)
    assert list(ds["lr"].values) == [t.params["lr"] for t in pruned_study.study.trials]
    statuses = set(ds["status"].values)
    assert "pruned" in statuses and "succeeded" in statuses
    best = pruned_study.best_run
    assert best.result().loss == pytest.approx(pruned_study.study.best_value)
    assert pruned_study.best_params == pruned_study.study.best_params
    assert flowlab.get_run(pruned_study.id).workflow == "tune.optimize"


def test_a_study_resumes_from_the_store_by_name(pruned_study):
    """A later optimize() with the same study_name (e.g. after a kernel restart) continues it."""
    more = tune.optimize(
        objective="loss",
        space={"lr": flowlab.space.float(0.0, 1.0)},
        n_trials=14,
        parallel=2,
        study_name="tests-pruning",
        steps=2,
        pause=0.0,
    ).wait(timeout=120)
    assert len(more.study.trials) == 14  # 12 kept, 2 new
    fresh = optuna.load_study(study_name="tests-pruning", storage=_storage())
    assert len(fresh.trials) == 14


def _storage():
    from flowlab.sweeps.storage import optuna_storage

    return optuna_storage()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"objective": "accuracy"}, "'accuracy' is not a scalar output.*loss, score"),
        ({"objective": "loss", "space": {"nope": flowlab.space.int(0, 1)}}, "input 'nope'"),
        ({"objective": "loss", "n_trials": 0}, "n_trials must be"),
        ({"objective": "score"}, "declares no direction"),
    ],
)
def test_bad_studies_are_refused_before_anything_runs(store, kwargs, match):
    arguments = {"space": {"x": flowlab.space.int(0, 8)}, "n_trials": 3, **kwargs}
    before = flowlab.store.count()
    with pytest.raises(SweepError, match=match):
        bowl.optimize(**arguments)
    assert flowlab.store.count() == before


@pytest.mark.parametrize(
    ("objective", "space", "error", "match"),
    [
        ("squares", {"n": flowlab.space.int(1, 3)}, SweepError, "'squares' is not a scalar output"),
        ("total", {"n": flowlab.space.float(1.0, 3.0)}, FlowTypeError, "input 'n'.*INTEGER"),
        ("total", {"n": flowlab.space.choice([1, "two"])}, FlowTypeError, "'two' of input 'n'"),
    ],
)
def test_a_non_scalar_objective_or_a_space_the_input_cannot_take_is_refused(
    store, objective, space, error, match
):
    before = flowlab.store.count()
    with pytest.raises(error, match=match):
        fan.optimize(objective=objective, direction="maximize", space=space, n_trials=2)
    assert flowlab.store.count() == before


def test_a_workflow_without_returns_is_optimised_by_its_operators_output_direction(client):
    """No returns= on the workflow: the objective's type (and direction) is the returned
    operator output's, as a notebook user writes workflows."""
    from tests.sweeps.ops import quadratic

    @flowlab.workflow
    def undeclared_bowl(x: int = 0, y: int = 5):
        return {"loss": quadratic(x=x, y=y).loss}

    study = undeclared_bowl.optimize(
        objective="loss", space={"x": flowlab.space.int(0, 8)}, n_trials=6, parallel=2
    ).wait(timeout=240)
    assert study.study.direction.name == "MINIMIZE"
    assert study.best_run.outputs["loss"] == min(
        r.outputs["loss"] for r in study.runs if r.status == "succeeded"
    )


def test_a_late_write_of_the_runs_tracker_keeps_the_pruned_status_a_study_wrote(client, store):
    """The study marks an ended trial ``pruned`` (study._tell) while its tracker (or the
    scheduler's keeper) may still write the record once more: that write keeps ``pruned``."""
    run = bowl.launch(x=3, fail_at=3)
    run.wait(timeout=120)
    assert run.status == "failed"
    run.update_record(lambda r: r.update(status="pruned"))  # as Study._tell does
    run.tracker._dirty.set()
    run.tracker.flush()  # the tracker's own write after the run ended (its pump's last one)
    assert store.get_run(run.id)["status"] == "pruned"
    assert run.tracker.record["status"] == "pruned"
    ended = store.get_run(run.id)["ended"]
    assert ended is not None
