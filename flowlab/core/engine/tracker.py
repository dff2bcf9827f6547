"""Following one run on the cluster: worker events, completion, outputs, batched record writes."""

from __future__ import annotations

import collections
import json
import os
import threading
import time
from typing import Any

from flowlab.core.engine.cancel import POLL_SECONDS, take_request
from flowlab.core.engine.to_dask import build_tasks, output_type
from flowlab.core.record.records import (
    TERMINAL_OPERATOR,
    TERMINAL_RUN,
    now_iso,
    task_key,
)
from flowlab.core.worker.cache import CachedOutputs, usable
from flowlab.core.worker.task import meta_of
from flowlab.errors import OperatorError
from flowlab.store import summary_of
from flowlab.store.leases import LEASE_SECONDS, lease_holder, new_lease
from flowlab.store.transitions import lapsed_failure, run_event
from flowlab.types import from_json
from flowlab.types.dataset import resolve_name

FLUSH_SECONDS = 0.25
#: a record write is followed by at least this many times its duration without one, so writing
#: a big record (thousands of operators, ~30 ms each) takes at most ~2% of the run's CPU (the
#: cores a run's workers and scheduler need)
FLUSH_SHARE = 50
#: the longest pause between two tries of a write the store refused
MAX_BACKOFF_SECONDS = 5.0
#: how long a run's end is retried before it is kept in FLOWLAB_HOME (store.spill)
FINAL_WRITE_SECONDS = float(os.environ.get("FLOWLAB_FINAL_WRITE_SECONDS", "60"))
# (input content hash, artifact root) -> the artifact an input was written to, in this process
_INPUT_ARTIFACTS: dict[tuple, dict] = {}


