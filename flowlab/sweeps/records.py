"""The record of a sweep or study: itself a run (``flowlab.get_run(id)``), its children's parent."""

from __future__ import annotations

import json
import os
import socket
from typing import Any

from flowlab.core.record.records import new_run_id, now_iso, package_versions
from flowlab.store.config import current_user

#: Dask priority of sweep and study children: below interactive runs (priority 0), so a run
#: launched by hand starts as soon as a worker frees up (the idle cycles)
CHILD_PRIORITY = -10


def new_parent_record(workflow, kind: str, inputs: dict, detail: dict, seed=None) -> dict:
    """A run record for a sweep (``kind="sweep"``) or a study (``kind="study"``)."""
    suffix = "sweep" if kind == "sweep" else "optimize"
    return {
        "id": new_run_id(),
        "workflow": f"{workflow.name}.{suffix}",
        "kind": kind,
        "version": "",
        "status": "running",
        "inputs": {k: v for k, v in inputs.items() if _plain(v)},
        "outputs": {},
        "tags": [kind],
        "notes": [],
        "parent": None,
        "created": now_iso(),
        "started": now_iso(),
        "ended": None,
        "seed": seed,
        "user": current_user(),
        "operators": {},
        "error": None,
        kind: {"workflow": workflow.name, **detail},
        "packages": package_versions(),
        "launcher": {"host": socket.gethostname(), "pid": os.getpid()},
    }


def _plain(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return not isinstance(value, (dict, list)) or len(json.dumps(value)) < 2000
