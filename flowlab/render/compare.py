"""Comparison of runs: rows are inputs and outputs, columns are runs, deltas vs a baseline."""

from __future__ import annotations

import json
import numbers
from collections.abc import Iterable
from typing import Any

from flowlab.render.builtin import metric_direction
from flowlab.render.compare_table import compare_html, show_value
from flowlab.render.registry import Subject

__all__ = ["Comparison", "compare", "show_value"]  # show_value: the dashboard uses it too


def compare(runs: Iterable[Any], baseline: Any = None) -> Comparison:
    """Compare runs (Run objects, run ids, or a RunList) side by side.

    Example::

        table = flowlab.compare([run_a, run_b, run_c], baseline=run_a)
        table                  # renders in the notebook
        table.to_pandas()      # rows (section, name), columns run ids
    """
    records = [_record_of(r) for r in runs]
    if baseline is not None:
        base = _record_of(baseline)
        if base["id"] not in [r["id"] for r in records]:
            records.insert(0, base)
        baseline_id = base["id"]
    else:
        baseline_id = records[0]["id"] if records else None
    if not records:
        raise ValueError("compare() needs at least one run")
    return Comparison(records, baseline_id)


class Comparison:
    """Runs side by side; renders as an HTML table, exports with :meth:`to_pandas`."""

    def __init__(self, records: list[dict], baseline: str | None):
        self.records = records
        self.baseline = baseline
        self.rows = _rows(records)

    @property
    def run_ids(self) -> list[str]:
        return [r["id"] for r in self.records]

    @property
    def differing(self) -> list[tuple[str, str]]:
        """(section, name) of every row whose value is not the same in all runs."""
        return [key for key, row in self.rows.items() if row["differs"]]

    def to_pandas(self):
        """Values as a DataFrame: index (section, name), one column per run id."""
        import pandas as pd

        index = pd.MultiIndex.from_tuples(list(self.rows), names=["section", "name"])
        data = [[row["values"].get(i) for i in self.run_ids] for row in self.rows.values()]
        return pd.DataFrame(data, index=index, columns=self.run_ids)

    def deltas(self):
        """Each numeric output minus the baseline's, as a DataFrame (metrics × runs)."""
        import pandas as pd

        data = {
            name: {i: self._delta(row, i)[0] for i in self.run_ids}
            for (section, name), row in self.rows.items()
            if section == "output" and _numeric(row["values"].get(self.baseline))
        }
        return pd.DataFrame(data).T.reindex(columns=self.run_ids)

    def delta(self, key: tuple[str, str], run_id: str) -> tuple[float | None, str | None]:
        """Row ``key``'s (section, name) value in ``run_id`` minus the baseline's, and whether
        that is "better" or "worse" (None: equal, not numeric, or no direction).

        Example::

            table.delta(("output", "logloss"), table.run_ids[1])   # (-0.1, "better")
        """
        return self._delta(self.rows[key], run_id)

    def _delta(self, row: dict, run_id: str) -> tuple[float | None, str | None]:
        """(value − baseline, "better" | "worse" | None)."""
        base, value = row["values"].get(self.baseline), row["values"].get(run_id)
        if not (_numeric(base) and _numeric(value)):
            return None, None
        delta = float(value) - float(base)
        direction = row.get("direction")
        if not delta or direction not in ("lower", "higher"):
            return delta, None
        better = delta < 0 if direction == "lower" else delta > 0
        return delta, "better" if better else "worse"

    def _repr_html_(self) -> str:
        return compare_html(self)

    def with_baseline(self, baseline: Any) -> Comparison:
        """The same runs compared against another of them (a Run or a run id).

        Example::

            table.with_baseline(table.run_ids[1])
        """
        wanted = baseline if isinstance(baseline, str) else _record_of(baseline)["id"]
        if wanted not in self.run_ids:
            raise ValueError(
                f"baseline {wanted!r} is not one of the compared runs ({', '.join(self.run_ids)})"
            )
        return Comparison(self.records, wanted)

    def __repr__(self) -> str:
        return f"<Comparison of {len(self.records)} runs, baseline {self.baseline}>"


def _record_of(run: Any) -> dict:
    if isinstance(run, dict):
        return run
    if isinstance(run, str):
        from flowlab.store import get_store

        return get_store().get_run(run)
    record = getattr(run, "record", None)
    if isinstance(record, dict):
        return record
    raise TypeError(
        f"compare() takes Run objects or run ids, found {type(run).__name__} {run!r:.60}"
    )


def _rows(records: list[dict]) -> dict[tuple[str, str], dict]:
    rows: dict[tuple[str, str], dict] = {}
    for record in records:
        rows.setdefault(("run", "workflow"), {"values": {}})["values"][record["id"]] = record.get(
            "workflow"
        )
        rows.setdefault(("run", "status"), {"values": {}})["values"][record["id"]] = record.get(
            "status"
        )
    for section, part in (("input", "inputs"), ("output", "outputs")):
        for record in records:
            returns = (record.get("graph") or {}).get("returns") or {}
            for name, stored in (record.get(part) or {}).items():
                row = rows.setdefault((section, name), {"values": {}})
                row["values"][record["id"]] = _plain(stored)
                if section == "output" and not row.get("direction"):
                    schema = returns.get(name) or {}
                    row["direction"] = metric_direction(Subject(None, schema, name))
    for row in rows.values():
        seen = {
            json.dumps(row["values"].get(r["id"]), sort_keys=True, default=str) for r in records
        }
        row["differs"] = len(seen) > 1
    return rows


def _plain(stored: Any) -> Any:
    """A record entry as a comparable plain value (artifacts as a short description)."""
    if isinstance(stored, dict) and "$uri" in stored:
        from flowlab.store.config import redacted

        return stored.get("catalog") or redacted(str(stored["$uri"]))  # s3://key:secret@…
    if isinstance(stored, dict) and "$artifact" in stored:
        digest = str(stored.get("hash", "")).removeprefix("sha256:")[:8]
        kind = stored.get("type", "artifact")
        if "rows" in stored:
            return f"{kind} {stored['rows']}×{len(stored.get('columns') or [])} #{digest}"
        meta = stored.get("meta") or {}
        return f"{kind} {meta.get('kind', '')} #{digest}".replace("  ", " ")
    return stored


def _numeric(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)
