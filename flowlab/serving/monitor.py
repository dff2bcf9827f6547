"""What a prediction service counts and keeps: per-version requests, errors and latency (in
Prometheus and summarised into the store), and the shadow's mirrored predictions.

The shadow runs on its own thread, fed by a bounded queue (``FLOWLAB_SHADOW_QUEUE`` requests,
10,000 by default), after the caller's answer is computed: the caller never waits for it. When
the queue is full a mirror is dropped and counted, never waited for. The thread gathers what
arrives within ``SHADOW_BATCH_SECONDS`` into one model call per version; in the HTTP service
that call runs in a child process (:mod:`flowlab.serving.shadow`), so the shadow's Python never
holds the event loop's GIL; in a notebook's ``flowlab.models.predict`` it runs on the thread.
Every mirrored request is counted (mirrored, dropped, compared, errors, agreement and
latency); the predictions themselves are kept as samples, at most ``SAMPLES_PER_FLUSH`` per
model each second (a uniform reservoir when there are more), and the store keeps the newest
few thousand. Statistics and samples are written to the store once a second.
"""

from __future__ import annotations

import collections
import os
import queue
import random
import socket
import threading
import time
from typing import Any

from prometheus_client import Counter, Histogram

from flowlab.serving.shadow import ShadowDied, ShadowProcess

FLUSH_SECONDS = 1.0
SAMPLES_PER_FLUSH = 100
LATENCIES_KEPT = 4096
# mirrors gathered this long run as one model call: fewer, bigger calls cost the machine less
SHADOW_BATCH_SECONDS = 0.05
SHADOW_BATCH_MAX = 1024
DEFAULT_SHADOW_QUEUE = 10_000

