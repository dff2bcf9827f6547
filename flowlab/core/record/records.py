"""The run record: one plain dict per run, written to the store as the run progresses."""

from __future__ import annotations

import datetime as dt
import functools
import os
import platform
import secrets
import socket
import time
from importlib import metadata

from flowlab.store.config import current_user
from flowlab.store.leases import lapsed_reason, new_lease

#: Every state an operator's record can be in, in the order views count them. ``skipped``:
#: on the side of a ``flowlab.branch`` not taken. Views colour and count from this one list.
OPERATOR_STATES = ("queued", "running", "succeeded", "cached", "skipped", "failed", "cancelled")
TERMINAL_OPERATOR = ("succeeded", "failed", "cancelled", "cached", "skipped")
#: Every status a run's record can be in (``pruned``: an Optuna trial stopped by its pruner).
RUN_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled", "pruned")
TERMINAL_RUN = ("succeeded", "failed", "cancelled", "pruned")
#: An operator's cache status (its record's ``cache``): ``hit`` (its result came from the
#: cache), ``miss`` (it ran; ``changed`` says why), ``off`` (not looked up: ``cache=False``)
CACHE_STATUSES = ("hit", "miss", "off")
_PACKAGES = (
    "flowlab",
    "dask",
    "distributed",
    "pandas",
    "numpy",
    "scikit-learn",
    "pyarrow",
    "lightgbm",
    "xgboost",
    "torch",
)


def now_iso(timestamp: float | None = None) -> str:
    """UTC time as ISO 8601 (sorts and compares as text, so queries can use it)."""
    moment = dt.datetime.fromtimestamp(timestamp or time.time(), tz=dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_run_id() -> str:
    """Sortable by creation time, unique across processes: 20261123-194501-a1b2c3."""
    return dt.datetime.now(tz=dt.UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


def package_versions() -> dict[str, str]:
    """The versions of the packages a run's result depends on (a copy: records change it)."""
    return dict(_package_versions())


@functools.cache
def _package_versions() -> dict[str, str]:
    # read once per process: reading package metadata costs ~20 ms, on every launch
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return versions


def new_record(graph, run_id: str, seed: int, tags: list[str] | None, source: str) -> dict:
    operators = {}
    for node in graph.nodes.values():
        operators[node.id] = {
            "node": node.id,
            "operator": node.operator,
            "state": "queued",
            "worker": None,
            "started": None,
            "ended": None,
            "duration": None,
            "attempts": 0,
            # one address per execution, in order (a retry, or a result lost with its worker
            # and computed again); "recomputed": executions after it had succeeded
            "workers": [],
            "recomputed": 0,
            "error": None,
            "traceback": None,
            "logs": "",
            "resources": node.resources,
            "version": node.version,
            "parents": node.parents,
            # hit / miss / off, and why it missed: set at launch (core/runs/cache_status.py)
            "cache": {"status": "miss", "from_run": None, "changed": []},
        }
    return {
        "id": run_id,
        "workflow": graph.workflow,
        "version": graph.version,
        "status": "queued",
        "inputs": {},
        "outputs": {},
        "tags": list(tags or []),
        "notes": [],
        "parent": None,
        "created": now_iso(),
        "started": None,
        "ended": None,
        "seed": seed,
        # who launched it: FLOWLAB_USER, else the OS login (``flowlab runs --mine``)
        "user": current_user(),
        "operators": operators,
        "error": None,
        "graph": graph.to_json(),
        "source": {"workflow": source, "operators": _operator_sources(graph)},
        "packages": package_versions(),
        "launcher": {"host": socket.gethostname(), "pid": os.getpid()},
        "lease": new_lease("launcher"),
    }


def cache_of(op: dict) -> dict:
    """An operator record's cache status: ``{"status": "hit" | "miss" | "off", "from_run":
    run id or None, "changed": [...]}`` (a copy). ``from_run``: on a hit, the run the result
    came from; ``changed``: on a miss, what differs from the last run that ran the operator
    (``"new"``, ``"code"``, ``"seed"``, ``"input:NAME"``, ``"upstream:NODE"``, ``"artifact
    missing"``…, see the README); ``compared_to``, when present, names that run. A record
    written before flowlab explained its cache reads as a hit when it was ``cached``.

    Example::

        cache_of(run.record["operators"]["train"])
        # {"status": "miss", "from_run": None, "changed": ["input:data"], "compared_to": "2026…"}
    """
    found = op.get("cache")
    if isinstance(found, dict) and found.get("status") in CACHE_STATUSES:
        return {**found, "changed": list(found.get("changed") or [])}
    if op.get("state") == "cached":
        return {"status": "hit", "from_run": op.get("cached_from"), "changed": []}
    return {"status": "miss", "from_run": None, "changed": []}


def task_key(run_id: str, node_id: str, operator: str) -> str:
    """The Dask key of one operator of a run: ``operator-node@run``.

    Dask groups tasks by the key's prefix (``operator``): with the node first, every node was
    a group of its own and the scheduler's occupancy sums grew with the graph (measured: most
    of the scheduler's time for a 1000-operator fan-out). A run's keys end in ``@run``.

    Example::

        task_key("20261123-194501-a1b2c3", "train_2", "train")   # "train-train_2@20261123-…"
    """
    return f"{operator}-{node_id}@{run_id}"


def tracker_alive(record: dict) -> bool:
    """Whether a live run is still followed by someone: its lease (``store.leases``) holds."""
    return lapsed_reason(record) is None


def _operator_sources(graph) -> dict[str, str]:
    from flowlab.core.definition.versioning import source_of

    sources = {}
    for node_id, node in graph.nodes.items():
        if node.operator not in sources:
            sources[node.operator] = source_of(graph.operators[node_id].fn)
    return sources
