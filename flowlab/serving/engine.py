"""Routing, validation and prediction for every model in a registry, shared by the HTTP
service and ``flowlab.models.predict``.

A :class:`ModelService` follows the registry: a background thread polls the registry's stamp
four times a second and, when it changed, rebuilds the routing of every model (aliases, split,
shadow) and loads the versions it needs, off the request path. Models are loaded once per
version and kept.

Example::

    service = ModelService(registry_for(store))
    answer = service.predict("iris-classifier", [{"petal_width": 2, ...}], key="user-7")
    answer.version, answer.predictions
"""

from __future__ import annotations

import hashlib
import math
import numbers
import random
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from flowlab.errors import FlowTypeError, InvalidInstance, ModelNotFound
from flowlab.serving.monitor import Monitor
from flowlab.store.models import ModelRegistry, load_model

POLL_SECONDS = 0.25


def type_from_json(description: dict):
    """The flowlab type a registry's input schema names (its exact inverse when available)."""
    from flowlab import types

    from_json = getattr(types, "from_json", None)
    if from_json is not None:
        return from_json(description)
    return types.type_named(description["x-flowlab-type"])


class LoadedModel:
    """One version, loaded: its features, their types, and a batch predict."""

    def __init__(self, name: str, version: int, entry: dict):
        self.name, self.version, self.entry = name, version, entry
        self.model = load_model(entry)
        self.features = list(entry["features"] or self.model.features)
        schema = entry.get("input_schema") or {}
        self.types = [
            (f, type_from_json(schema.get(f, {"x-flowlab-type": "DOUBLE"}))) for f in self.features
        ]

    def rows(self, instances: Any) -> list[list]:
        """Validated rows in feature order; InvalidInstance names the field and the index."""
        if not isinstance(instances, list) or not instances:
            raise InvalidInstance(
                "'instances' must be a non-empty list of objects keyed by column name "
                f"({', '.join(self.features)}) or of lists in that order"
            )
        rows = []
        for index, instance in enumerate(instances):
            if isinstance(instance, dict):
                row = []
                for feature, flow_type in self.types:
                    if feature not in instance:
                        raise InvalidInstance(
                            f"instance {index}: field '{feature}' ({flow_type.name}) is missing; "
                            f"model '{self.name}' version {self.version} needs "
                            f"{', '.join(self.features)}"
                        )
                    row.append(self._check(flow_type, instance[feature], index, feature))
            elif isinstance(instance, list):
                if len(instance) != len(self.types):
                    raise InvalidInstance(
                        f"instance {index}: expected {len(self.types)} values in the order "
                        f"{', '.join(self.features)}, found {len(instance)}"
                    )
                row = [
                    self._check(t, v, index, f)
                    for (f, t), v in zip(self.types, instance, strict=True)
                ]
            else:
                raise InvalidInstance(
                    f"instance {index}: expected an object keyed by column name or a list, "
                    f"found {type(instance).__name__}"
                )
            rows.append(row)
        return rows

    @staticmethod
    def _check(flow_type, value, index: int, feature: str):
        # Python's json reads NaN, Infinity and overflowing numbers (1e400) as floats that no
        # flowlab type refuses and that models either choke on (a 500) or silently predict on
        bad = non_finite(value)
        if bad is not None:
            raise InvalidInstance(
                f"instance {index}: field '{feature}' is {bad}, which is not a number a model "
                f"can take; send a finite number ({flow_type.name})"
            )
        try:
            return flow_type.validate(value, f"instance {index}: field '{feature}'")
        except FlowTypeError as e:
            raise InvalidInstance(str(e)) from None

    def predict(self, rows: list[list]) -> list:
        import pandas as pd

        frame = pd.DataFrame(rows, columns=self.features)
        return [_plain(p) for p in self.model.predict(frame)]


@dataclass
class Routing:
    """How one model's requests are answered, as of one registry stamp."""

    name: str
    default: int
    split: list[tuple[float, int]] = field(default_factory=list)  # (cumulative weight, version)
    shadow: int | None = None
    entries: dict[int, dict] = field(default_factory=dict)

    def serving(self) -> dict:
        """What this service answers with now: ``{"default": version, "split": [[version,
        weight], …], "shadow": version or None}`` (it follows the registry within a second).

        Example::

            service.routing("iris").serving()   # {"default": 2, "split": [], "shadow": None}
        """
        split, before = [], 0.0
        for bound, version in self.split:
            split.append([version, round(bound - before, 6)])
            before = bound
        return {"default": self.default, "split": split, "shadow": self.shadow}

    def choose(self, key: str | None) -> int:
        if not self.split:
            return self.default
        point = stable_fraction(self.name, key) if key is not None else random.random()
        for bound, version in self.split:
            if point < bound:
                return version
        return self.split[-1][1]


@dataclass
class Answer:
    id: str
    name: str
    version: int
    predictions: list
    latency_ms: float


