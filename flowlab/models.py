"""Deployed models: versions, aliases, A/B splits, shadows, predictions and shadow reports.

Example::

    v1 = run.deploy("iris-classifier")
    flowlab.models.alias("iris-classifier", "production", v1)
    flowlab.models.split("iris-classifier", {"production": 0.9, "candidate": 0.1})
    flowlab.models.shadow("iris-classifier", "candidate")
    flowlab.models.predict("iris-classifier", [{"petal_width": 2, "petal_height": 14,
                                                "sepal_width": 33, "sepal_height": 50}])
    flowlab.models.shadow_report("iris-classifier")
"""

from __future__ import annotations

import builtins
import threading

from flowlab.core.runs.run import register_deployer
from flowlab.serving.engine import ModelService
from flowlab.serving.report import ShadowReport
from flowlab.store.models import deploy_run, registry_for

__all__ = [
    "ShadowReport",
    "alias",
    "get",
    "history",
    "list",
    "predict",
    "shadow",
    "shadow_report",
    "split",
]

_services: dict[int, ModelService] = {}
_lock = threading.Lock()


def _registry():
    return registry_for()


def alias(name: str, alias: str, version: int | str | None) -> dict:
    """Point ``alias`` of model ``name`` at ``version`` (live: services follow within a second).

    Example::

        flowlab.models.alias("iris-classifier", "production", 2)   # roll forward or back
    """
    return _registry().alias(name, alias, version)


def split(name: str, weights: dict | None) -> dict:
    """Share requests across aliases or versions; weights are normalised; None clears it.

    Example::

        flowlab.models.split("iris-classifier", {"production": 0.9, "candidate": 0.1})
    """
    return _registry().split(name, weights)


def shadow(name: str, alias_or_version: int | str | None) -> dict:
    """Mirror every request to this version after answering; None stops the shadow.

    Example::

        flowlab.models.shadow("iris-classifier", "candidate")
    """
    return _registry().shadow(name, alias_or_version)


def predict(name: str, instances: builtins.list, *, key: str | None = None) -> builtins.list:
    """Predict in this process exactly as the service would (routing, validation, shadow).

    ``instances`` are objects keyed by column name, or lists in the model's feature order;
    ``key`` makes the A/B choice sticky. Returns the predictions; the version that answered
    is in ``flowlab.models.last_version``.

    Example::

        flowlab.models.predict("iris-classifier", [[2, 14, 33, 50]])   # ['Iris-setosa']
    """
    global last_version
    answer = _service().predict(name, instances, key=key)
    last_version = answer.version
    return answer.predictions


last_version: int | None = None


def shadow_report(name: str) -> ShadowReport:
    """Agreement with the shadow, latency per version, and accuracy on posted feedback.

    Reads what every service process wrote to the store (once a second) plus this process's
    own predictions. Renders as a table in a notebook; ``.to_pandas()`` gives the frame.

    Example::

        flowlab.models.shadow_report("iris-classifier").to_pandas()
    """
    registry = _registry()
    registry.state(name)  # refuses an unknown model
    service = _services.get(id(registry))
    if service is not None:
        service.monitor.wait_for_shadow()
        service.monitor.flush()
    return ShadowReport(name, registry.stats(name), registry.samples(name))


def list() -> builtins.list[dict]:  # noqa: A001 - the issue's contract name
    """Every deployed model: name, versions, aliases, split, shadow."""
    registry = _registry()
    out = []
    for name in registry.names():
        info = registry.describe(name)
        out.append(
            {
                "name": name,
                "versions": [v["version"] for v in info["versions"]],
                "aliases": info["aliases"],
                "split": info["split"],
                "shadow": info["shadow"],
                "default_version": info["default_version"],
            }
        )
    return out


def get(name: str) -> dict:
    """One model: its versions (run, metrics, input schema, who/when), aliases, split, shadow."""
    return _registry().describe(name)


def history(name: str) -> builtins.list[dict]:
    """Every change to model ``name``, oldest first: deploys, aliases, splits, shadows."""
    return _registry().history(name)


def _service() -> ModelService:
    registry = _registry()
    with _lock:
        service = _services.get(id(registry))
        if service is None:
            service = _services[id(registry)] = ModelService(registry)
    service.refresh()  # a change made a moment ago in this process takes effect now
    return service


# Run.deploy (core) calls the registry through this hook: core never imports the layers above.
register_deployer(deploy_run)
