"""The engine: a run's life, in layers that import downwards only.

    definition < record < worker < clusters < engine < runs

``definition`` (operators, workflows, the Graph; never imports ``distributed``), ``record``
(a run's record), ``worker`` (what runs on a worker), ``clusters`` (the Dask clusters),
``engine`` (Graph → Dask, tracking, cancel) and ``runs`` (the ``Run`` handle, launch, the
workflow catalog). ``tests/test_layers.py`` keeps it so.

Modules moved into those sub-packages keep loading under their old names
(:data:`MOVED_MODULES`): a workflow captured into the catalog before the move names classes
such as ``flowlab.core.workflow.Workflow``, and unpickling it must still find them.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

#: old module name -> where it lives now
MOVED_MODULES = {
    f"flowlab.core.{old}": f"flowlab.core.{new}"
    for old, new in {
        "workflow": "definition.workflow",
        "operator": "definition.operator",
        "futures": "definition.futures",
        "trace": "definition.trace",
        "graph": "definition.graph",
        "channels": "definition.channels",
        "inputs": "definition.inputs",
        "returns": "definition.returns",
        "output": "definition.output",
        "resources": "definition.resources",
        "versioning": "definition.versioning",
        "dynamic": "definition.branch",
        "invoke": "definition.invoke",
        "context": "definition.context",
        "records": "record.records",
        "tracebacks": "record.tracebacks",
        "task": "worker.task",
        "fanout": "worker.fanout",
        "capture": "worker.capture",
        "cache": "worker.cache",
        "content_keys": "worker.content_keys",
        "checkpoint": "worker.checkpoint",
        "keeping": "worker.keeping",
        "reporting": "worker.reporting",
        "cluster": "clusters.cluster",
        "local_scheduler": "clusters.local_scheduler",
        "persistent": "clusters.persistent",
        "workers": "clusters.workers",
        "to_dask": "engine.to_dask",
        "dask_graph": "engine.dask_graph",
        "tracker": "engine.tracker",
        "cancel": "engine.cancel",
        "cluster_runs": "engine.cluster_runs",
        "execute": "runs.launch",
        "run": "runs.run",
        "workflow_catalog": "runs.workflow_catalog",
        "targets": "runs.targets",
        "run_keeper_process": "runs.run_keeper_process",
    }.items()
}


class MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports an old module name as the module it moved to (the same module object)."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in MOVED_MODULES:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return importlib.import_module(MOVED_MODULES[spec.name])

    def exec_module(self, module) -> None:
        pass  # already executed under its new name


if not any(isinstance(finder, MovedModules) for finder in sys.meta_path):
    sys.meta_path.append(MovedModules())
