"""What runs on a Dask worker for one operator: validate, call, capture, report."""

from __future__ import annotations

import contextlib
import os
import pickle
import threading
import time
from typing import Any

from dask.sizeof import sizeof

from flowlab.core.definition.context import operator_context
from flowlab.core.definition.graph import resolve
from flowlab.core.definition.invoke import check_outputs, prepare_inputs
from flowlab.core.definition.randomness import operator_randomness
from flowlab.core.record.tracebacks import format_exception_with_sources
from flowlab.core.worker.capture import captured, tail
from flowlab.core.worker.content_keys import lookup, output_identity, runtime_key
from flowlab.core.worker.keeping import keep_later
from flowlab.core.worker.sealing import seal
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
        "sealed_operator",
        "_sealed",
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
        # content-keyed (core/worker/content_keys.py): the parents whose identity finishes the key,
        # looked up in the run store at ``store``; ``identify``: children need our identity
        self.key_parents, self.identify, self.store = key_parents, identify, store
        # the operator sealed once for all the tasks of a graph that run it (see seal())
        self.sealed_operator: bytes | None = None
        self._sealed: tuple[bytes, bytes] | None = None

    def __reduce__(self):
        # sealed: the scheduler unpickles every graph, and must not need the modules of the
        # user's operators and values (a notebook's sys.path, a worker-only package); the
        # worker opens it (opened()), and a sealed spec passes on as it came
        sealed = getattr(self, "_sealed", None)
        if sealed is None:
            operator = self.sealed_operator or seal(self.operator)
            sealed = (operator, seal([getattr(self, n) for n in _FIELDS]))
        return (_sealed_spec, sealed)

    def opened(self) -> TaskSpec:
        """This spec with its fields, once it has crossed the scheduler sealed."""
        sealed = getattr(self, "_sealed", None)
        if sealed is not None:
            self.operator, self.sealed_operator = pickle.loads(sealed[0]), sealed[0]
            for name, value in zip(_FIELDS, pickle.loads(sealed[1]), strict=True):
                setattr(self, name, value)
            self._sealed = None
        return self


_FIELDS = [n for n in TaskSpec.__slots__ if n not in ("operator", "sealed_operator", "_sealed")]


def _sealed_spec(operator: bytes, fields: bytes) -> TaskSpec:
    spec = TaskSpec.__new__(TaskSpec)
    spec._sealed = (operator, fields)
    return spec