REQUESTS = Counter(
    "flowlab_predictions_total",
    "Prediction requests answered, by model, version and outcome",
    ["model", "version", "outcome"],
)
LATENCY = Histogram(
    "flowlab_prediction_seconds",
    "Time to answer a prediction request (validation and model), by model and version",
    ["model", "version"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
SHADOW = Counter(
    "flowlab_shadow_predictions_total",
    "Requests mirrored to a shadow version, by model, shadow version and agreement",
    ["model", "version", "agreed"],
)
SHADOW_DROPPED = Counter(
    "flowlab_shadow_dropped_total",
    "Requests not mirrored because the shadow's queue was full, by model and shadow version",
    ["model", "version"],
)


class _Latencies:
    def __init__(self):
        self.recent: collections.deque = collections.deque(maxlen=LATENCIES_KEPT)
        self.count = 0
        self.total = 0.0

    def add(self, ms: float) -> None:
        self.recent.append(ms)
        self.count += 1
        self.total += ms

    def summary(self) -> dict:
        ordered = sorted(self.recent)
        if not ordered:
            return {"mean": None, "p50": None, "p99": None}
        return {
            "mean": self.total / self.count,
            "p50": ordered[len(ordered) // 2],
            "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        }


class Monitor:
    """Counts, latencies, shadow mirroring and samples for one service process."""

    def __init__(self, registry, service):
        self.registry = registry
        self.service = service
        self.process = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._lock = threading.Lock()
        self._versions: dict[str, dict[int, dict]] = {}
        self._shadow: dict[str, dict[int, dict]] = {}
        self._samples: dict[str, list] = {}
        self._seen: dict[str, int] = {}  # samples offered since the last flush (reservoir)
        self._dirty: set[str] = set()
        size = int(os.environ.get("FLOWLAB_SHADOW_QUEUE") or DEFAULT_SHADOW_QUEUE)
        self._queue: queue.Queue = queue.Queue(maxsize=size)
        self._shadow_thread: threading.Thread | None = None
        self.shadow_process: ShadowProcess | None = None  # None: predict on the shadow thread
        self.loop = None  # the service's event loop, when mirrors run on it
        self._pending: list = []
        self._scheduled = False
        self._last_flush = time.monotonic()
        self.errors: collections.deque = collections.deque(maxlen=20)

    # -- the caller's side --------------------------------------------------------------------
    def count(self, name: str, version: int, seconds: float, error: bool = False) -> None:
        REQUESTS.labels(name, str(version), "error" if error else "ok").inc()
        LATENCY.labels(name, str(version)).observe(seconds)
        with self._lock:
            stats = self._versions.setdefault(name, {}).setdefault(
                version, {"requests": 0, "errors": 0, "latency": _Latencies()}
            )
            stats["requests"] += 1
            stats["errors"] += error
            stats["latency"].add(seconds * 1000)
            self._dirty.add(name)

    def mirror(self, routing, answer, rows) -> None:
        """Hand the request to the shadow version; never blocks the caller.

        In the service (an event loop in this thread) mirrors are gathered and run as one
        batch a few milliseconds later, between requests; elsewhere a thread runs them. Both
        predict each gathered batch in one model call.
        """
        loop = self.loop
        if loop is not None:
            self._pending.append((routing, answer, rows))
            if not self._scheduled:
                self._scheduled = True
                loop.call_later(SHADOW_BATCH_SECONDS, self._run_pending)
            return
        self._ensure_thread()
        try:
            self._queue.put_nowait((routing, answer, rows))
        except queue.Full:  # the shadow can't keep up: it loses this one, the caller nothing
            SHADOW_DROPPED.labels(routing.name, str(routing.shadow)).inc()
            with self._lock:
                self._shadow_stats(routing.name, routing.shadow)["dropped"] += 1

    def _ensure_thread(self) -> None:
        if self._shadow_thread is None:
            with self._lock:
                if self._shadow_thread is None:
                    self._shadow_thread = threading.Thread(
                        target=self._shadow_loop, name="flowlab-shadow", daemon=True
                    )
                    self._shadow_thread.start()

    def _run_pending(self) -> None:
        pending, self._pending, self._scheduled = self._pending, [], False
        self.run_shadow(pending)

    def feedback(self, name: str, request_id: str, label: Any) -> None:
        """Keep the true label of an answered request (joined with its sample in reports)."""
        sample = {"kind": "feedback", "id": request_id, "label": label, "at": time.time()}
        with self._lock:
            self._samples.setdefault(name, []).append(sample)
            self._dirty.add(name)

    def note_error(self, message: str) -> None:
        self.errors.append(message)

    def predict_shadow_in_process(self) -> None:
        """Predict the shadow's batches in a child process from now on (the HTTP service)."""
        if self.shadow_process is None:
            self.shadow_process = ShadowProcess(report=self.note_error)
        for name in self.service.names():
            self.prepare_shadow(self.service.routing(name))

    def prepare_shadow(self, routing) -> None:
        """Have the shadow's child start and load ``routing``'s shadow version now, before the
        first mirror: starting one (pandas, scikit-learn) takes seconds, while mirrors would
        be dropped for want of room in the queue."""
        if self.shadow_process is None or routing.shadow is None:
            return
        self._ensure_thread()
        try:
            self._queue.put_nowait((routing, None, None))  # no answer: load, predict nothing
        except queue.Full:
            pass  # busy mirroring: it is loaded already or will be with the next batch

    def shadow_state(self) -> dict:
        """Where this process's shadow predicts: ``{"pid": child or None, "started": children
        started so far, "errors": the latest errors}``.

        Example::

            service.monitor.shadow_state()   # {"pid": 4242, "started": 1, "errors": []}
        """
        child = self.shadow_process
        return {
            "pid": child.pid if child is not None else None,
            "started": child.started if child is not None else 0,
            "errors": list(self.errors),
        }

    # -- the shadow's side --------------------------------------------------------------------
    def _shadow_loop(self) -> None:
        while True:
            items = [self._queue.get()]
            # gather for a moment: one model call (and one round trip to the child) per batch;
            # asleep meanwhile rather than woken by every mirror, which would take the GIL
            time.sleep(SHADOW_BATCH_SECONDS)
            while len(items) < SHADOW_BATCH_MAX:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self.run_shadow(items)
            finally:
                for _ in items:
                    self._queue.task_done()

    def run_shadow(self, items: list) -> None:
        """Predict mirrored requests with their shadow versions (one call per version)."""
        groups: dict[tuple[str, int], list] = {}
        for item in items:
            groups.setdefault((item[0].name, item[0].shadow), []).append(item)
        for (name, version), group in groups.items():
            mirrored = [item for item in group if item[1] is not None]
            try:
                if mirrored:
                    self._run_group(mirrored)
                else:  # prepare_shadow's: load the version
                    self._load(group[0][0])
            except ShadowDied as e:  # the next batch starts another child
                self.note_error(f"shadow version {version} of model '{name}': {e}")
                with self._lock:
                    self._shadow_stats(name, version)["errors"] += len(mirrored)
            except Exception as e:  # a failing shadow is reported, never raised to callers
                self.note_error(f"shadow version {version} of model '{name}' failed: {e}")
                with self._lock:
                    self._shadow_stats(name, version)["errors"] += len(mirrored)

    def _load(self, routing) -> None:
        name, version = routing.name, routing.shadow
        if self.shadow_process is not None:
            self.shadow_process.predict(name, version, routing.entries[version], None)
        else:
            self.service.model(name, version, routing.entries[version])

    def _run_group(self, group: list) -> None:
        routing = group[0][0]
        name, version = routing.name, routing.shadow
        rows = [row for _, _, rows in group for row in rows]
        started = time.perf_counter()
        child = self.shadow_process
        if child is not None:
            predictions = child.predict(name, version, routing.entries[version], rows)
        else:
            predictions = self.service.model(name, version, routing.entries[version]).predict(rows)
        ms = (time.perf_counter() - started) * 1000 / len(group)  # per request, amortised
        start = 0
        agreed_total = 0
        with self._lock:
            stats = self._shadow_stats(routing.name, routing.shadow)
            for _, answer, rows in group:
                mine = predictions[start : start + len(rows)]
                start += len(rows)
                agreed = sum(a == b for a, b in zip(answer.predictions, mine, strict=False))
                agreed_total += agreed
                stats["compared"] += 1
                stats["instances"] += len(mine)
                stats["agreed"] += agreed
                stats["latency"].add(ms)
                stats["primary_latency"].add(answer.latency_ms)
                slot = self._slot(routing.name)
                if slot is None:
                    continue
                self._keep(
                    routing.name,
                    slot,
                    {
                        "kind": "shadow",
                        "id": answer.id,
                        "at": time.time(),
                        "instances": rows,
                        "primary": {
                            "version": answer.version,
                            "predictions": answer.predictions,
                            "latency_ms": answer.latency_ms,
                        },
                        "shadow": {
                            "version": routing.shadow,
                            "predictions": mine,
                            "latency_ms": ms,
                        },
                    },
                )
        SHADOW.labels(routing.name, str(routing.shadow), "yes").inc(agreed_total)
        SHADOW.labels(routing.name, str(routing.shadow), "no").inc(start - agreed_total)

    def _shadow_stats(self, name: str, version: int) -> dict:
        self._dirty.add(name)
        return self._shadow.setdefault(name, {}).setdefault(
            version,
            {
                "compared": 0,
                "instances": 0,
                "agreed": 0,
                "errors": 0,
                "dropped": 0,
                "latency": _Latencies(),
                "primary_latency": _Latencies(),
            },
        )

    def _slot(self, name: str) -> int | None:
        """Where the next sample of ``name`` goes among the kept ones, or None: not kept
        (decided first, so that a sample not kept is never built)."""
        kept = self._samples.setdefault(name, [])
        seen = self._seen[name] = self._seen.get(name, 0) + 1
        if len(kept) < SAMPLES_PER_FLUSH:
            return len(kept)
        # reservoir: every mirrored request of this second equally likely kept
        slot = random.randrange(seen)
        return slot if slot < SAMPLES_PER_FLUSH else None

    def _keep(self, name: str, slot: int, sample: dict) -> None:
        kept = self._samples[name]
        if slot == len(kept):
            kept.append(sample)
        else:
            kept[slot] = sample

    # -- writing to the store -----------------------------------------------------------------
    def wait_for_shadow(self) -> None:
        """Block until every mirrored request has been run by its shadow."""
        self._queue.join()

    def flush_if_due(self) -> None:
        if time.monotonic() - self._last_flush >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Write this process's statistics and new samples to the store."""
        self._last_flush = time.monotonic()
        with self._lock:
            dirty, self._dirty = self._dirty, set()
            samples, self._samples, self._seen = self._samples, {}, {}
            documents = {name: self._document(name) for name in dirty}
        for name, document in documents.items():
            self.registry.put_stats(name, self.process, document)
        for name, kept in samples.items():
            self.registry.add_samples(name, kept)

    def _document(self, name: str) -> dict:
        versions = {
            str(v): {
                "requests": s["requests"],
                "errors": s["errors"],
                "latency_ms": s["latency"].summary(),
            }
            for v, s in self._versions.get(name, {}).items()
        }
        shadow = {
            str(v): {
                # mirrored: every request handed to the shadow whose fate is known
                "mirrored": s["compared"] + s["dropped"] + s["errors"],
                **{k: s[k] for k in ("compared", "instances", "agreed", "errors", "dropped")},
                "latency_ms": s["latency"].summary(),
                "primary_latency_ms": s["primary_latency"].summary(),
            }
            for v, s in self._shadow.get(name, {}).items()
        }
        return {
            "process": self.process,
            "updated": time.time(),
            "versions": versions,
            "shadow": shadow,
        }
