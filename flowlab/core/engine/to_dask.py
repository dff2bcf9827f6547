"""A compiled Graph as Dask tasks: one task per operator node, the same for a run and for
:meth:`Graph.to_delayed <flowlab.core.definition.graph.Graph.to_delayed>`."""

from __future__ import annotations

from typing import Any

from flowlab.core.engine.dask_graph import TaskGraph, delayed_of
from flowlab.core.record.records import task_key
from flowlab.core.worker.sealing import Boxed, Sealed, seal
from flowlab.core.worker.task import TaskSpec, run_task

#: Workflow inputs bigger than this are scattered to the cluster once, not put in the graph.
SCATTER_BYTES = 1 << 20


def build_tasks(
    graph,
    *,
    run_id: str,
    seeds: dict[str, int],
    task_keys: dict[str, str],
    cache_keys: dict[str, str] | None = None,
    cached: dict[str, dict] | None = None,
    plans: dict[str, dict] | None = None,
    topic: str | None = None,
    artifacts: str | None = None,
    keep: bool = False,
    store: str | None = None,
    content_keyed: dict[str, list[str]] | None = None,
    client: Any = None,
) -> TaskGraph:
    """One task per node not ``cached``; cached nodes that children read become data.

    ``keep``: keep outputs of cached operators (for the cache and resume). ``client``: scatter
    big workflow inputs through it (else they travel in the graph).
    """
    from flowlab.core.worker.cache import CachedOutputs

    cached, plans, cache_keys = cached or {}, plans or {}, cache_keys or {}
    content_keyed = content_keyed or {}
    tasks = TaskGraph()
    input_keys = _inputs(graph, run_id, tasks, client)
    needed = {p for n, node in graph.nodes.items() if n not in cached for p in node.parents}
    identifying = {p for parents in content_keyed.values() for p in parents}
    sealed: dict[int, bytes] = {}  # each operator pickled once for all its tasks
    for node_id, node in graph.nodes.items():
        if node_id in cached:
            if node_id in needed:  # children read the stored outputs
                outputs = CachedOutputs(cached[node_id]["outputs"], artifacts)
                meta = {"identity": cache_keys.get(node_id)}
                tasks.data(task_keys[node_id], {"outputs": outputs, "meta": meta}, "cached")
            continue
        operator = graph.operators[node_id]
        spec = TaskSpec(
            run_id=run_id,
            node_id=node_id,
            operator=operator,
            inputs=node.inputs,
            literals=_literals_in(node.inputs, graph.literals),
            seed=seeds[node_id],
            topic=topic,
            cache_key=cache_keys.get(node_id),
            artifacts=artifacts,
            # a mapped node keeps each element (core/worker/fanout.py), not its lists
            keep=keep and operator.cache and (bool(node.mapped) or node.guard is None),
            key_parents=content_keyed.get(node_id),
            identify=node_id in identifying,
            store=store,
            mapped=node.mapped,
            guard=node.guard,
        )
        if id(operator) not in sealed:
            sealed[id(operator)] = seal(operator)
        spec.sealed_operator = sealed[id(operator)]
        parents = {p: task_keys[p] for p in node.parents}
        parents.update(
            {
                f"$input:{name}": key
                for name, key in input_keys.items()
                if _uses_input(node.inputs, name)
            }
        )
        annotations = {"retries": node.retries} if node.retries else {}
        if plans.get(node_id):
            annotations["resources"] = plans[node_id]
        tasks.task(task_keys[node_id], run_task, spec, parents=parents, annotations=annotations)
    return tasks


def _inputs(graph, run_id: str, tasks: TaskGraph, client) -> dict[str, Any]:
    """Workflow inputs passed by reference: graph keys, or Futures of scattered data."""
    from dask import is_dask_collection

    from flowlab.core.worker.keeping import value_size

    keys: dict[str, Any] = {}
    for name, ref in graph.inputs.items():
        if not (isinstance(ref, dict) and "$input" in ref):
            continue
        value = graph.input_values[name]
        # boxed, so a dask DataFrame reaches the operator as a collection, uncomputed
        if (
            client is not None
            and not is_dask_collection(value)
            and value_size(value) > SCATTER_BYTES
        ):
            # sent to the workers once, as data, rather than inside the graph
            keys[name] = client.scatter(Boxed(value), hash=False)
        else:
            keys[name] = f"$input:{name}@{run_id}"
            tasks.data(keys[name], Sealed(value), "inputs")  # .value, as a Boxed
    return keys


