"""The model registry: named models, their versions (each from a run's MODEL output), aliases,
the traffic split, the shadow, and a history of every change; kept in the run store.

It is written on the store contract alone (named entries, ``RunStore.update_entry``), so it
works the same on every backend and ``flowlab.store.migrate`` carries it:

- kind ``"models"``: one entry per model: ``state`` (aliases, split, shadow), ``versions``
  and ``events`` (every deploy and change), changed atomically;
- kind ``"model_stamp"``: a counter bumped after every change, which a prediction service
  polls to follow the registry without a restart;
- kinds ``"model_samples"`` (the newest shadow samples and feedback of a model) and
  ``"model_stats"`` (one document per model and serving process), written by services.

Example::

    from flowlab.store.models import registry_for
    registry = registry_for(flowlab.store.get_store())
    v = registry.deploy(run, "iris-classifier")
    registry.alias("iris-classifier", "production", v)
    registry.resolve("iris-classifier@production")        # ("iris-classifier", v)
"""

from __future__ import annotations

import datetime
import getpass
import json
import re
from typing import Any

from flowlab.errors import ModelNotFound
from flowlab.types.model import register_model_resolver

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
SAMPLES_KEPT = 5000  # shadow samples and feedback kept per model (the newest)
EMPTY_STATE = {"aliases": {}, "split": None, "shadow": None}
MODELS, STAMP, SAMPLES, STATS = "models", "model_stamp", "model_samples", "model_stats"


