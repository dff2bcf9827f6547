"""Following one run on the cluster: worker events, completion, outputs, batched record writes."""

from __future__ import annotations

import collections
import json
import threading
import time
from typing import Any

from flowlab.core.cache import (
    CachedOutputs,
)
from flowlab.core.records import (
    TERMINAL_OPERATOR,
    now_iso,
)
from flowlab.core.run import Run
from flowlab.core.task import Boxed, TaskSpec, meta_of, run_task
from flowlab.errors import OperatorError
from flowlab.store import summary_of
from flowlab.types import from_json
from flowlab.types.dataset import resolve_name

FLUSH_SECONDS = 0.25


class RunTracker:
    """Follows one run on the cluster: operator events, completion, outputs, record writes."""

    def __init__(
        self, run: Run, graph, client, store, artifacts, seeds: dict, keys: dict, cached: dict
    ):
        self.run, self.graph, self.client = run, graph, client
        self.seeds, self.keys, self.cached = seeds, keys, cached
        self.store, self.artifacts = store, artifacts
        self.record = run.record
        self.topic = f"flowlab-run-{run.id}"
        self.lock = threading.RLock()
        self.done = threading.Event()
        self.futures: dict[str, Any] = {}
        self._dirty = threading.Event()
        self._write_lock = threading.Lock()
        self._listeners: list = []
        self._cache_entries: list[dict] = []
        # Worker events arrive on the scheduler's event loop (shared with a local client);
        # the handler only queues them, a thread of ours applies them and writes the record.
        self._events: collections.deque = collections.deque()

    # -- submission -------------------------------------------------------------------------------
    def submit(self, plans: dict[str, dict]) -> None:
        keys = {node_id: f"{node_id}@{self.run.id}" for node_id in self.graph.nodes}
        to_run = [n for n in keys if n not in self.cached]
        self.client.subscribe_topic(self.topic, self._events.append)
        if to_run:
            graph = self._task_graph(plans, keys)
            futures = self.client.get(graph, [keys[n] for n in to_run], sync=False)
            self.futures = dict(zip(to_run, futures, strict=True))
        with self.lock:
            self.record.update(status="running", started=now_iso())
        self._dirty.set()
        threading.Thread(target=self._follow, name=f"flowlab-{self.run.id}", daemon=True).start()
        threading.Thread(
            target=self._pump, name=f"flowlab-events-{self.run.id}", daemon=True
        ).start()

    def _task_graph(self, plans: dict[str, dict], keys: dict[str, str]):
        """One task per node, grouped into layers by their annotations (resources, retries).

        Built directly rather than through dask.delayed, which spends about a millisecond
        per call walking arguments; layer annotations reach the scheduler as they are.
        """
        from dask._task_spec import DataNode, Dict, Task, TaskRef
        from dask.highlevelgraph import HighLevelGraph, MaterializedLayer

        graph = self.graph
        layers: dict[str, dict] = {}
        layer_annotations: dict[str, dict] = {}
        layer_of: dict[str, str] = {}
        inputs = {}
        for name, ref in graph.inputs.items():
            if isinstance(ref, dict) and "$input" in ref:
                key = f"$input:{name}@{self.run.id}"
                # boxed, so a dask DataFrame reaches the operator as a collection, uncomputed
                inputs[name] = key
                layers.setdefault("inputs", {})[key] = DataNode(
                    key, Boxed(graph.input_values[name])
                )
                layer_of[key] = "inputs"
        needed = {
            p for n, node in graph.nodes.items() if n not in self.cached for p in node.parents
        }
        for node_id, node in graph.nodes.items():
            if node_id in self.cached:
                if node_id in needed:  # children read the stored outputs
                    outputs = CachedOutputs(self.cached[node_id]["outputs"], self.artifacts.root)
                    layers.setdefault("cached", {})[keys[node_id]] = DataNode(
                        keys[node_id], {"outputs": outputs, "meta": {}}
                    )
                    layer_of[keys[node_id]] = "cached"
                continue
            keep = self.artifacts.root if graph.operators[node_id].cache else None
            spec = TaskSpec(
                run_id=self.run.id,
                node_id=node_id,
                operator=graph.operators[node_id],
                inputs=node.inputs,
                literals=_literals_in(node.inputs, graph.literals),
                seed=self.seeds[node_id],
                topic=self.topic,
                cache_key=self.keys[node_id] if keep else None,
                artifacts=keep,
            )
            parents = {p: TaskRef(keys[p]) for p in node.parents}
            parents.update(
                {
                    f"$input:{name}": TaskRef(key)
                    for name, key in inputs.items()
                    if _uses_input(node.inputs, name)
                }
            )
            annotations = {"retries": node.retries} if node.retries else {}
            if plans.get(node_id):
                annotations["resources"] = plans[node_id]
            layer = repr(
                sorted(
                    (k, sorted(v.items()) if isinstance(v, dict) else v)
                    for k, v in annotations.items()
                )
            )
            layer_annotations[layer] = annotations
            layers.setdefault(layer, {})[keys[node_id]] = Task(
                keys[node_id], run_task, spec, Dict(parents)
            )
            layer_of[keys[node_id]] = layer
        dependencies = {name: set() for name in layers}
        for name, tasks in layers.items():
            for task in tasks.values():
                dependencies[name].update(
                    layer_of[d] for d in getattr(task, "dependencies", ()) if layer_of[d] != name
                )
        return HighLevelGraph(
            {
                name: MaterializedLayer(tasks, annotations=layer_annotations.get(name) or None)
                for name, tasks in layers.items()
            },
            dependencies,
        )

    # -- events from workers ----------------------------------------------------------------------
    def _on_event(self, event) -> None:
        _, message = event
        node = message.get("node")
        with self.lock:
            op = self.record["operators"].get(node)
            if op is None or op["state"] in TERMINAL_OPERATOR:
                if op is not None and message.get("state") == op["state"] and not op["ended"]:
                    self._apply_meta(op, message)
                return
            state = message.get("state")
            if state == "running":
                op.update(
                    state="running",
                    worker=message.get("worker"),
                    pid=message.get("pid"),
                    started=now_iso(message["started"]),
                    ended=None,
                    attempts=op["attempts"] + 1,
                )
            elif state == "succeeded":
                self._apply_meta(op, message)
                op["state"] = "succeeded"
                if message.get("outputs") is not None:
                    op["outputs"] = message["outputs"]
            elif state == "failed":
                # the future decides whether this was final (retries may follow)
                op.update(
                    error=message.get("error"),
                    traceback=message.get("traceback"),
                    logs=message.get("logs", ""),
                )
        self._changed()

    def _apply_meta(self, op: dict, meta: dict) -> None:
        op.update(
            worker=meta.get("worker"),
            pid=meta.get("pid"),
            started=now_iso(meta["started"]),
            logs=meta.get("logs", ""),
        )
        if meta.get("ended"):
            op.update(
                ended=now_iso(meta["ended"]), duration=round(meta["ended"] - meta["started"], 6)
            )
        if meta.get("outputs") is not None:
            op["outputs"] = meta["outputs"]
            self._remember(op)
        if not op["attempts"]:
            op["attempts"] = 1

    # -- completion -------------------------------------------------------------------------------
    def _follow(self) -> None:
        from distributed import as_completed

        try:
            self._record_inputs()
            node_of = {f.key: node for node, f in self.futures.items()}
            for future in as_completed(list(self.futures.values())):
                self._drain()
                self._finish_node(node_of[future.key], future)
            self._finish_run()
        except Exception as exc:  # a bug of ours must still leave a truthful record
            with self.lock:
                self.record.update(
                    status="failed",
                    ended=now_iso(),
                    error={"operator": None, "message": f"flowlab: {exc!r}"},
                )
        finally:
            self._flush()
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
                op["state"] = "succeeded"
            elif future.status == "error":
                exc = future.exception()
                if isinstance(exc, OperatorError) and exc.operator != node:
                    op.update(
                        state="cancelled",
                        error=f"upstream operator '{exc.operator}' failed",
                        traceback=None,
                    )
                elif isinstance(exc, OperatorError):
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
        self._changed()

    def _finish_run(self) -> None:
        self._complete_meta()
        ops = self.record["operators"]
        failed = [n for n, op in ops.items() if op["state"] == "failed"]
        cancelled = [n for n, op in ops.items() if op["state"] == "cancelled"]
        values, problem = self._collect_outputs()
        with self.lock:
            if failed:
                first = failed[0]
                self.record.update(
                    status="failed",
                    error={
                        "operator": first,
                        "message": f"operator '{first}' failed: {ops[first]['error']}",
                    },
                )
            elif problem:
                self.record.update(status="failed", error={"operator": None, "message": problem})
            elif cancelled:
                self.record.update(
                    status="cancelled", error={"operator": None, "message": "the run was cancelled"}
                )
            else:
                self.record["status"] = "succeeded"
            self.record["ended"] = now_iso()
        self.run._values = values
        self.futures = {}  # let the cluster free intermediate results

    def _complete_meta(self, wait: float = 2.0) -> None:
        """Worker events may trail the futures; wait briefly, then ask the worker for the rest."""
        deadline = time.monotonic() + wait
        missing = self._missing_meta()
        while missing and time.monotonic() < deadline:
            time.sleep(0.02)
            self._drain()
            missing = self._missing_meta()
        if missing:
            metas = self.client.gather(
                [self.client.submit(meta_of, self.futures[n], pure=False) for n in missing]
            )
            with self.lock:
                for node, meta in zip(missing, metas, strict=True):
                    self._apply_meta(self.record["operators"][node], meta)

    def _missing_meta(self) -> list[str]:
        with self.lock:
            return [
                n
                for n, op in self.record["operators"].items()
                if op["state"] == "succeeded" and op["ended"] is None
            ]

    def _collect_outputs(self) -> tuple[dict, str | None]:
        """Gather, validate and store the workflow's outputs that could be computed."""
        from flowlab.core.graph import resolve
        from flowlab.store.values import dump_value

        ops = self.record["operators"]
        needed = {node for ref in self.graph.outputs.values() for node in _ref_nodes(ref)}
        ready = [n for n in needed if ops[n]["state"] == "succeeded"]
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
            type_json = self.graph.returns.get(name)
            flow_type = from_json(type_json) if type_json else None
            try:
                if flow_type is not None and value is not None:
                    value = flow_type.validate(
                        value, f"output '{name}' of workflow '{self.graph.workflow}'"
                    )
                values[name] = value
                stored = dump_value(flow_type, value, self.artifacts)
            except Exception as exc:
                problem = problem or str(exc)
                continue
            with self.lock:
                self.record["outputs"][name] = stored
        return values, problem

    def _record_inputs(self) -> None:
        from flowlab.store.values import dump_value

        inputs = {}
        for name, value in self.graph.input_values.items():
            type_json = self.graph.input_types.get(name)
            flow_type = from_json(type_json) if type_json else None
            inputs[name] = dump_value(flow_type, value, self.artifacts)
            if isinstance(inputs[name], dict) and "$uri" in inputs[name]:
                # lineage: the file as it was read (content hash), and the catalog name if any
                uri = resolve_name(value)
                inputs[name].update(hash=self.record["input_hashes"][name], **{"$uri": uri})
                if uri != value:
                    inputs[name]["catalog"] = value
        with self.lock:
            self.record["inputs"] = inputs
        self._changed()

    def cancel(self) -> None:
        self.client.cancel(list(self.futures.values()))

    # -- record writes ----------------------------------------------------------------------------
    def _changed(self) -> None:
        self._dirty.set()
        self._notify()

    def _notify(self) -> None:
        for listener in list(self._listeners):
            try:
                listener(self.run)
            except Exception:  # a broken view must not break the run
                pass

    def _pump(self) -> None:
        """Apply queued worker events every few milliseconds; write the record in batches."""
        interval, last_flush = FLUSH_SECONDS, time.monotonic()
        while not self.done.wait(timeout=0.05):
            self._drain()
            if self._dirty.is_set() and time.monotonic() - last_flush >= interval:
                started = time.perf_counter()
                self._flush()
                last_flush = time.monotonic()
                # a big record (thousands of operators) is written less often, so that
                # bookkeeping never takes more than a small share of the run's CPU
                interval = max(FLUSH_SECONDS, 10 * (time.perf_counter() - started))

    def _drain(self) -> None:
        changed = False
        while self._events:
            self._on_event(self._events.popleft())
            changed = True
        if changed:
            self._changed()

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

    def _flush(self) -> None:
        # snapshot and write under one lock so an older snapshot never lands after a newer one
        with self._write_lock:
            self._dirty.clear()
            stored = self.store.get_summary(self.run.id) or {}
            with self.lock:
                # tags and notes another process added while this run goes on are kept
                for key in ("tags", "notes"):
                    mine = self.record.get(key) or []
                    self.record[key] = list(dict.fromkeys([*mine, *(stored.get(key) or [])]))
                text = json.dumps(self.record, default=str)
                summary = json.loads(json.dumps(summary_of(self.record), default=str))
                entries, self._cache_entries = self._cache_entries, []
            self.store.put_run_json(self.record["id"], text, summary)
            if entries:
                self.store.cache_put(entries)


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
    found: list[str] = []
    from flowlab.core.graph import _walk_refs

    _walk_refs(value, lambda node, _out: found.append(node))
    return found
