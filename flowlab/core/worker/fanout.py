"""What a mapped node's task does: one task per element on the cluster, through the worker's
client (the task secedes while it waits), outputs gathered into lists in element order.

Each element is cached on its own: its key is made from the operator's code version, the
element's seed and the content of what it reads (the element's values and the inputs passed
whole), so a list that gained an element runs only the new one, and resuming a run whose
element failed runs only that element. An element keeps its outputs and writes its cache
entry before it ends (so a failing sibling loses none); the mapped node's messages carry the
element counts to the run's tracker.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from flowlab.core.definition.context import operator_context
from flowlab.core.definition.invoke import check_outputs, prepare_inputs
from flowlab.core.definition.randomness import operator_randomness
from flowlab.core.record.records import task_key

#: how often a mapped node tells the run's view how many of its elements are done
PROGRESS_SECONDS = 0.25


def run_mapped(spec, arguments: dict, meta: dict | None = None, report=None) -> dict[str, list]:
    """Zip the mapped inputs, run the operator per element, return each output as a list.

    ``meta`` (the node's event) gets ``elements`` (counts: total, done, cached, failed);
    ``report(meta)`` sends progress while elements run.
    """
    meta = {} if meta is None else meta
    lists = {name: list(arguments[name]) for name in spec.mapped}
    lengths = {name: len(items) for name, items in lists.items()}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"'{k}' has {n} items" for k, n in lengths.items())
        raise ValueError(
            f"operator '{spec.operator.name}': .map(...) zips its lists, which must have one "
            f"length; {described}"
        )
    count = next(iter(lengths.values()), 0)
    calls = [{**arguments, **{k: v[i] for k, v in lists.items()}} for i in range(count)]
    seeds = [_element_seed(spec.seed, i) for i in range(count)]
    caching = bool(spec.keep and spec.store and spec.artifacts)
    keys = element_keys(spec, arguments, calls, seeds) if caching else [None] * count
    parts: list[dict | None] = [None] * count
    counts = {"total": count, "done": 0, "cached": 0, "failed": 0}
    meta.update(elements=counts)
    if caching:
        for i, outputs in _cached_elements(spec, keys).items():
            parts[i] = outputs
            counts["cached"] += 1
            counts["done"] += 1
    todo = [i for i in range(count) if parts[i] is None]
    failures: list[tuple[int, BaseException]] = []
    if todo:
        from distributed import as_completed, worker_client

        from flowlab.core.worker.sealing import Sealed

        with worker_client() as client:
            futures = {
                client.submit(
                    _run_sealed_element,
                    # the scheduler needs only flowlab (core/worker/sealing.py)
                    Sealed(
                        (
                            spec.operator,
                            calls[i],
                            f"{spec.node_id}[{i}]",
                            seeds[i],
                            spec.run_id,
                            keys[i],
                            (spec.artifacts, spec.store) if caching else None,
                        )
                    ),
                    pure=False,
                    key=task_key(spec.run_id, f"{spec.node_id}[{i}]", spec.operator.name),
                ): i
                for i in todo
            }
            last = time.monotonic()
            # every element ends (a failed one does not cancel the others: they are kept)
            for future in as_completed(list(futures)):
                i = futures[future]
                if future.status == "finished":
                    parts[i] = future.result()
                    counts["done"] += 1
                else:
                    failures.append((i, future.exception()))
                    counts["failed"] += 1
                if report is not None and time.monotonic() - last >= PROGRESS_SECONDS:
                    last = time.monotonic()
                    report({**meta, "state": "elements"})
    if failures:
        i, exc = min(failures, key=lambda f: f[0])
        others = f" ({len(failures) - 1} more elements failed)" if len(failures) > 1 else ""
        raise MappedElementFailed(
            f"element {i} of operator '{spec.node_id}' failed: {type(exc).__name__}: {exc}{others}"
        ) from exc
    names = list(parts[0]) if parts else list(spec.operator.returns)
    return {name: [part[name] for part in parts] for name in names}


class MappedElementFailed(RuntimeError):
    """An element of a mapped operator raised (the message names the element)."""


def _run_sealed_element(sealed) -> dict:
    return run_element(*sealed.value)


def run_element(
    operator,
    arguments: dict,
    node_id: str,
    seed: int | None,
    run_id: str,
    cache_key: str | None = None,
    where: tuple[str, str] | None = None,
) -> dict:
    """One element of a mapped operator (validated, seeded, outputs checked); with a
    ``cache_key`` and ``where`` (artifact root, store URL) its outputs are kept and its cache
    entry written before it returns."""
    prepared = prepare_inputs(operator, arguments, node_id)
    # generators of the element's own: elements run at once in a worker's threads
    with (
        operator_context(node_id=node_id, seed=seed, run_id=run_id),
        operator_randomness(seed, operator.draws_with_torch),
    ):
        result = operator.fn(**prepared)
    outputs = dict(check_outputs(operator, arguments, result, node_id))
    if cache_key and where:
        _cache_element(operator, arguments, outputs, node_id, run_id, cache_key, *where)
    return outputs


def _cache_element(operator, arguments, outputs, node_id, run_id, key, artifacts, store) -> None:
    from flowlab.core.record.records import now_iso
    from flowlab.core.worker.keeping import keep_outputs
    from flowlab.store import open_store

    kept = keep_outputs(operator.returns_for(arguments), outputs, artifacts)
    if kept is None:
        return  # an output the record cannot hold exactly: not cached
    entry = {
        "key": key,
        "run": run_id,
        "node": node_id,
        "operator": operator.name,
        "outputs": kept,
        "created": now_iso(),
    }
    open_store(store).cache_put([entry])


def element_keys(spec, arguments: dict, calls: list[dict], seeds: list) -> list[str]:
    """Each element's cache key: operator, code version, seed and the content it reads."""
    from flowlab.core.worker.cache import content_hash

    schema = spec.operator.input_schema
    whole = {
        name: content_hash(value, schema.get(name))
        for name, value in sorted(arguments.items())
        if name not in spec.mapped
    }
    keys = []
    for call, seed in zip(calls, seeds, strict=True):
        element = {name: content_hash(call[name], schema.get(name)) for name in spec.mapped}
        payload = {
            "operator": spec.operator.name,
            "version": spec.operator.version,
            "seed": seed,
            "whole": whole,
            "element": element,
        }
        text = json.dumps(payload, sort_keys=True)
        keys.append("element:" + hashlib.sha256(text.encode()).hexdigest()[:32])
    return keys


def _cached_elements(spec, keys: list[str]) -> dict[int, dict]:
    """Index -> outputs of the elements the run store has a usable cache entry for."""
    from flowlab.core.worker.cache import CachedOutputs, usable
    from flowlab.store import open_store
    from flowlab.store.artifacts import ArtifactStore

    found = open_store(spec.store).cache_get(sorted(set(keys)))
    artifacts = ArtifactStore(spec.artifacts)
    hits = {}
    for i, key in enumerate(keys):
        entry = found.get(key)
        if entry is not None and usable(entry, artifacts):
            cached = CachedOutputs(entry["outputs"], spec.artifacts)
            hits[i] = {name: cached[name] for name in entry["outputs"]}
    return hits


def _element_seed(seed: Any, index: int) -> int | None:
    if seed is None:
        return None
    digest = hashlib.sha256(f"{seed}:{index}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF
