"""``Workflow.sweep`` and ``Workflow.optimize``: installed on the core's Workflow by this layer
(the core knows nothing of sweeps; importing flowlab installs them)."""

from __future__ import annotations

from typing import Any

from flowlab.core.definition.workflow import Workflow
from flowlab.sweeps.study import launch_study
from flowlab.sweeps.sweep import launch_sweep


def sweep(
    self,
    *,
    grid: dict | None = None,
    random: dict | None = None,
    n: int | None = None,
    seed: int | None = None,
    cache: bool = True,
    **inputs: Any,
):
    """Run the workflow once per configuration: every grid combination, or ``n`` random
    draws from ``random`` (``flowlab.space`` ranges, reproducible with ``seed``).

    Every value is checked against its input's type before anything runs. Children run
    below interactive runs' priority; cached configurations cost nothing.

    Example::

        sweep = iris.sweep(labeled_data=df, unlabeled_data=new,
                           grid={"max_depth": [2, 4, 8, 16], "min_samples_leaf": [1, 5, 10]})
        sweep.wait().results["logloss"]
        sweep.best("logloss")
    """
    return launch_sweep(self, inputs, grid=grid, random=random, n=n, seed=seed, cache=cache)


def optimize(
    self,
    *,
    objective: str | list[str],
    space: dict,
    n_trials: int,
    parallel: int | None = None,
    direction: str | list[str] | None = None,
    sampler: Any = None,
    pruner: Any = None,
    study_name: str | None = None,
    cache: bool = True,
    **inputs: Any,
):
    """Tune inputs with Optuna: each trial a child run, ``parallel`` at a time.

    ``objective`` is a scalar output (or a list, for a multi-objective study); its
    direction is the output type's own unless ``direction`` says. Operators calling
    ``flowlab.report(step, value)`` let ``pruner`` stop bad trials (recorded ``pruned``).
    The Optuna study is kept beside the run store: the same ``study_name`` resumes it.

    Example::

        study = iris.optimize(labeled_data=df, unlabeled_data=new, objective="logloss",
                              space={"max_depth": flowlab.space.int(2, 32)}, n_trials=40)
        study.wait().best_params
    """
    return launch_study(
        self,
        inputs,
        objective=objective,
        space=space,
        n_trials=n_trials,
        parallel=parallel,
        direction=direction,
        sampler=sampler,
        pruner=pruner,
        study_name=study_name,
        cache=cache,
    )


Workflow.sweep = sweep
Workflow.optimize = optimize
