"""What runs on a Dask worker for one operator: validate, call, capture, report."""

from __future__ import annotations

import os
import time
import traceback
from typing import Any

from flowlab.core.capture import captured, tail
from flowlab.core.context import operator_context
from flowlab.core.graph import resolve
from flowlab.core.invoke import check_outputs, prepare_inputs, seed_everything
from flowlab.errors import OperatorError


class TaskSpec:
    """Everything a worker needs to run one node, shipped with the task.

    A plain class on purpose: dask walks into dataclasses looking for collections, which
    costs milliseconds per task when building big graphs.
    """

    __slots__ = (
        "run_id",
        "node_id",
        "operator",
        "inputs",
        "literals",
        "seed",
        "topic",
        "cache_key",
        "artifacts",
    )

    def __init__(
        self,
        run_id: str,
        node_id: str,
        operator: Any,
        inputs: dict,
        literals: dict | None = None,
        seed: int | None = None,
        topic: str | None = None,
        cache_key: str | None = None,
        artifacts: str | None = None,
    ):
        self.run_id, self.node_id, self.operator = run_id, node_id, operator
        self.inputs, self.literals = inputs, literals or {}
        self.seed, self.topic = seed, topic
        # where this operator's outputs are kept for caching and resume (None: not kept)
        self.cache_key, self.artifacts = cache_key, artifacts


def run_task(spec: TaskSpec, parents: dict[str, Any]) -> dict:
    """Run one operator on this worker; returns ``{"outputs": {...}, "meta": {...}}``."""
    worker = _worker()
    address = worker.address if worker is not None else None
    started = time.time()
    meta = {"node": spec.node_id, "worker": address, "pid": os.getpid(), "started": started}
    _report(worker, spec.topic, {**meta, "state": "running"})
    results = {k: v["outputs"] for k, v in parents.items() if not k.startswith("$input:")}
    inputs = {
        k.removeprefix("$input:"): v.value for k, v in parents.items() if k.startswith("$input:")
    }
    notes: dict = {}
    with captured() as logs:
        try:
            arguments = resolve(spec.inputs, results, inputs, spec.literals)
            prepared = prepare_inputs(spec.operator, arguments, spec.node_id)
            seed_everything(spec.seed)
            checkpoint = (
                f"{spec.artifacts}/checkpoints/{spec.cache_key}.pkl"
                if spec.artifacts and spec.cache_key
                else None
            )
            with operator_context(
                node_id=spec.node_id,
                seed=spec.seed,
                run_id=spec.run_id,
                checkpoint=checkpoint,
                notes=notes,
            ):
                result = spec.operator.fn(**prepared)
            outputs = dict(check_outputs(spec.operator, arguments, result, spec.node_id))
            if spec.artifacts:
                meta["outputs"] = _keep_outputs(spec, arguments, outputs)
            if notes.get("checkpointed"):
                from flowlab.core.checkpoint import clear

                clear(checkpoint)
        except BaseException as exc:
            meta.update(
                state="failed",
                ended=time.time(),
                logs=tail(logs.getvalue()),
                error=f"{type(exc).__name__}: {exc}",
                traceback=traceback.format_exc(),
            )
            _report(worker, spec.topic, meta)
            raise OperatorError(
                spec.node_id, meta["error"], meta["traceback"], meta["logs"]
            ) from None
    meta.update(state="succeeded", ended=time.time(), logs=tail(logs.getvalue()))
    _report(worker, spec.topic, meta)
    return {"outputs": outputs, "meta": meta}


def _keep_outputs(spec: TaskSpec, arguments: dict, outputs: dict) -> dict | None:
    """Keep the outputs (inline JSON or artifact files); the run's tracker records the cache
    entry pointing at them, in batches."""
    from flowlab.store.artifacts import ArtifactStore
    from flowlab.store.values import dump_value
    from flowlab.types.base import NotRecordable

    declared = spec.operator.returns_for(arguments)
    artifacts = ArtifactStore(spec.artifacts)
    kept = {}
    for name, value in outputs.items():
        try:
            kept[name] = dump_value(declared.get(name), value, artifacts, exact=True)
        except NotRecordable:
            return None  # a value the record cannot hold exactly: no cache entry
    return kept


class Boxed:
    """Carries a value through the Dask graph untouched (dask would compute a collection)."""

    def __init__(self, value: Any):
        self.value = value


def meta_of(envelope: dict) -> dict:
    return envelope["meta"]


def _worker():
    try:
        from distributed import get_worker

        return get_worker()
    except ValueError:
        return None


def _report(worker, topic: str | None, message: dict) -> None:
    if worker is not None and topic:
        worker.log_event(topic, message)
