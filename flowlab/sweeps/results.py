"""Sweep and study results as an ``xarray.Dataset``, built from the children's records."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def _metric_names(records: list[dict | None], declared: dict) -> list[str]:
    names = list(declared)
    for r in records:
        for k, v in ((r or {}).get("outputs") or {}).items():
            if k not in names and _number(v) is not None:
                names.append(k)
    return names


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None


def _values(records: list[dict | None], names: list[str]) -> dict[str, np.ndarray]:
    out = {}
    for name in names:
        column = []
        for r in records:
            ok = r is not None and r.get("status") == "succeeded"
            value = _number((r.get("outputs") or {}).get(name)) if ok else None
            column.append(np.nan if value is None else value)
        out[name] = np.array(column, dtype=float)
    return out


def _directions(workflow, names: list[str]) -> dict[str, str]:
    declared = {}
    if workflow is not None and workflow.returns is not None:
        declared = dict(workflow.returns.items())
    return {n: getattr(declared.get(n), "direction", None) for n in names}


def sweep_dataset(sweep):
    """Grid: dims named after the swept inputs; random: a ``trial`` dim with inputs as coords."""
    import xarray as xr

    from flowlab.sweeps.validate import scalar_outputs

    workflow = _workflow(sweep)
    records = sweep.child_records()
    declared = scalar_outputs(workflow) if workflow is not None else {}
    names = _metric_names(records, declared)
    values = _values(records, names)
    status = np.array([_status(r) for r in records], dtype=object)
    run_ids = np.array([(r or {}).get("id", "") for r in records], dtype=object)
    detail = sweep.detail
    configs = detail["configs"]
    directions = _directions(workflow, names)
    if detail["mode"] == "grid":
        grid = detail["grid"]
        dims = list(grid)
        shape = tuple(len(v) for v in grid.values())
        data = {n: (dims, values[n].reshape(shape), _attrs(directions[n])) for n in names}
        data["status"] = (dims, status.reshape(shape))
        data["run_id"] = (dims, run_ids.reshape(shape))
        coords = {name: list(vals) for name, vals in grid.items()}
    else:
        dims = ["trial"]
        data = {n: (dims, values[n], _attrs(directions[n])) for n in names}
        data["status"] = (dims, status)
        data["run_id"] = (dims, run_ids)
        coords = {"trial": np.arange(len(configs))}
        for name in configs[0] if configs else {}:
            coords[name] = ("trial", [c[name] for c in configs])
    return xr.Dataset(
        data,
        coords=coords,
        attrs={"sweep": sweep.id, "workflow": detail["workflow"], "mode": detail["mode"]},
    )


def study_dataset(study):
    """One ``trial`` per Optuna trial: its params as coordinates, outputs, ``status``, ``run_id``."""
    import xarray as xr

    from flowlab.sweeps.validate import scalar_outputs

    trials = study.study.trials
    store = study.store
    records = []
    for t in trials:
        run_id = t.user_attrs.get("run_id")
        try:
            records.append(store.get_run(run_id) if run_id else None)
        except KeyError:
            records.append(None)
    workflow = _workflow(study)  # None: reopened where its workflow cannot be rebuilt
    names = _metric_names(records, scalar_outputs(workflow) if workflow is not None else {})
    values = _values(records, names)
    directions = _directions(workflow, names)
    data = {n: (["trial"], values[n], _attrs(directions[n])) for n in names}
    states = [t.state.name.lower() for t in trials]
    status = [
        "pruned" if s == "pruned" else (r or {}).get("status", s) if s != "running" else "running"
        for s, r in zip(states, records, strict=True)
    ]
    data["status"] = (["trial"], np.array(status, dtype=object))
    data["run_id"] = (["trial"], np.array([(r or {}).get("id", "") for r in records], dtype=object))
    coords: dict[str, Any] = {"trial": np.array([t.number for t in trials], dtype=int)}
    for name in study.space:
        coords[name] = ("trial", [t.params.get(name, np.nan) for t in trials])
    return xr.Dataset(
        data,
        coords=coords,
        attrs={
            "study": study.study.study_name,
            "workflow": study.record["workflow"],
            "objective": ",".join(study.objectives),
        },
    )


def _status(record: dict | None) -> str:
    return "not launched" if record is None else record.get("status", "unknown")


def _attrs(direction: str | None) -> dict:
    return {"direction": direction} if direction else {}


def _workflow(sweep):
    try:
        return sweep.swept_workflow()
    except LookupError:
        return None


def child_rows(sweep) -> list[dict]:
    """One row per configuration of a sweep, in configuration order: the child's ``id``
    (None: not launched), the swept ``inputs``, its ``status`` and its scalar ``outputs``
    (numbers, text, booleans; artifacts are left out).

    Example::

        child_rows(open_sweep(sweep_id))[0]
        # {'id': '20261130-…', 'inputs': {'a': 1}, 'status': 'succeeded', 'outputs': {'total': 101}}
    """
    configs, records = sweep.configs, sweep.child_records()
    # the children's ids are recorded once all are launched: until then, "not launched"
    records = [*records, *[None] * (len(configs) - len(records))]
    rows = []
    for config, record in zip(configs, records, strict=True):
        outputs = (record or {}).get("outputs") or {}
        rows.append(
            {
                "id": None if record is None else record["id"],
                "inputs": dict(config),
                "status": _status(record),
                "outputs": {k: v for k, v in outputs.items() if _scalar(v)},
            }
        )
    return rows


def status_counts(rows: list[dict]) -> dict[str, int]:
    """How many children are in each status, in the order of ``RUN_STATUSES`` (then any other,
    e.g. ``not launched``); statuses no child has are left out.

    Example::

        status_counts(child_rows(sweep))   # {'succeeded': 2, 'failed': 1}
    """
    from flowlab.core.record.records import RUN_STATUSES

    found = [row["status"] for row in rows]
    order = [*RUN_STATUSES, *sorted(set(found) - set(RUN_STATUSES))]
    return {status: found.count(status) for status in order if status in found}


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))
