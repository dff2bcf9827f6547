"""flowlab: typed ML workflows in notebooks, compiled to Dask graphs.

Example::

    from flowlab import workflow, operator, types, Output, Resources

    @operator(returns=types.Schema(total=types.INTEGER))
    def add(a: int, b: int):
        return Output(total=a + b)
"""

import sys as _sys

from flowlab import forms, models, types
from flowlab.core.clusters import cluster
from flowlab.core.definition.branch import branch
from flowlab.core.definition.context import current_seed
from flowlab.core.definition.graph import Graph
from flowlab.core.definition.operator import Operator, operator
from flowlab.core.definition.output import Output
from flowlab.core.definition.randomness import rng, torch_generator
from flowlab.core.definition.resources import Resources
from flowlab.core.definition.versioning import UnversionedValueWarning
from flowlab.core.definition.workflow import Workflow, workflow
from flowlab.core.runs.run import Run, get_run
from flowlab.core.worker import checkpoint
from flowlab.core.worker.reporting import report
from flowlab.dashboard import dashboard
from flowlab.errors import (
    ChannelTypeError,
    CompileError,
    FlowTypeError,
    ResourceUnavailable,
    ReturnsMismatch,
    RunFailed,
)
from flowlab.notebook import load_ipython_extension
from flowlab.render.compare import compare
from flowlab.store import catalog as datasets
from flowlab.store.search import RunList, runs, searches
from flowlab.sweeps import Study, Sweep, space

# ``import flowlab.cluster`` reads as part of the public API; the module lives in core.
_sys.modules[__name__ + ".cluster"] = cluster
_sys.modules[__name__ + ".datasets"] = datasets
_sys.modules[__name__ + ".checkpoint"] = checkpoint
_sys.modules[__name__ + ".space"] = space

__version__ = "0.1.0"

__all__ = [
    "branch",
    "ChannelTypeError",
    "CompileError",
    "FlowTypeError",
    "Graph",
    "Operator",
    "Output",
    "Resources",
    "ResourceUnavailable",
    "ReturnsMismatch",
    "Run",
    "RunFailed",
    "RunList",
    "UnversionedValueWarning",
    "Study",
    "Sweep",
    "Workflow",
    "checkpoint",
    "cluster",
    "compare",
    "current_seed",
    "dashboard",
    "datasets",
    "forms",
    "get_run",
    "load_ipython_extension",
    "models",
    "operator",
    "report",
    "rng",
    "runs",
    "searches",
    "space",
    "torch_generator",
    "types",
    "workflow",
]


# -- Jupyter discovery (flowlab/jupyter is the server extension, flowlab/labextension the
# built JupyterLab frontend); private names Jupyter looks up on the package it is told about.
def _jupyter_server_extension_points():
    return [{"module": "flowlab.jupyter"}]


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "flowlab"}]