class ModelRegistry:
    """Names, versions, aliases, split and shadow of deployed models, kept in a run store."""

    def __init__(self, store):
        self.store = store

    # -- writes -------------------------------------------------------------------------------
    def deploy(self, run, name: str, *, output: str = "model") -> int:
        """Register ``run``'s MODEL output ``output`` as the next version of ``name``."""
        _check_name(name)
        record = run.record
        outputs = record.get("outputs") or {}
        ref = outputs.get(output)
        if not isinstance(ref, dict) or ref.get("type") != "MODEL":
            models = [
                k for k, v in outputs.items() if isinstance(v, dict) and v.get("type") == "MODEL"
            ]
            have = ", ".join(f"{k} ({_type_of(v)})" for k, v in outputs.items()) or "none"
            hint = (
                f"pass output= one of {', '.join(models)}"
                if models
                else "deploy a run of a workflow that returns a MODEL"
            )
            raise ValueError(
                f"run {record['id']} of workflow '{record.get('workflow')}' "
                f"({record.get('status')}) has no MODEL output '{output}'; its outputs are "
                f"{have}; {hint}"
            )
        meta = ref.get("meta") or {}
        features = list(meta.get("features") or [])
        entry = {
            "run": record["id"],
            "workflow": record.get("workflow"),
            "output": output,
            "artifact": {"uri": ref["$artifact"], "hash": ref.get("hash", "")},
            "features": features,
            "input_schema": _input_schema(record, features),
            "label": meta.get("label"),
            "task": meta.get("task"),
            "kind": meta.get("kind"),
            "classes": meta.get("classes"),
            "metrics": {
                k: v
                for k, v in outputs.items()
                if isinstance(v, (int, float)) and not isinstance(v, bool)
            },
            "created": _now(),
            "by": _who(),
        }
        event = {"action": "deploy", "run": record["id"], "at": entry["created"], "by": entry["by"]}
        numbers = []

        def add(model: dict | None) -> dict:
            model = model or {"state": dict(EMPTY_STATE), "versions": [], "events": []}
            version = max((v["version"] for v in model["versions"]), default=0) + 1
            numbers.append(version)
            return {
                **model,
                "versions": [*model["versions"], {**entry, "name": name, "version": version}],
                "events": [*model["events"], {**event, "name": name, "version": version}],
            }

        self.store.update_entry(MODELS, name, add)
        self._bump()
        return numbers[-1]

    def alias(self, name: str, alias: str, version: int | str | None) -> dict:
        """Point ``alias`` at ``version`` (a number, or another alias); None removes it."""
        if not isinstance(alias, str) or not _NAME.match(alias) or alias.isdigit():
            raise ValueError(
                f"alias {alias!r}: use letters, digits, '_', '-' or '.', starting with a letter"
            )
        target = None if version is None else self.version_of(name, version)
        before = self.state(name)["aliases"].get(alias)

        def change(state):
            aliases = dict(state["aliases"])
            if target is None:
                aliases.pop(alias, None)
            else:
                aliases[alias] = target
            state["aliases"] = aliases

        return self._change(
            name, change, action="alias", alias=alias, version=target, previous=before
        )

    def split(self, name: str, weights: dict | None) -> dict:
        """Share traffic across aliases or versions (weights are normalised); None clears it."""
        if weights:
            pairs = []
            for key, weight in weights.items():
                self.version_of(name, key)  # refuses what does not exist
                if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
                    raise ValueError(
                        f"split of model '{name}': weight of {key!r} must be a number >= 0, "
                        f"found {weight!r}"
                    )
                pairs.append([key, float(weight)])
            total = sum(w for _, w in pairs)
            if total <= 0:
                raise ValueError(f"split of model '{name}': the weights add up to 0")
            weights = [[k, w / total] for k, w in pairs]
        else:
            weights = None
        return self._change(
            name, lambda s: s.__setitem__("split", weights), action="split", split=weights
        )

    def shadow(self, name: str, target: int | str | None) -> dict:
        """Mirror every request to ``target`` (alias or version) after answering; None stops."""
        if target is not None:
            self.version_of(name, target)
        return self._change(
            name, lambda s: s.__setitem__("shadow", target), action="shadow", shadow=target
        )

    def _change(self, name: str, change, **event) -> dict:
        self.state(name)  # refuses an unknown model
        event = {**event, "at": _now(), "by": _who(), "name": name}
        states = []

        def apply(model: dict | None) -> dict | None:
            if model is None:  # removed in between: leave it absent
                return None
            state = dict(model["state"])
            change(state)
            states.append(state)
            return {**model, "state": state, "events": [*model["events"], event]}

        self.store.update_entry(MODELS, name, apply)
        self._bump()
        if not states:
            self.state(name)  # raises ModelNotFound
        return states[-1]

    def _bump(self) -> None:
        self.store.update_entry(
            STAMP, "registry", lambda now: {"changes": (now or {}).get("changes", 0) + 1}
        )

    def _model(self, name: str) -> dict | None:
        return self.store.get_entry(MODELS, name)

    # -- reads --------------------------------------------------------------------------------
    def names(self) -> list[str]:
        return [entry["name"] for entry in self.store.list_entries(MODELS)]

    def state(self, name: str) -> dict:
        model = self._model(name)
        state = None if model is None else dict(model["state"])
        if state is None:
            raise ModelNotFound(
                f"no model named {name!r} in the registry; deployed: "
                f"{', '.join(self.names()) or 'none'} (run.deploy(name) adds one)"
            )
        return state

    def versions(self, name: str) -> list[dict]:
        self.state(name)
        return self._versions(name)

    def _versions(self, name: str) -> list[dict]:
        model = self._model(name)
        return sorted((model or {}).get("versions", []), key=lambda v: v["version"])

    def version_of(self, name: str, ref: int | str) -> int:
        """The version number ``ref`` (a number, a digit string or an alias) stands for."""
        state = self.state(name)
        if isinstance(ref, str) and not ref.isdigit():
            if ref not in state["aliases"]:
                raise ModelNotFound(
                    f"model '{name}' has no alias {ref!r}; its aliases are "
                    f"{', '.join(state['aliases']) or 'none'}"
                )
            return int(state["aliases"][ref])
        if isinstance(ref, bool) or not isinstance(ref, (int, str)):
            raise TypeError(f"model '{name}': a version is a number or an alias, found {ref!r}")
        numbers = [v["version"] for v in self._versions(name)]
        if int(ref) not in numbers:
            raise ModelNotFound(
                f"model '{name}' has no version {ref}; its versions are "
                f"{', '.join(map(str, numbers)) or 'none'}"
            )
        return int(ref)

    def entry(self, name: str, version: int) -> dict:
        for entry in self.versions(name):
            if entry["version"] == version:
                return entry
        raise ModelNotFound(f"model '{name}' has no version {version}")

    def default_version(self, name: str, state: dict | None = None, versions=None) -> int:
        """What a request without a split gets: ``production``, else the newest version."""
        state = state if state is not None else self.state(name)
        if "production" in state["aliases"]:
            return int(state["aliases"]["production"])
        versions = versions if versions is not None else self._versions(name)
        if not versions:
            raise ModelNotFound(f"model '{name}' has no versions")
        return max(v["version"] for v in versions)

    def resolve(self, text: str) -> tuple[str, int]:
        """``"name@alias"``, ``"name/3"`` or ``"name"`` → (name, version)."""
        if "@" in text:
            name, ref = text.split("@", 1)
            return name, self.version_of(name, ref)
        if "/" in text:
            name, ref = text.rsplit("/", 1)
            if not ref.isdigit():
                raise ValueError(f"model reference {text!r}: after '/' comes a version number")
            return name, self.version_of(name, int(ref))
        return text, self.default_version(text)

    def describe(self, name: str) -> dict:
        """Everything about ``name``: versions, aliases, split, shadow, input schema."""
        state = self.state(name)
        versions = self._versions(name)
        default = self.default_version(name, state, versions)
        by_number = {v["version"]: v for v in versions}
        return {
            "name": name,
            "versions": [_public(v) for v in versions],
            "aliases": state["aliases"],
            "split": state["split"],
            "shadow": state["shadow"],
            "default_version": default,
            "input_schema": by_number[default]["input_schema"],
        }

    def history(self, name: str) -> list[dict]:
        self.state(name)
        return list(self._model(name)["events"])

    # -- what a service writes back -------------------------------------------------------------
    def add_samples(self, name: str, samples: list[dict], keep: int = SAMPLES_KEPT) -> None:
        """Keep the newest ``keep`` shadow samples and feedback of ``name``."""
        if samples:
            new = json.loads(json.dumps(samples, default=str))
            self.store.update_entry(
                SAMPLES,
                name,
                lambda now: {"samples": [*(now or {}).get("samples", []), *new][-keep:]},
            )

    def samples(self, name: str) -> list[dict]:
        return list((self.store.get_entry(SAMPLES, name) or {}).get("samples", []))

    def put_stats(self, name: str, process: str, stats: dict) -> None:
        self.store.put_entry(STATS, f"{name}/{process}", {"model": name, "stats": stats})

    def stats(self, name: str) -> list[dict]:
        return [e["stats"] for e in self.store.list_entries(STATS) if e.get("model") == name]

    def stamp(self) -> Any:
        """Changes whenever a version, an alias, the split or the shadow changes."""
        return (self.store.get_entry(STAMP, "registry") or {}).get("changes", 0)


