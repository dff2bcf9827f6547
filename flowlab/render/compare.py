"""Comparison of runs: rows are inputs and outputs, columns are runs, deltas vs a baseline."""

from __future__ import annotations

import html
import json
import numbers
from collections.abc import Iterable
from typing import Any

from flowlab.render.builtin import metric_direction
from flowlab.render.registry import Subject
from flowlab.render.run import run_seconds, seconds_text

BETTER, WORSE, DIFFERS = "#d9f2d0", "#f8d3cc", "#fff4c2"


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
        pad = "padding:2px 10px"
        head = "".join(
            f'<th style="{pad};text-align:left" data-run="{html.escape(i)}">{html.escape(i)}'
            f"{' <i>(baseline)</i>' if i == self.baseline else ''}</th>"
            for i in self.run_ids
        )
        meta_rows = []
        for label, shown in (
            ("tags", lambda r: ", ".join(r.get("tags") or []) or "—"),
            ("seed", lambda r: show_value(r.get("seed"))),
            ("duration", lambda r: seconds_text(run_seconds(r))),
        ):
            cells = "".join(
                f'<td style="{pad};text-align:left;color:#555">{html.escape(shown(r))}</td>'
                for r in self.records
            )
            meta_rows.append(
                f'<tr class="flowlab-run-{label}"><th style="{pad};text-align:left;'
                f'font-weight:normal;color:#555">{label}</th>{cells}</tr>'
            )
        body, section_seen = [], None
        for (section, name), row in self.rows.items():
            if section != section_seen:
                body.append(
                    f'<tr><th colspan="{len(self.run_ids) + 1}" style="text-align:left;'
                    f'background:#f4f4f4;{pad}">{section}s</th></tr>'
                )
                section_seen = section
            base = json.dumps(row["values"].get(self.baseline), sort_keys=True, default=str)
            cells = []
            for run_id in self.run_ids:
                value = row["values"].get(run_id)
                delta, verdict = self._delta(row, run_id) if section == "output" else (None, None)
                colour = {"better": BETTER, "worse": WORSE}.get(verdict or "")
                differs = json.dumps(value, sort_keys=True, default=str) != base
                if colour is None and differs and run_id != self.baseline:
                    colour = DIFFERS  # only the cells that differ from the baseline's
                style = f"{pad};text-align:left" + (f";background:{colour}" if colour else "")
                extra = (
                    f' <span class="flowlab-delta flowlab-{verdict or "changed"}">'
                    f"({delta:+.4g})</span>"
                    if delta and run_id != self.baseline
                    else ""
                )
                marker = ' class="flowlab-cell-differs"' if differs else ""
                cells.append(
                    f'<td{marker} style="{style}" data-verdict="{verdict or ""}">'
                    f"{html.escape(show_value(value))}{extra}</td>"
                )
            arrow = {"lower": " ↓", "higher": " ↑"}.get(row.get("direction") or "", "")
            marker = ' class="flowlab-differs"' if row["differs"] else ""
            body.append(
                f'<tr{marker}><th style="{pad};text-align:left">{html.escape(name)}{arrow}</th>'
                f"{''.join(cells)}</tr>"
            )
        return (
            '<table class="flowlab-compare" style="border-collapse:collapse">'
            f"<thead><tr><th></th>{head}</tr>{''.join(meta_rows)}</thead>"
            f"<tbody>{''.join(body)}</tbody></table>"
        )

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


def show_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if value is None:
        return "—"
    if isinstance(value, (list, dict)):
        return json.dumps(value, default=str)
    return str(value)
