"""Launching a compiled Graph: cache lookups, resource checks, the run record, submission."""

from __future__ import annotations

import contextlib
import contextvars
import warnings
from typing import Any

from flowlab.core.clusters.cluster import (
    get_client,
    plan_resources,
    starts_local_cluster,
    this_worker,
)
from flowlab.core.definition.resources import Resources
from flowlab.core.engine.tracker import RunTracker
from flowlab.core.record.records import (
    new_record,
    new_run_id,
)
from flowlab.core.runs.cache_status import record_cache_status
from flowlab.core.runs.run import Run
from flowlab.core.worker.cache import (
    content_hash,
    drop_corrupt,
    entry_problem,
    input_keys,
    keys_and_parts,
)
from flowlab.core.worker.content_keys import content_keyed_nodes
from flowlab.core.worker.seeds import default_seed, operator_seed
from flowlab.errors import ResourceUnavailable
from flowlab.store.transitions import run_event
from flowlab.types import from_json

#: fields the caller adds to the records of the runs it launches (the CLI: ``target``)
_LAUNCH_FIELDS: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "flowlab_launch_fields", default=None
)


@contextlib.contextmanager
def launch_fields(**fields: Any):
    """Add ``fields`` to the record of every run launched inside the block.

    Example::

        with launch_fields(target="flows.py:iris"):
            run = iris.launch(max_depth=4)
        run.record["target"]    # "flows.py:iris"
    """
    token = _LAUNCH_FIELDS.set({**(_LAUNCH_FIELDS.get() or {}), **fields})
    try:
        yield
    finally:
        _LAUNCH_FIELDS.reset(token)


def launch_workflow(
    workflow,
    inputs: dict,
    *,
    seed: int | None = None,
    tags: list[str] | None = None,
    client: Any = None,
    cache: bool = True,
    parent: str | None = None,
    priority: int = 0,
):
    """Launch ``workflow`` (a Workflow, or a catalog entry's StoredWorkflow, rebuilt first)
    with ``inputs`` given as a dict: what ``Workflow.launch`` does, with the options a sweep,
    a study, a rerun or a form add (``parent``, ``priority``). Returns the Run at once.

    Example::

        run = launch_workflow(iris, {"max_depth": 3}, parent=previous.id)
    """
    from flowlab.core.runs.workflow_catalog import StoredWorkflow, record_once

    if isinstance(workflow, StoredWorkflow):
        workflow = workflow.workflow()
    graph = workflow.compile(**inputs)
    record_once(workflow)
    return launch_graph(
        graph,
        seed=seed,
        tags=tags,
        client=client,
        cache=cache,
        parent=parent,
        priority=priority,
        source=workflow.source(),
    )


def warm_types(graph) -> None:
    """Import what writing the run's values needs (``FlowType.warm``: skops for a MODEL, seconds)
    in a background thread, while the local cluster starts and the operators run.

    Example::

        warm_types(iris.compile(labeled_data=frame, unlabeled_data=unlabeled))
    """
    import threading

    found = [*graph.returns.values()]
    for node in graph.nodes.values():
        found += node.outputs.values()

    def warm() -> None:
        for data in found:
            try:
                from_json(data).warm()
            except Exception:  # noqa: BLE001 - only a head start: the write imports it anyway
                pass

    threading.Thread(target=warm, name="flowlab-warm-types", daemon=True).start()


