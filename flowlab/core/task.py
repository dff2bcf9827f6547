"""What runs on a Dask worker for one operator: validate, call, capture, report."""

from __future__ import annotations

import contextlib
import os
import threading
import time
import traceback
from typing import Any

from flowlab.core.capture import captured, tail
from flowlab.core.content_keys import lookup, output_identity, runtime_key
from flowlab.core.context import operator_context
from flowlab.core.graph import resolve
from flowlab.core.invoke import check_outputs, prepare_inputs, seed_everything
from flowlab.core.keeping import keep_later
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
        "keep",
        "key_parents",
        "identify",
        "store",
        "mapped",
        "guard",
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
        keep: bool = False,
        key_parents: list[str] | None = None,
        identify: bool = False,
        store: str | None = None,
        mapped: list[str] | None = None,
        guard: bool | None = None,
    ):
        # op.map: the inputs mapped over; flowlab.branch: the side this node runs on
        self.mapped, self.guard = mapped or [], guard
        self.run_id, self.node_id, self.operator = run_id, node_id, operator
        self.inputs, self.literals = inputs, literals or {}
        self.seed, self.topic = seed, topic
        # the launch-time cache key, and the artifact root (checkpoints, kept outputs)
        self.cache_key, self.artifacts = cache_key, artifacts
        # keep the outputs for the cache and resume (written off the critical path)
        self.keep = keep
        # content-keyed (core/content_keys.py): the parents whose identity finishes the key,
        # looked up in the run store at ``store``; ``identify``: children need our identity
        self.key_parents, self.identify, self.store = key_parents, identify, store


def run_task(spec: TaskSpec, parents: dict[str, Any]) -> dict:
    """Run one operator on this worker; returns ``{"outputs": {...}, "meta": {...}}``."""
    worker = _worker()
    address = worker.address if worker is not None else None
    started = time.time()
    meta = {
        "run": spec.run_id,
        "node": spec.node_id,
        "worker": address,
        "pid": os.getpid(),
        "started": started,
        "cache_key": spec.cache_key,
    }
    _report(worker, spec.topic, {**meta, "state": "running"})
    results = {k: v["outputs"] for k, v in parents.items() if not k.startswith("$input:")}
    inputs = {
        k.removeprefix("$input:"): v.value for k, v in parents.items() if k.startswith("$input:")
    }
    if spec.key_parents is not None:
        hit = _content_keyed(spec, parents, meta)
        if hit is not None:
            meta.update(state="succeeded", ended=time.time(), logs="")
            _report(worker, spec.topic, meta)
            return {"outputs": hit, "meta": meta}
    if spec.guard is not None:
        condition = resolve(spec.inputs["$when"], results, inputs, spec.literals)
        if bool(condition) != spec.guard:  # the other side of a flowlab.branch was taken
            meta.update(state="skipped", ended=time.time(), logs="")
            _report(worker, spec.topic, meta)
            return {"outputs": dict.fromkeys(spec.operator.returns), "meta": meta}
    notes: dict = {}
    with captured() as logs, _live_tail(worker, spec, logs):
        try:
            arguments = resolve(spec.inputs, results, inputs, spec.literals)
            arguments.pop("$when", None)
            if spec.mapped:
                from flowlab.core.fanout import run_mapped

                outputs = run_mapped(
                    spec, arguments, meta, lambda message: _report(worker, spec.topic, message)
                )
                meta.update(state="succeeded", ended=time.time(), logs=tail(logs.getvalue()))
                _report(worker, spec.topic, meta)
                return {"outputs": outputs, "meta": meta}
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
            declared = spec.operator.returns_for(arguments)
            if spec.identify:
                meta["identity"] = (
                    meta["cache_key"] if spec.keep else output_identity(outputs, declared)
                )
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
                spec.node_id, meta["error"], meta["traceback"], meta["logs"], meta.get("elements")
            ) from None
    meta.update(state="succeeded", ended=time.time(), logs=tail(logs.getvalue()))
    _report(worker, spec.topic, meta)
    envelope = {"outputs": outputs, "meta": meta}
    if spec.keep:
        # children start now; the files for the cache and the record are written meanwhile
        envelope["keep"] = {"declared": declared, "root": spec.artifacts}
        keep_later(
            meta,
            declared,
            outputs,
            spec.artifacts,
            lambda message: _report(worker, spec.topic, message),
        )
    return envelope


def _content_keyed(spec: TaskSpec, parents: dict[str, Any], meta: dict) -> dict | None:
    """Finish a content-keyed node's key from its parents' identities; the cached outputs if
    the cache has them (core/content_keys.py)."""
    from flowlab.core.cache import CachedOutputs

    identities = {p: parents[p]["meta"].get("identity") for p in spec.key_parents}
    meta["cache_key"] = runtime_key(spec.cache_key or "", identities)
    if spec.identify:
        meta["identity"] = meta["cache_key"]
    if not spec.keep or not spec.store:
        return None
    entry = lookup(spec.store, spec.artifacts, meta["cache_key"])
    if entry is None:
        return None
    meta.update(cached_from=entry["run"], outputs=entry["outputs"])
    cached = CachedOutputs(entry["outputs"], spec.artifacts)
    return {name: cached[name] for name in entry["outputs"]}


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


#: how often a running operator's new output is sent to the run's view, and how much of it
LIVE_LOG_SECONDS = 1.0
LIVE_LOG_CHARS = 4000


@contextlib.contextmanager
def _live_tail(worker, spec: TaskSpec, logs):
    """While the operator runs, send the tail of what it printed or logged when it grew, so a
    run view shows a long operator's progress before it ends (the full logs come at the end)."""
    if worker is None or not spec.topic:
        yield
        return
    entry = [worker, spec, logs, 0]
    with _tails_lock:
        _tails[id(entry)] = entry
        _start_tail_thread()
    try:
        yield
    finally:
        with _tails_lock:
            _tails.pop(id(entry), None)


# One thread per worker process sends every running operator's new output: a thread per
# operator cost a thread start and join per task (measured: most of a no-op task's time)
_tails: dict[int, list] = {}
_tails_lock = threading.Lock()
_tail_thread: threading.Thread | None = None


def _start_tail_thread() -> None:
    global _tail_thread
    if _tail_thread is None or not _tail_thread.is_alive():
        _tail_thread = threading.Thread(target=_send_tails, name="flowlab-logs", daemon=True)
        _tail_thread.start()


def _send_tails() -> None:
    while True:
        time.sleep(LIVE_LOG_SECONDS)
        with _tails_lock:
            entries = list(_tails.values())
        for entry in entries:
            worker, spec, logs, sent = entry
            try:
                size = logs.tell()
                if size == sent:
                    continue
                entry[3] = size
                text = logs.getvalue()[-LIVE_LOG_CHARS:]
            except ValueError:  # the operator ended and its buffer closed meanwhile
                continue
            _report(worker, spec.topic, {"node": spec.node_id, "state": "logs", "logs": text})


def _report(worker, topic: str | None, message: dict) -> None:
    if worker is not None and topic:
        worker.log_event(topic, message)