_REGISTRIES: dict[int, tuple[Any, ModelRegistry]] = {}


def registry_for(store=None) -> ModelRegistry:
    """The model registry kept in ``store`` (the configured run store by default)."""
    if store is None:
        from flowlab.store import get_store

        store = get_store()
    from flowlab.store.protocol import RunStore

    if not isinstance(store, RunStore):
        raise TypeError(f"{store!r} keeps no model registry (expected a flowlab RunStore)")
    known = _REGISTRIES.get(id(store))
    if known is None or known[0] is not store:
        known = _REGISTRIES[id(store)] = (store, ModelRegistry(store))
    return known[1]


def load_model(entry: dict):
    """The Model object of a registry version (read from its artifact, hash checked)."""
    from flowlab.store import get_artifacts
    from flowlab.types import MODEL

    return MODEL.deserialise(get_artifacts().get(entry["artifact"]))


def deploy_run(run, name: str, *, output: str = "model") -> int:
    """Deploy ``run``'s MODEL output as the next version of ``name`` (what ``Run.deploy`` does)."""
    return registry_for(run.store).deploy(run, name, output=output)


def _resolve_model(text: str):
    """MODEL inputs accept ``"name@alias"`` and ``"name/3"``: the deployed model itself."""
    registry = registry_for()
    name, version = registry.resolve(text)
    return load_model(registry.entry(name, version))


def _input_schema(record: dict, features: list[str]) -> dict:
    """Feature → type JSON, from the DATASET column types the training run declared."""
    declared: dict[str, dict] = {}

    def walk(node):
        if isinstance(node, dict):
            columns = node.get("x-columns")
            if isinstance(columns, dict):
                for column, type_name in columns.items():
                    declared.setdefault(column, type_name)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(record.get("graph") or {})
    schema = {}
    for feature in features:
        type_name = declared.get(feature, "DOUBLE")
        schema[feature] = (
            type_name if isinstance(type_name, dict) else {"x-flowlab-type": type_name}
        )
    return schema


def _public(entry: dict) -> dict:
    return {k: v for k, v in entry.items() if k != "name"}


def _type_of(value: Any) -> str:
    if isinstance(value, dict):
        return value.get("type", "reference")
    return type(value).__name__


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(
            f"model name {name!r}: use letters, digits, '_', '-' or '.', starting with a letter"
        )


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")


def _who() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in some containers
        return "unknown"


register_model_resolver(_resolve_model)