class RunTracker:
    """Follows one run on the cluster: operator events, completion, outputs, record writes."""

    #: this process follows the run itself (a ClusterFollower reads what the keeper wrote)
    kept_by_cluster = False

    def __init__(
        self,
        run,  # the Run handle this tracker writes (flowlab.core.runs.run.Run)
        graph,
        client,
        store,
        artifacts,
        seeds: dict,
        keys: dict,
        cached: dict,
        keep: bool = True,
        store_url: str | None = None,
        content_keyed: dict | None = None,
        priority: int = 0,
        announce: bool = False,
    ):
        self.run, self.graph, self.client = run, graph, client
        #: tell the run's topic after each record write: a process following the run from
        #: the store (cluster_runs.ClusterFollower) reads it then, not on every worker event
        self.announce = announce
        self.seeds, self.keys, self.cached = seeds, keys, cached
        # keep: cached operators' outputs are kept (launch(cache=True)); content_keyed: nodes
        # whose key is finished on the worker (core/worker/content_keys.py)
        self.keep, self.store_url = keep, store_url
        self.content_keyed = content_keyed or {}
        self.store, self.artifacts = store, artifacts
        self.record = run.record
        self.topic = f"flowlab-run-{run.id}"
        self.lock = threading.RLock()
        self.done = threading.Event()
        self.futures: dict[str, Any] = {}
        self._dirty = threading.Event()
        self._write_lock = threading.Lock()
        self.listeners: list = []
        #: callbacks for ``flowlab.report(step, value)`` from the run's operators (studies)
        self.report_listeners: list = []
        #: Dask priority of the run's tasks: sweep children run below interactive runs (0)
        self.priority = priority
        self._cache_entries: list[dict] = []
        #: the status our last write gave the record (another one there was written by others)
        self._written_status: str | None = None
        # Worker events arrive on the scheduler's event loop (shared with a local client);
        # the handler only queues them, a thread of ours applies them and writes the record.
        self._events: collections.deque = collections.deque()

    # -- submission -------------------------------------------------------------------------------
    def submit(self, plans: dict[str, dict]) -> None:
        keys = {n: task_key(self.run.id, n, node.operator) for n, node in self.graph.nodes.items()}
        to_run = [n for n in keys if n not in self.cached]
        self.client.subscribe_topic(self.topic, self._events.append)
        if to_run:
            tasks = build_tasks(
                self.graph,
                run_id=self.run.id,
                seeds=self.seeds,
                task_keys=keys,
                cache_keys=self.keys,
                cached=self.cached,
                plans=plans,
                topic=self.topic,
                artifacts=self.artifacts.root,
                keep=self.keep,
                store=self.store_url,
                content_keyed=self.content_keyed,
                client=self.client,
            )
            futures = self.client.get(
                tasks.build(), [keys[n] for n in to_run], sync=False, priority=self.priority
            )
            self.futures = dict(zip(to_run, futures, strict=True))
        with self.lock:
            run_event(self.record, "start")
            self._renew_lease()
        self._dirty.set()
        threading.Thread(target=self._follow, name=f"flowlab-{self.run.id}", daemon=True).start()
        threading.Thread(
            target=self._pump, name=f"flowlab-events-{self.run.id}", daemon=True
        ).start()

    # -- events from workers ----------------------------------------------------------------------
    def _on_event(self, event) -> None:
        _, message = event
        if "report" in message:  # an intermediate value (flowlab.report), not a state change
            for listener in list(self.report_listeners):
                listener(message["report"])
            return
        node = message.get("node")
        with self.lock:
            op = self.record["operators"].get(node)
            if op is not None and "elements" in message:  # a mapped node (core/worker/fanout.py)
                self._elements(op, message)
                if message.get("state") == "elements":
                    self.changed()
                    return
            if op is not None and message.get("state") == "kept":
                self._kept(op, message)
                return
            if op is not None and message.get("state") == "logs":
                # a running operator's output so far; its whole log arrives when it ends
                if op["state"] != "running":
                    return
                op["logs"] = message.get("logs", "")  # and on to _changed() below
            if op is None:
                return
            if op["state"] in TERMINAL_OPERATOR:
                self._after_end(op, message)
                return
            state = message.get("state")
            if message.get("started") is not None and state != "logs":
                self._execution(op, message)
            if state == "running":
                op.update(
                    state="running",
                    worker=message.get("worker"),
                    pid=message.get("pid"),
                    ended=None,
                )
            elif state == "skipped":  # the other side of a flowlab.branch was taken
                self._apply_meta(op, message)
                op["state"] = "skipped"
            elif state == "succeeded":
                op["state"] = "succeeded"
                self._apply_meta(op, message)
            elif state == "failed":
                # the future decides whether this was final (retries may follow)
                op.update(
                    error=message.get("error"),
                    traceback=message.get("traceback"),
                    logs=message.get("logs", ""),
                )
        self.changed()

    def _execution(self, op: dict, message: dict) -> None:
        """Count an execution of the operator at its first report: an execution is known by
        its start (a short one is only reported when it ends); ``workers`` gets its worker."""
        started = now_iso(message["started"])
        if started != op["started"]:
            op.update(started=started, attempts=op["attempts"] + 1)
            op.setdefault("workers", []).append(message.get("worker"))

    def _after_end(self, op: dict, message: dict) -> None:
        """A report on an operator whose task ended: its own, trailing the future, or one of a
        new execution. Dask computes a finished task again when the worker holding its result
        died before every child read it; that execution is counted (``attempts``,
        ``recomputed``, its worker in ``workers``) and the record shows it (worker, times,
        logs), while the operator keeps its state: the run goes on. Should it fail, the child
        that needed it fails with its error, and ``_finish_node`` records it on this one."""
        state = message.get("state")
        if message.get("started") is None or state not in _EXECUTION_STATES:
            return
        started = now_iso(message["started"])
        again = op.get("recomputed") and started == op["started"]  # the last one, going on
        if (
            op["state"] in ("succeeded", "cached", "skipped")
            and op["started"] is not None
            and started > op["started"]  # ISO 8601 text sorts as the time it says
        ):
            self._execution(op, message)
            op["recomputed"] = op.get("recomputed", 0) + 1
            op.update(
                worker=message.get("worker"), pid=message.get("pid"), ended=None, duration=None
            )
            again = True
        if not again:  # this task's own report, after its future
            if state == op["state"] and not op["ended"]:
                self._apply_meta(op, message)
            return
        if state != "running" and not op["ended"]:  # the recomputation ended
            self._apply_meta(op, message, again=True)
            if state == "failed":
                op.update(error=message.get("error"), traceback=message.get("traceback"))

    def _apply_meta(self, op: dict, meta: dict, again: bool = False) -> None:
        """A finished execution's report (``again``: a recomputation, which leaves the
        operator's state as it is)."""
        self._execution(op, meta)
        op.update(worker=meta.get("worker"), pid=meta.get("pid"), logs=meta.get("logs", ""))
        if meta.get("elements"):  # a mapped node's element counts
            self._elements(op, meta)
        if meta.get("cache_key"):  # a content-keyed node's key is finished on the worker
            op["cache_key"] = meta["cache_key"]
        if meta.get("ended"):
            op.update(
                ended=now_iso(meta["ended"]), duration=round(meta["ended"] - meta["started"], 6)
            )
        if meta.get("cached_from") and not again:  # found in the cache by the worker
            op.update(
                state="cached",
                cached_from=meta["cached_from"],
                outputs=meta["outputs"],
                cache={"status": "hit", "from_run": meta["cached_from"], "changed": []},
            )

    def _elements(self, op: dict, message: dict) -> None:
        """A mapped node's element counts (core/worker/fanout.py); never fewer done than known."""
        known = op.get("elements") or {}
        if message["elements"].get("done", 0) >= known.get("done", 0):
            op["elements"] = dict(message["elements"])

    def _kept(self, op: dict, message: dict) -> None:
        """An operator's outputs are written: record them and make its cache entry."""
        if message.get("cache_key"):
            op["cache_key"] = message["cache_key"]
        if message.get("outputs") is not None and op.get("outputs") is None:
            op["outputs"] = message["outputs"]
            self._remember(op)

    # -- completion -------------------------------------------------------------------------------
    def _follow(self) -> None:
        from distributed import as_completed

        try:
            self._record_inputs()
            node_of = {f.key: node for node, f in self.futures.items()}
            for future in as_completed(list(self.futures.values()), loop=self.client.loop):
                self._drain()
                self._finish_node(node_of[future.key], future)
            self._finish_run()
        except Exception as exc:  # a bug of ours must still leave a truthful record
            with self.lock:
                run_event(self.record, "fail", message=f"flowlab: {exc!r}")
        finally:
            try:
                self._final_flush()
            finally:
                self.done.set()
                self._notify()
            try:
                self.client.unsubscribe_topic(self.topic)
            except Exception:
                pass

    def _finish_node(self, node: str, future) -> None:
        with self.lock:
            op = self.record["operators"][node]
            if future.status == "finished":
                if op["state"] not in ("cached", "skipped"):
                    op["state"] = "succeeded"
            elif future.status == "error":
                exc = future.exception()
                if isinstance(exc, OperatorError) and exc.operator != node:
                    op.update(
                        state="cancelled",
                        error=f"upstream operator '{exc.operator}' failed",
                        traceback=None,
                    )
                    self._upstream_failed(exc)
                elif isinstance(exc, OperatorError):
                    if exc.elements:  # a mapped node's element counts
                        self._elements(op, {"elements": exc.elements})
                    op.update(
                        state="failed",
                        error=exc.message,
                        traceback=exc.traceback,
                        logs=exc.logs or op["logs"],
                    )
                else:
                    op.update(state="failed", error=f"{type(exc).__name__}: {exc}")
                if op["ended"] is None:
                    op["ended"] = now_iso()
            else:
                op.update(state="cancelled", error=op["error"] or "cancelled")
        self.changed()

    def _upstream_failed(self, exc: OperatorError) -> None:
        """A child failed with its upstream's error although the upstream's own task had
        succeeded: the upstream's result was lost with its worker and computing it again
        failed. The failure is the upstream's: recorded there, it names the run's error."""
        up = self.record["operators"].get(exc.operator)
        if up is None or up["state"] not in ("succeeded", "cached", "skipped"):
            return  # failed already, or its own future will say
        up.update(
            state="failed",
            error=exc.message,
            traceback=exc.traceback,
            logs=exc.logs or up["logs"],
            ended=up["ended"] or now_iso(),
        )

    def _finish_run(self) -> None:
        self._complete_meta()
        self._complete_kept()
        ops = self.record["operators"]
        failed = [n for n, op in ops.items() if op["state"] == "failed"]
        cancelled = [n for n, op in ops.items() if op["state"] == "cancelled"]
        values, problem = self._collect_outputs()
        with self.lock:
            if failed:
                first = failed[0]
                message = f"operator '{first}' failed: {ops[first]['error']}"
                run_event(self.record, "fail", operator=first, message=message)
            elif problem:
                run_event(self.record, "fail", message=problem)
            elif cancelled:
                run_event(self.record, "cancel")
            else:
                run_event(self.record, "succeed")
        self.run.take_values(values)
        self.futures = {}  # let the cluster free intermediate results

    def _complete_meta(self, wait: float = 2.0) -> None:
        """Worker events may trail the futures; wait briefly, then ask the worker for the rest."""
        deadline = time.monotonic() + wait
        missing = self._missing_meta()
        while missing and time.monotonic() < deadline:
            time.sleep(0.02)
            self._drain()
            missing = self._missing_meta()
        # a task that failed has no report to ask for (a recomputation that could not end)
        missing = [n for n in missing if self.futures[n].status not in ("error", "cancelled")]
        if missing:
            metas = self.client.gather(
                [self.client.submit(meta_of, self.futures[n], pure=False) for n in missing]
            )
            with self.lock:
                for node, meta in zip(missing, metas, strict=True):
                    self._apply_meta(self.record["operators"][node], meta)

    def _complete_kept(self) -> None:
        """Outputs still being written when the run's last operator ended: wait for them, on
        their workers, so that the record and the cache entries are complete."""
        from flowlab.core.worker.keeping import kept_outputs

        with self.lock:
            missing = [
                n
                for n, op in self.record["operators"].items()
                if op["state"] == "succeeded"
                and op.get("outputs") is None
                and self.keep
                and self.graph.operators[n].cache
                and n in self.futures
            ]
        if not missing:
            return
        kept = self.client.gather(
            [self.client.submit(kept_outputs, self.futures[n], pure=False) for n in missing]
        )
        with self.lock:
            for node, outputs in zip(missing, kept, strict=True):
                self._kept(self.record["operators"][node], {"outputs": outputs})

    def _missing_meta(self) -> list[str]:
        with self.lock:
            return [
                n
                for n, op in self.record["operators"].items()
                if op["state"] == "succeeded" and op["ended"] is None
            ]

    def _collect_outputs(self) -> tuple[dict, str | None]:
        """Gather, validate and store the workflow's outputs that could be computed."""
        from flowlab.core.definition.graph import resolve
        from flowlab.store.values import dump_value

        ops = self.record["operators"]
        needed = {node for ref in self.graph.outputs.values() for node in _ref_nodes(ref)}
        # "cached" here: found in the cache by its worker (a content-keyed node)
        ready = [
            n
            for n in needed
            if ops[n]["state"] == "succeeded" or (ops[n]["state"] == "cached" and n in self.futures)
        ]
        envelopes = dict(
            zip(ready, self.client.gather([self.futures[n] for n in ready]), strict=True)
        )
        results = {n: env["outputs"] for n, env in envelopes.items()}
        results.update(
            {
                n: CachedOutputs(self.cached[n]["outputs"], self.artifacts.root)
                for n in needed
                if n in self.cached
            }
        )
        values, problem = {}, None
        for name, ref in self.graph.outputs.items():
            if not all(n in results for n in _ref_nodes(ref)):
                continue
            value = resolve(ref, results, self.graph.input_values, self.graph.literals)
            flow_type = output_type(self.graph.returns.get(name))
            try:
                if flow_type is not None and value is not None:
                    value = flow_type.validate(
                        value, f"output '{name}' of workflow '{self.graph.workflow}'"
                    )
                values[name] = value
                stored = self._kept_ref(ref)  # written once: the operator's kept file
                if stored is None:
                    stored = dump_value(flow_type, value, self.artifacts)
            except Exception as exc:
                problem = problem or str(exc)
                continue
            with self.lock:
                self.record["outputs"][name] = stored
        return values, problem

    def _kept_ref(self, ref: Any) -> Any:
        """The record form an operator's kept output already has (an artifact), if any."""
        if not (isinstance(ref, dict) and len(ref) == 1 and "$ref" in ref):
            return None
        node, output = ref["$ref"]
        with self.lock:
            kept = (self.record["operators"][node].get("outputs") or {}).get(output)
        return kept if isinstance(kept, dict) and "$artifact" in kept else None

    def _input_record(self, name: str, flow_type, value, dump_value) -> Any:
        """The record form of an input; a big input launched again with the same content (a
        notebook relaunching with one DataFrame) reuses its artifact instead of writing it
        again."""
        content = self.record["input_hashes"].get(name)
        remembered = _INPUT_ARTIFACTS.get((content, self.artifacts.root))
        if remembered is not None and usable({"outputs": {name: remembered}}, self.artifacts):
            return dict(remembered)
        stored = dump_value(flow_type, value, self.artifacts)
        if content and isinstance(stored, dict) and "$artifact" in stored:
            if len(_INPUT_ARTIFACTS) > 256:
                _INPUT_ARTIFACTS.clear()
            _INPUT_ARTIFACTS[(content, self.artifacts.root)] = dict(stored)
        return stored

    def _record_inputs(self) -> None:
        from flowlab.store.values import dump_value

        inputs = {}
        for name, value in self.graph.input_values.items():
            type_json = self.graph.input_types.get(name)
            flow_type = from_json(type_json) if type_json else None
            inputs[name] = self._input_record(name, flow_type, value, dump_value)
            if isinstance(inputs[name], dict) and "$uri" in inputs[name]:
                # lineage: the file as it was read (content hash), and the catalog name if any
                uri = resolve_name(value)
                inputs[name].update(hash=self.record["input_hashes"][name], **{"$uri": uri})
                if uri != value:
                    inputs[name]["catalog"] = value
        with self.lock:
            self.record["inputs"] = inputs
        self.changed()

    def _renew_lease(self, interval: float = 0.0) -> None:
        holder = lease_holder(self.record.get("launcher"))
        self.record["lease"] = new_lease(holder, max(LEASE_SECONDS, 3 * interval))

    def _look_for_cancel(self) -> None:
        """Cancel the run when another process asked for it through the store."""
        try:
            asked = take_request(self.run.id, self.store)
        except Exception:  # noqa: BLE001 - a store hiccup: look again next time
            return
        if asked:
            threading.Thread(target=self.cancel, name=f"flowlab-cancel-{self.run.id}").start()

    def cancel(self) -> None:
        from flowlab.core.engine.cancel import cancel_tasks

        keys = [f.key for f in self.futures.values() if not f.done()]
        cancel_tasks(self.client, self.run.id, keys)

    # -- record writes ----------------------------------------------------------------------------
    def changed(self) -> None:
        self._dirty.set()
        self._notify()

    def _notify(self) -> None:
        for listener in list(self.listeners):
            try:
                listener(self.run)
            except Exception:  # a broken view must not break the run
                pass

    def _pump(self) -> None:
        """Apply queued worker events every few milliseconds; write the record in batches."""
        interval, last_flush = FLUSH_SECONDS, time.monotonic()
        last_look = last_renewal = time.monotonic()
        while not self.done.wait(timeout=0.05):
            if time.monotonic() - last_look >= POLL_SECONDS:
                last_look = time.monotonic()
                self._look_for_cancel()
            if time.monotonic() - last_renewal >= LEASE_SECONDS / 5:
                # the lease says this run is followed: renewed by a write well before it lapses
                last_renewal = time.monotonic()
                with self.lock:
                    self._renew_lease(interval)
                self._dirty.set()
                interval = min(interval, LEASE_SECONDS / 5)
            self._drain()
            if self._dirty.is_set() and time.monotonic() - last_flush >= interval:
                started = time.perf_counter()
                try:
                    self.flush()
                except Exception:  # noqa: BLE001 - the store is away: retry, backing off
                    last_flush = time.monotonic()
                    interval = min(max(2 * interval, 0.5), MAX_BACKOFF_SECONDS)
                    continue
                last_flush = time.monotonic()
                interval = max(FLUSH_SECONDS, FLUSH_SHARE * (time.perf_counter() - started))

    def _drain(self) -> None:
        changed = False
        while self._events:
            self._on_event(self._events.popleft())
            changed = True
        if changed:
            self.changed()

    def _remember(self, op: dict) -> None:
        """Queue a cache entry for an operator whose outputs were kept (written on flush)."""
        if op.get("cache_key") and self.graph.operators[op["node"]].cache:
            self._cache_entries.append(
                {
                    "key": op["cache_key"],
                    "run": self.run.id,
                    "node": op["node"],
                    "operator": op["operator"],
                    "outputs": op["outputs"],
                    "created": now_iso(),
                }
            )

    def flush(self) -> None:
        # snapshot and write under one lock so an older snapshot never lands after a newer one
        with self._write_lock:
            self._dirty.clear()
            try:
                stored = self.store.get_summary(self.run.id) or {}
            except BaseException:
                self._dirty.set()  # the store is out of reach: the next flush tries again
                raise
            with self.lock:
                # tags and notes another process added while this run goes on are kept
                for key in ("tags", "notes"):
                    mine = self.record.get(key) or []
                    self.record[key] = list(dict.fromkeys([*mine, *(stored.get(key) or [])]))
                self._keep_their_end(stored)
                text = json.dumps(self.record, default=str)
                summary = json.loads(json.dumps(summary_of(self.record), default=str))
                entries, self._cache_entries = self._cache_entries, []
            try:
                self.store.put_run_json(self.record["id"], text, summary)
                self._written_status = summary["status"]
                if entries:
                    self.store.cache_put(entries)
            except BaseException:
                # the store is out of reach: nothing is lost, the next flush writes it all
                with self.lock:
                    self._cache_entries[:0] = entries
                self._dirty.set()
                raise
        if self.announce:
            try:
                self.client.log_event(self.topic, {"written": summary["status"]})
            except Exception:  # followers still read the record every few tenths of a second
                pass

    def _final_flush(self) -> None:
        """Write the run's end, retrying with backoff while the store is out of reach; past
        ``FINAL_WRITE_SECONDS`` keep it in FLOWLAB_HOME for the next process (store.spill)."""
        deadline = time.monotonic() + FINAL_WRITE_SECONDS
        pause = 0.2
        while True:
            try:
                self.flush()
                return
            except Exception as exc:  # noqa: BLE001 - any store error: retry, then spill
                if time.monotonic() + pause > deadline:
                    self._spill(exc)
                    return
                time.sleep(pause)
                pause = min(2 * pause, MAX_BACKOFF_SECONDS)

    def _spill(self, exc: Exception) -> None:
        import warnings

        from flowlab.store.config import redacted
        from flowlab.store.spill import spill

        with self.lock:
            text = json.dumps(self.record, default=str)
            summary = json.loads(json.dumps(summary_of(self.record), default=str))
            entries, self._cache_entries = self._cache_entries, []
        try:
            where = spill(self.store, self.run.id, text, summary, entries)
        except OSError as error:
            where = f"nowhere ({error})"
        warnings.warn(
            f"run {self.run.id} ended {summary['status']}, but the store "
            f"{redacted(str(self.store.url))} did not take its record "
            f"({type(exc).__name__}: {redacted(str(exc))}); it is kept in {where} and written "
            "there the next time flowlab opens that store",
            RuntimeWarning,
            stacklevel=2,
        )

    def _keep_their_end(self, stored: dict) -> None:
        """A terminal status another party wrote (a study's ``pruned`` once the run ended) is
        the record's: a later write of ours must not undo it."""
        theirs = stored.get("status")
        if theirs == "failed" and self._lapsed_only():
            return  # written while our lease lapsed (the store was out of reach): we live
        if theirs in TERMINAL_RUN and theirs != self._written_status:
            self.record["status"] = theirs
            self.record["ended"] = stored.get("ended") or self.record.get("ended")

    def _lapsed_only(self) -> bool:
        try:
            return lapsed_failure(self.store.get_run(self.run.id))
        except Exception:  # noqa: BLE001 - unreadable now: keep what we have
            return False


#: the reports of an execution (``logs``, ``kept``, ``elements`` tell about one going on)
_EXECUTION_STATES = ("running", "succeeded", "failed", "skipped")


def _ref_nodes(value: Any) -> list[str]:
    found: list[str] = []
    from flowlab.core.definition.graph import walk_refs

    walk_refs(value, lambda node, _out: found.append(node))
    return found