def to_delayed(graph, seed: int | None = None) -> dict[str, Any]:
    """Output name -> ``dask.delayed.Delayed`` computing that output of ``graph``.

    The tasks are those a run submits (inputs and outputs type-checked, each operator seeded
    from ``seed``, the workflow's default seed without one); nothing is cached or recorded.

    Example::

        graph = iris.compile(labeled_data=df, unlabeled_data=new)
        logloss, = dask.compute(graph.to_delayed()["logloss"], scheduler="threads")
    """
    from dask.base import tokenize

    from flowlab.core.worker.seeds import default_seed, operator_seed

    seed = default_seed(graph.workflow) if seed is None else int(seed)
    token = tokenize(graph.workflow, graph.version, seed, id(graph))[:12]
    run_id = f"delayed-{token}"
    task_keys = {n: task_key(run_id, n, node.operator) for n, node in graph.nodes.items()}
    seeds = {node_id: operator_seed(seed, node_id) for node_id in graph.nodes}
    tasks = build_tasks(graph, run_id=run_id, seeds=seeds, task_keys=task_keys)
    result = {}
    for name, ref in graph.outputs.items():
        key = f"output:{name}@{run_id}"
        parents = {node: task_keys[node] for node in _ref_nodes(ref)}
        spec = OutputSpec(graph, name, ref)
        tasks.task(key, workflow_output, Sealed(spec), parents=parents)
        result[name] = key
    built = tasks.build()
    return {name: delayed_of(tasks, built, key) for name, key in result.items()}


class OutputSpec:
    """What computing one workflow output needs (a plain class: Dask does not walk into it)."""

    __slots__ = ("workflow", "name", "ref", "type_json", "inputs", "literals")

    def __init__(self, graph, name: str, ref: Any):
        self.workflow, self.name, self.ref = graph.workflow, name, ref
        self.type_json = graph.returns.get(name)
        self.inputs = {k: v for k, v in graph.input_values.items() if _uses_input(ref, k)}
        self.literals = _literals_in(ref, graph.literals)


def workflow_output(sealed: Sealed, envelopes: dict[str, dict]) -> Any:
    """One workflow output from its operators' results, checked against its declared type."""
    spec: OutputSpec = sealed.value
    from flowlab.core.definition.graph import resolve

    results = {node: envelope["outputs"] for node, envelope in envelopes.items()}
    value = resolve(spec.ref, results, spec.inputs, spec.literals)
    flow_type = output_type(spec.type_json)
    if flow_type is not None and value is not None:
        value = flow_type.validate(value, f"output '{spec.name}' of workflow '{spec.workflow}'")
    return value


def output_type(type_json: dict | None):
    """The flowlab type of a workflow output, from its JSON description (exact inverse)."""
    from flowlab.types import from_json

    return from_json(type_json) if type_json else None


def _literals_in(value: Any, literals: dict) -> dict:
    found = {}

    def walk(v):
        if isinstance(v, dict):
            if "$literal" in v and len(v) == 1:
                found[v["$literal"]] = literals[v["$literal"]]
            else:
                for item in v.values():
                    walk(item)
        elif isinstance(v, list):
            for item in v:
                walk(item)

    walk(value)
    return found


def _uses_input(value: Any, name: str) -> bool:
    if isinstance(value, dict):
        if value == {"$input": name}:
            return True
        return any(_uses_input(v, name) for v in value.values())
    if isinstance(value, list):
        return any(_uses_input(v, name) for v in value)
    return False


def _ref_nodes(value: Any) -> list[str]:
    from flowlab.core.definition.graph import walk_refs

    found: list[str] = []
    walk_refs(value, lambda node, _out: found.append(node) if node not in found else None)
    return found