def launch_graph(
    graph,
    *,
    seed: int | None = None,
    tags: list[str] | None = None,
    client: Any = None,
    source: str = "",
    cache: bool = True,
    parent: str | None = None,
    priority: int = 0,
) -> Run:
    """Record a run for ``graph``, submit it to the cluster and return at once.

    Operators whose cache key (code version + inputs' content) has a stored result are not
    run: their record says ``cached`` and names the run the result came from. With
    ``cache=False`` nothing is looked up and only the workflow's outputs are written. Each
    operator's record says why it ran or not (``cache``: core/runs/cache_status.py); a stored
    result whose artifact is missing or corrupt is computed again, not read.
    """
    from flowlab.core.definition.context import current
    from flowlab.store import get_artifacts, get_store, store_url

    context = current()
    if parent is None and context is not None and context.run_id:
        parent = context.run_id  # launched from inside an operator: that operator's run
    run_id = new_run_id()
    input_hashes = {
        name: content_hash(value, _input_type(graph, name))
        for name, value in graph.input_values.items()
    }
    seed = default_seed(graph.workflow) if seed is None else int(seed)
    seeds = {node_id: operator_seed(seed, node_id) for node_id in graph.nodes}
    keys, key_parts = keys_and_parts(graph, input_hashes, seeds)
    record = new_record(graph, run_id, seed, tags, source)
    record.update(
        parent=parent, cache=cache, input_hashes=input_hashes, input_keys=input_keys(graph)
    )
    record.update(_LAUNCH_FIELDS.get() or {})
    store, artifacts = get_store(), get_artifacts()
    if context is not None and context.run_id and parent == context.run_id:
        # launched by an operator, on a worker whose process may be anyone's (a shared
        # cluster): the run is its parent run's user's
        record["user"] = (store.get_summary(parent) or {}).get("user") or record["user"]
    # nodes downstream of a cache=False operator are keyed by its outputs' content, on the
    # worker, once those exist (core/worker/content_keys.py): they are not looked up here
    content_keyed = content_keyed_nodes(graph) if cache else {}
    wanted = [
        keys[n]
        for n in graph.nodes
        if cache and graph.operators[n].cache and n not in content_keyed
    ]
    found = store.cache_get(wanted) if wanted else {}
    cached, lost = {}, {}
    for node_id in graph.nodes:
        op = record["operators"][node_id]
        op.update(cache_key=keys[node_id], key_parts=key_parts[node_id])
        entry = found.get(keys[node_id])
        if entry is None:
            continue
        problem = entry_problem(entry, artifacts)
        if problem is None:
            cached[node_id] = entry
            op.update(
                state="cached", cached_from=entry["run"], outputs=entry["outputs"], duration=0.0
            )
        else:  # computed again, and the record says why
            lost[node_id] = (problem, entry["run"])
            if problem == "artifact corrupt":
                drop_corrupt(entry, artifacts)
    record_cache_status(
        record,
        graph,
        enabled=cache,
        cached=cached,
        lost=lost,
        content_keyed=content_keyed,
        store=store,
    )
    store.put_run(record)
    if client is None and starts_local_cluster():
        warm_types(graph)  # this process tracks the run: write its outputs without waiting
    client = client or get_client()
    from flowlab.core.clusters.workers import prepare_workers  # imports distributed: only to launch

    prepare_workers(client, graph)
    requests = {
        nid: Resources(**n.resources).as_dask()
        for nid, n in graph.nodes.items()
        if nid not in cached
    }
    if this_worker() is not None:
        # launched by an operator: its CPU and memory are held by that operator (which waits,
        # seceded), so the child asks only for what it needs beyond them (a GPU); asking again
        # would deadlock when every worker's CPU is held by such a parent
        requests = {
            nid: {k: v for k, v in r.items() if k not in ("CPU", "MEMORY")}
            for nid, r in requests.items()
        }
    try:
        plans = plan_resources(client, requests)
    except ResourceUnavailable as exc:
        exc.run_id = run_id
        run_event(record, "fail", operator=exc.operator, message=str(exc))
        record["operators"][exc.operator].update(state="failed", error=str(exc))
        store.put_run(record)
        raise
    from flowlab.core.engine.cluster_runs import kept_by_cluster

    if kept_by_cluster(client):
        run = _hand_over(
            record,
            client,
            store,
            artifacts,
            graph=graph,
            plans=plans,
            seeds=seeds,
            keys=keys,
            cached=cached,
            keep=cache,
            store_url=store_url(),
            artifacts=artifacts.root,
            content_keyed=content_keyed,
            priority=priority,
        )
        if run is not None:
            return run
    run = Run(record, store=store, artifacts=artifacts)
    tracker = RunTracker(
        run,
        graph,
        client,
        store,
        artifacts,
        seeds=seeds,
        keys=keys,
        cached=cached,
        keep=cache,
        store_url=store_url(),
        content_keyed=content_keyed,
        priority=priority,
    )
    run.tracker = tracker
    tracker.submit(plans)
    return run


def _hand_over(record: dict, client, store, artifact_store, **spec: Any) -> Run | None:
    """The scheduler keeps the run (core/engine/cluster_runs.py); None when it cannot (flowlab not
    importable there, an old scheduler): then this process follows the run, as on a local
    cluster, and says so."""
    from flowlab.core.engine.cluster_runs import ClusterFollower, hand_over

    try:
        keeper = hand_over(client, {"record": record, **spec})
    except Exception as exc:
        warnings.warn(
            f"run {record['id']}: the scheduler cannot keep the run ({type(exc).__name__}: "
            f"{exc}); this process follows it and must live until it ends",
            RuntimeWarning,
            stacklevel=4,
        )
        return None
    record["launcher"] = keeper
    run = Run(record, store=store, artifacts=artifact_store)
    run.tracker = ClusterFollower(run, client, store)
    return run


def _input_type(graph, name: str):
    type_json = graph.input_types.get(name)
    return from_json(type_json) if type_json else None