def stable_fraction(name: str, key: str) -> float:
    """A number in [0, 1) fixed by (model, key): the same key always lands on the same side."""
    digest = hashlib.blake2b(f"{name}\0{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


class ModelService:
    """Answers predictions for every model of ``registry``; follows its changes live."""

    def __init__(self, registry: ModelRegistry, *, follow: bool = True):
        self.registry = registry
        self.monitor = Monitor(registry, self)
        self._routings: dict[str, Routing] = {}
        self._models: dict[tuple[str, int], LoadedModel] = {}
        self._load_lock = threading.Lock()
        self._stamp: Any = object()
        self._refresh_lock = threading.Lock()
        self.refresh()
        if follow:
            threading.Thread(target=self._follow, name="flowlab-registry", daemon=True).start()

    # -- following the registry ---------------------------------------------------------------
    def _follow(self) -> None:
        while True:
            time.sleep(POLL_SECONDS)
            try:
                self.refresh()
                self.monitor.flush_if_due()
            except Exception as e:  # a store hiccup must not stop the service
                self.monitor.note_error(f"registry refresh failed: {e}")

    def refresh(self) -> bool:
        """Rebuild routings when the registry changed; True when it did."""
        with self._refresh_lock:
            stamp = self.registry.stamp()
            if stamp == self._stamp:
                return False
            routings = {}
            for name in self.registry.names():
                try:
                    routings[name] = self._routing(name)
                except ModelNotFound:
                    continue
            for routing in routings.values():  # load what may be asked for, before it is
                for version in {routing.default, *(v for _, v in routing.split), routing.shadow}:
                    if version is not None:
                        self.model(routing.name, version, routing.entries[version])
            self._routings, self._stamp = routings, stamp
            for routing in routings.values():
                self.monitor.prepare_shadow(routing)
            return True

    def _routing(self, name: str) -> Routing:
        registry = self.registry
        state = registry.state(name)
        versions = registry.versions(name)
        entries = {v["version"]: v for v in versions}

        def number(ref) -> int:
            if isinstance(ref, str) and not ref.isdigit():
                return int(state["aliases"][ref])
            return int(ref)

        routing = Routing(
            name=name, default=registry.default_version(name, state, versions), entries=entries
        )
        total = 0.0
        for ref, weight in state.get("split") or []:
            if weight > 0:
                total += weight
                routing.split.append((total, number(ref)))
        if state.get("shadow") is not None:
            routing.shadow = number(state["shadow"])
        return routing

    def routing(self, name: str) -> Routing:
        routing = self._routings.get(name)
        if routing is None:
            self.refresh()  # deployed a moment ago, before the next poll
            routing = self._routings.get(name)
        if routing is None:
            raise ModelNotFound(
                f"no model named {name!r} is deployed; deployed: "
                f"{', '.join(sorted(self._routings)) or 'none'}"
            )
        return routing

    def names(self) -> list[str]:
        return sorted(self._routings)

    def model(self, name: str, version: int, entry: dict | None = None) -> LoadedModel:
        loaded = self._models.get((name, version))
        if loaded is None:
            with self._load_lock:
                loaded = self._models.get((name, version))
                if loaded is None:
                    entry = entry or self.registry.entry(name, version)
                    loaded = self._models[(name, version)] = LoadedModel(name, version, entry)
        return loaded

    # -- predicting ---------------------------------------------------------------------------
    def predict(self, name: str, instances: Any, key: str | None = None) -> Answer:
        """Route, validate, predict and record; mirror to the shadow afterwards."""
        started = time.perf_counter()
        routing = self.routing(name)
        version = routing.choose(key)
        loaded = self.model(name, version, routing.entries.get(version))
        try:
            rows = loaded.rows(instances)
            predictions = loaded.predict(rows)
        except Exception:
            self.monitor.count(name, version, time.perf_counter() - started, error=True)
            raise
        answer = self.answered(routing, version, rows, predictions, started)
        return answer

    def answered(self, routing: Routing, version: int, rows, predictions, started: float) -> Answer:
        """Record an answer (counts, latency) and hand the request to the shadow, if any."""
        elapsed = time.perf_counter() - started
        answer = Answer(
            id=secrets.token_hex(8),
            name=routing.name,
            version=version,
            predictions=predictions,
            latency_ms=elapsed * 1000,
        )
        self.monitor.count(routing.name, version, elapsed)
        if routing.shadow is not None:
            self.monitor.mirror(routing, answer, rows)
        return answer


def non_finite(value: Any) -> str | None:
    """How ``value`` (or a number inside it) is not finite, as JSON would write it; else None.

    Example::

        non_finite(float("nan")), non_finite([1.0, float("-inf")]), non_finite(2.5)
        # ('NaN', '-Infinity', None)
    """
    if type(value) in (int, str, bool):  # what most instances hold: decided at once
        return None
    if isinstance(value, list | tuple):
        values = value
    elif isinstance(value, dict):
        values = value.values()
    elif isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        # json's floats, and numpy's in process
        if math.isfinite(value):
            return None
        return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")
    else:
        return None
    for item in values:
        bad = non_finite(item)
        if bad is not None:
            return bad
    return None


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value