def run_task(spec: TaskSpec, parents: dict[str, Any]) -> dict:
    """Run one operator on this worker; returns ``{"outputs": {...}, "meta": {...}}``."""
    spec = spec.opened()
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
    results = {k: v["outputs"] for k, v in parents.items() if not k.startswith("$input:")}
    inputs = {
        k.removeprefix("$input:"): v.value for k, v in parents.items() if k.startswith("$input:")
    }
    if spec.key_parents is not None:
        hit = _content_keyed(spec, parents, meta)
        if hit is not None:
            meta.update(state="succeeded", ended=time.time(), logs="")
            _report(worker, spec.topic, meta)
            return Envelope(outputs=hit, meta=meta)
    if spec.guard is not None:
        condition = resolve(spec.inputs["$when"], results, inputs, spec.literals)
        if bool(condition) != spec.guard:  # the other side of a flowlab.branch was taken
            meta.update(state="skipped", ended=time.time(), logs="")
            _report(worker, spec.topic, meta)
            return Envelope(outputs=dict.fromkeys(spec.operator.returns), meta=meta)
    notes: dict = {}
    with captured() as logs, _live_tail(worker, spec, logs, meta) as quiet:
        try:
            arguments = resolve(spec.inputs, results, inputs, spec.literals)
            arguments.pop("$when", None)
            if spec.mapped:
                from flowlab.core.worker.fanout import run_mapped

                outputs = run_mapped(
                    spec, arguments, meta, lambda message: _report(worker, spec.topic, message)
                )
                quiet()
                meta.update(state="succeeded", ended=time.time(), logs=tail(logs.getvalue()))
                _report(worker, spec.topic, meta)
                return Envelope(outputs=outputs, meta=meta)
            prepared = prepare_inputs(spec.operator, arguments, spec.node_id)
            checkpoint = (
                f"{spec.artifacts}/checkpoints/{spec.cache_key}.pkl"
                if spec.artifacts and spec.cache_key
                else None
            )
            with (
                operator_context(
                    node_id=spec.node_id,
                    seed=spec.seed,
                    run_id=spec.run_id,
                    checkpoint=checkpoint,
                    notes=notes,
                ),
                # generators of the call's own: other operators draw in the worker's threads
                operator_randomness(spec.seed, spec.operator.draws_with_torch),
            ):
                result = spec.operator.fn(**prepared)
            outputs = dict(check_outputs(spec.operator, arguments, result, spec.node_id))
            declared = spec.operator.returns_for(arguments)
            if spec.identify:
                meta["identity"] = (
                    meta["cache_key"] if spec.keep else output_identity(outputs, declared)
                )
            if notes.get("checkpointed"):
                from flowlab.core.worker.checkpoint import clear

                clear(checkpoint)
        except BaseException as exc:
            quiet()
            meta.update(
                state="failed",
                ended=time.time(),
                logs=tail(logs.getvalue()),
                error=f"{type(exc).__name__}: {exc}",
                traceback=format_exception_with_sources(exc, spec.operator.sources),
            )
            _report(worker, spec.topic, meta)
            raise OperatorError(
                spec.node_id, meta["error"], meta["traceback"], meta["logs"], meta.get("elements")
            ) from None
    meta.update(state="succeeded", ended=time.time(), logs=tail(logs.getvalue()))
    _report(worker, spec.topic, meta)
    envelope = Envelope(outputs=outputs, meta=meta)
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
    the cache has them (core/worker/content_keys.py)."""
    from flowlab.core.worker.cache import CachedOutputs

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


class Envelope(dict):
    """What an operator's task returns: ``{"outputs": {...}, "meta": {...}}`` (a dict).

    Its own class so Dask sizes it by its outputs: walking the meta (worker, times, logs) of
    every task's result cost a tenth of a worker's time on no-op operators.
    """


@sizeof.register(Envelope)
def _sizeof_envelope(envelope: Envelope) -> int:
    meta = envelope.get("meta") or {}
    return sizeof(envelope.get("outputs")) + 1024 + len(meta.get("logs") or "")


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
#: an operator still running after this long is reported running; a shorter one is reported
#: once, when it ends (half the events of a run of many small operators)
RUNNING_NOTICE_SECONDS = 0.1


@contextlib.contextmanager
def _live_tail(worker, spec: TaskSpec, logs, meta: dict):
    """While the operator runs: say it runs once it has run RUNNING_NOTICE_SECONDS, and send
    the tail of what it printed or logged when it grew, so a run view shows a long operator's
    progress before it ends (the full logs come at the end). Yields ``quiet()``, which ends
    this before the operator's last report, so nothing of this arrives after it."""
    if worker is None or not spec.topic:
        yield lambda: None
        return
    # worker, spec, logs, chars sent, meta, announced, last tail sent
    entry = [worker, spec, logs, 0, meta, False, time.monotonic()]

    def quiet() -> None:
        with _tails_lock:
            _tails.pop(id(entry), None)

    with _tails_lock:
        _tails[id(entry)] = entry
        _start_tail_thread()
    try:
        yield quiet
    finally:
        quiet()


# One thread per worker process sends every running operator's news: a thread per operator
# cost a thread start and join per task (measured: most of a no-op task's time)
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
        time.sleep(RUNNING_NOTICE_SECONDS)
        now, wall = time.monotonic(), time.time()
        # under the lock: an entry ended by quiet() gets nothing more, so the operator's own
        # last report is the last word
        with _tails_lock:
            for entry in list(_tails.values()):
                worker, spec, logs, sent, meta, announced, last = entry
                if not announced and wall - meta["started"] >= RUNNING_NOTICE_SECONDS:
                    entry[5] = True
                    _report(worker, spec.topic, {**meta, "state": "running"})
                if now - last < LIVE_LOG_SECONDS:
                    continue
                entry[6] = now
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
