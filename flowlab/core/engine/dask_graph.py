"""The one place flowlab touches Dask's graph internals.

flowlab builds its task graphs directly (``dask.delayed`` spends about a millisecond per call
walking arguments, which a 1000-operator workflow notices) from Dask's task spec classes
(``dask._task_spec``: ``Task``, ``TaskRef``, ``DataNode``, ``Dict``) grouped into
``HighLevelGraph`` layers whose annotations (resources, retries) reach the scheduler as they
are. Those classes are private: :func:`check_dask_internals` says, naming each, what moved,
and ``tests/core/test_dask_graph.py`` runs it against the pinned Dask.

Example::

    graph = TaskGraph()
    graph.data("x", 1)
    graph.task("y", operator_fn, "spec", parents={"x": "x"}, annotations={"retries": 1})
    hlg = graph.build()
    delayed_of(graph, hlg, "y").compute(scheduler="sync")
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

#: The Dask release these internals were checked against (see pyproject.toml).
CHECKED_WITH = "2026.7.1"


class DaskInternalsMoved(ImportError):
    """Dask changed a private piece flowlab builds its graphs on."""


def _internals():
    try:
        from dask._task_spec import DataNode, Dict, Task, TaskRef
        from dask.delayed import Delayed
        from dask.highlevelgraph import HighLevelGraph, MaterializedLayer
    except ImportError as exc:  # pragma: no cover - only when Dask moves them
        import dask

        raise DaskInternalsMoved(
            f"flowlab builds task graphs from dask._task_spec (Task, TaskRef, DataNode, Dict), "
            f"dask.highlevelgraph (HighLevelGraph, MaterializedLayer) and dask.delayed.Delayed, "
            f"checked with dask {CHECKED_WITH}; dask {dask.__version__} lacks one: {exc}. "
            "Pin dask to the checked release or update flowlab/core/engine/dask_graph.py."
        ) from exc
    return DataNode, Dict, Task, TaskRef, HighLevelGraph, MaterializedLayer, Delayed


class TaskGraph:
    """Tasks grouped into layers by their annotations; :meth:`build` gives a HighLevelGraph.

    A parent is named by its key (a task of this graph) or is a ``distributed.Future``
    (data already on the cluster, such as a scattered input).
    """

    def __init__(self):
        self._layers: dict[str, dict] = {}
        self._annotations: dict[str, dict] = {}
        self._layer_of: dict[Any, str] = {}

    def data(self, key: str, value: Any, layer: str = "data") -> None:
        """A value the graph carries as it is (never called, never walked into)."""
        DataNode, *_ = _internals()
        self._add(layer, key, DataNode(key, value), None)

    def task(
        self,
        key: str,
        fn: Callable,
        *args: Any,
        parents: Mapping[str, Any],
        annotations: dict | None = None,
    ) -> None:
        """``fn(*args, {name: value of parent})``: args pass untouched, parents' values in a dict."""
        _, Dict, Task, TaskRef, *_ = _internals()
        refs = {
            name: parent if isinstance(parent, TaskRef) else TaskRef(parent)
            for name, parent in parents.items()
        }
        layer = _layer_name(annotations or {})
        self._add(layer, key, Task(key, fn, *args, Dict(refs)), annotations or None)

    def _add(self, layer: str, key: str, node: Any, annotations: dict | None) -> None:
        self._layers.setdefault(layer, {})[key] = node
        if annotations:
            self._annotations[layer] = annotations
        self._layer_of[key] = layer

    def __contains__(self, key: str) -> bool:
        return key in self._layer_of

    def build(self):
        """The HighLevelGraph: one MaterializedLayer per distinct annotation set."""
        *_, HighLevelGraph, MaterializedLayer, _ = _internals()
        dependencies: dict[str, set] = {name: set() for name in self._layers}
        for name, tasks in self._layers.items():
            for node in tasks.values():
                for dep in getattr(node, "dependencies", ()):
                    # a dependency outside the graph is a Future the client already holds
                    layer = self._layer_of.get(dep)
                    if layer is not None and layer != name:
                        dependencies[name].add(layer)
        return HighLevelGraph(
            {
                name: MaterializedLayer(tasks, annotations=self._annotations.get(name))
                for name, tasks in self._layers.items()
            },
            dependencies,
        )


def delayed_of(tasks: TaskGraph, built, key: str):
    """A ``dask.delayed.Delayed`` for ``key`` of ``built`` (``tasks.build()``); it composes
    with a user's own Dask code."""
    *_, Delayed = _internals()
    return Delayed(key, built, layer=tasks._layer_of[key])


def _layer_name(annotations: dict) -> str:
    if not annotations:
        return "tasks"
    return repr(
        sorted((k, sorted(v.items()) if isinstance(v, dict) else v) for k, v in annotations.items())
    )


def _echo(*values: Any) -> tuple:
    return values


def check_dask_internals() -> None:
    """Raise DaskInternalsMoved, naming what changed, unless the pieces flowlab uses still fit.

    Checks the imports, then builds a small graph the way flowlab does (a data node, a task
    reading it and a Future-like ref, an annotated layer) and computes it with Dask's own
    synchronous scheduler.
    """
    import dask

    DataNode, Dict, Task, TaskRef, HighLevelGraph, MaterializedLayer, Delayed = _internals()
    problems = []
    graph = TaskGraph()
    graph.data("flowlab-check-x", {"v": 1})
    graph.task(
        "flowlab-check-y", _echo, "arg", parents={"x": "flowlab-check-x"}, annotations={"r": 1}
    )
    task = graph._layers[_layer_name({"r": 1})]["flowlab-check-y"]
    if set(getattr(task, "dependencies", ()) or ()) != {"flowlab-check-x"}:
        problems.append("Task.dependencies no longer lists the keys its TaskRefs point at")
    if getattr(TaskRef("k"), "key", None) != "k":
        problems.append("TaskRef(key).key is not the key")
    hlg = graph.build()
    layer = hlg.layers.get(_layer_name({"r": 1}))
    if layer is None or getattr(layer, "annotations", None) != {"r": 1}:
        problems.append("MaterializedLayer(mapping, annotations=...) lost the layer annotations")
    if hlg.dependencies.get(_layer_name({"r": 1})) != {"data"}:
        problems.append("HighLevelGraph(layers, dependencies) changed its dependencies")
    try:
        (result,) = dask.compute(delayed_of(graph, hlg, "flowlab-check-y"), scheduler="sync")
        if result != ("arg", {"x": {"v": 1}}):
            problems.append(f"a Task computed to {result!r}, not ('arg', {{'x': {{'v': 1}}}})")
    except Exception as exc:  # the shape changed in a way that breaks computing
        problems.append(f"computing a Task failed: {type(exc).__name__}: {exc}")
    try:
        from distributed import Future

        if not issubclass(Future, TaskRef):
            problems.append("distributed.Future is no longer a TaskRef (scattered inputs)")
    except ImportError:  # pragma: no cover - distributed is a dependency
        pass
    if problems:
        raise DaskInternalsMoved(
            f"flowlab's Dask adapter (flowlab/core/engine/dask_graph.py, checked with dask "
            f"{CHECKED_WITH}) does not fit dask {dask.__version__}: " + "; ".join(problems)
        )
