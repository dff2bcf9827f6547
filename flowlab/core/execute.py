"""Launching a compiled Graph: cache lookups, resource checks, the run record, submission."""

from __future__ import annotations

import hashlib
from typing import Any

from flowlab.core.cache import (
    content_hash,
    default_seed,
    node_keys,
    usable,
)
from flowlab.core.cluster import _this_worker, get_client, plan_resources
from flowlab.core.content_keys import content_keyed_nodes
from flowlab.core.records import (
    new_record,
    new_run_id,
    now_iso,
)
from flowlab.core.resources import Resources
from flowlab.core.run import Run
from flowlab.core.tracker import RunTracker
from flowlab.errors import ResourceUnavailable
from flowlab.types import from_json


def operator_seed(run_seed: int, node_id: str) -> int:
    """A seed for one operator, derived from the run's seed and the operator's place."""
    digest = hashlib.sha256(f"{run_seed}:{node_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


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
    ``cache=False`` nothing is looked up and only the workflow's outputs are written.
    """
    from flowlab.core.context import current
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
    keys = node_keys(graph, input_hashes, seeds)
    record = new_record(graph, run_id, seed, tags, source)
    record.update(parent=parent, cache=cache, input_hashes=input_hashes)
    store, artifacts = get_store(), get_artifacts()
    # nodes downstream of a cache=False operator are keyed by its outputs' content, on the
    # worker, once those exist (core/content_keys.py): they are not looked up here
    content_keyed = content_keyed_nodes(graph) if cache else {}
    wanted = [
        keys[n]
        for n in graph.nodes
        if cache and graph.operators[n].cache and n not in content_keyed
    ]
    found = store.cache_get(wanted) if wanted else {}
    cached = {}
    for node_id in graph.nodes:
        op = record["operators"][node_id]
        op["cache_key"] = keys[node_id]
        entry = found.get(keys[node_id])
        if entry is not None and usable(entry, artifacts):
            cached[node_id] = entry
            op.update(
                state="cached", cached_from=entry["run"], outputs=entry["outputs"], duration=0.0
            )
    store.put_run(record)
    client = client or get_client()
    from flowlab.core.workers import prepare_workers  # imports distributed: only to launch

    prepare_workers(client, graph)
    requests = {
        nid: Resources(**n.resources).as_dask()
        for nid, n in graph.nodes.items()
        if nid not in cached
    }
    if _this_worker() is not None:
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
        record.update(
            status="failed", ended=now_iso(), error={"operator": exc.operator, "message": str(exc)}
        )
        record["operators"][exc.operator].update(state="failed", error=str(exc))
        store.put_run(record)
        raise
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
    run._tracker = tracker
    tracker.submit(plans)
    return run


def _input_type(graph, name: str):
    type_json = graph.input_types.get(name)
    return from_json(type_json) if type_json else None
