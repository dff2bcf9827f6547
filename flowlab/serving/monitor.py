"""What a prediction service counts and keeps: per-version requests, errors and latency (in
Prometheus and summarised into the store), and the shadow's mirrored predictions.

The shadow runs on its own thread, fed by a bounded queue, after the caller's answer is
computed: the caller never waits for it. Every mirrored request is counted (agreement and
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

FLUSH_SECONDS = 1.0
SAMPLES_PER_FLUSH = 100
LATENCIES_KEPT = 4096
SHADOW_BATCH_SECONDS = 0.01  # mirrors gathered this long run as one model call

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
        self._queue: queue.Queue = queue.Queue(maxsize=10000)
        self._shadow_thread: threading.Thread | None = None
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
        if self._shadow_thread is None:
            with self._lock:
                if self._shadow_thread is None:
                    self._shadow_thread = threading.Thread(
                        target=self._shadow_loop, name="flowlab-shadow", daemon=True
                    )
                    self._shadow_thread.start()
        try:
            self._queue.put_nowait((routing, answer, rows))
        except queue.Full:
            with self._lock:
                self._shadow_stats(routing.name, routing.shadow)["dropped"] += 1

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

    # -- the shadow's side --------------------------------------------------------------------
    def _shadow_loop(self) -> None:
        while True:
            items = [self._queue.get()]
            while len(items) < 256:
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
            try:
                self._run_group(group)
            except Exception as e:  # a failing shadow is reported, never raised to callers
                self.note_error(f"shadow version {version} of model '{name}' failed: {e}")
                with self._lock:
                    self._shadow_stats(name, version)["errors"] += len(group)

    def _run_group(self, group: list) -> None:
        routing = group[0][0]
        started = time.perf_counter()
        loaded = self.service.model(routing.name, routing.shadow, routing.entries[routing.shadow])
        predictions = loaded.predict([row for _, _, rows in group for row in rows])
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
                stats["mirrored"] += 1
                stats["instances"] += len(mine)
                stats["agreed"] += agreed
                stats["latency"].add(ms)
                stats["primary_latency"].add(answer.latency_ms)
                self._keep(
                    routing.name,
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
                "mirrored": 0,
                "instances": 0,
                "agreed": 0,
                "errors": 0,
                "dropped": 0,
                "latency": _Latencies(),
                "primary_latency": _Latencies(),
            },
        )

    def _keep(self, name: str, sample: dict) -> None:
        kept = self._samples.setdefault(name, [])
        seen = self._seen[name] = self._seen.get(name, 0) + 1
        if len(kept) < SAMPLES_PER_FLUSH:
            kept.append(sample)
        else:  # reservoir: every mirrored request of this second equally likely kept
            slot = random.randrange(seen)
            if slot < SAMPLES_PER_FLUSH:
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
                **{k: s[k] for k in ("mirrored", "instances", "agreed", "errors", "dropped")},
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
