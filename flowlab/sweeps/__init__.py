"""Sweeps and studies: many runs of one workflow, their results as xarray, their views.

Example::

    sweep = iris.sweep(labeled_data=df, unlabeled_data=new,
                       grid={"max_depth": [2, 4, 8], "min_samples_leaf": [1, 5]})
    study = iris.optimize(labeled_data=df, unlabeled_data=new, objective="logloss",
                          space={"max_depth": flowlab.space.int(2, 32)}, n_trials=20)
"""

from flowlab.sweeps import methods as _methods  # noqa: F401  (Workflow.sweep, .optimize)
from flowlab.sweeps import space
from flowlab.sweeps.study import Study
from flowlab.sweeps.sweep import Sweep, launch_sweep, open_sweep

__all__ = ["Study", "Sweep", "launch_sweep", "open_sweep", "space"]
