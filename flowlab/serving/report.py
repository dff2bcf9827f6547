"""The shadow report: per version, what it served, how many requests were mirrored to the shadow,
dropped (its queue was full) and compared, how often the shadow agreed, latency, and
accuracy on the labels posted as feedback.

Example::

    report = flowlab.models.shadow_report("iris-classifier")
    report.to_pandas()          # one row per version
"""

from __future__ import annotations

import html

COLUMNS = (
    "version",
    "served",
    "errors",
    "p50_ms",
    "p99_ms",
    "mirrored",
    "dropped",
    "compared",
    "shadow_errors",
    "agreement",
    "shadow_p50_ms",
    "shadow_p99_ms",
    "labelled",
    "accuracy",
)

COUNTS = ("served", "errors", "mirrored", "dropped", "compared", "shadow_errors", "labelled")


class ShadowReport:
    """Rows of per-version figures summed over every service process that wrote to the store.

    Latency quantiles of several processes are combined as a request-weighted mean of each
    process's own quantile (an approximation; Prometheus' histograms are exact).
    """

    def __init__(self, name: str, stats: list[dict], samples: list[dict]):
        self.name = name
        self.rows = _rows(stats, samples)
        self.mirrored = sum(r["mirrored"] for r in self.rows)

    def to_pandas(self):
        import pandas as pd

        return pd.DataFrame(self.rows, columns=list(COLUMNS))

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{c}</th>" for c in COLUMNS)
        body = "".join(
            "<tr>" + "".join(f"<td>{_cell(row[c])}</td>" for c in COLUMNS) + "</tr>"
            for row in self.rows
        )
        return (
            f"<div class='flowlab-shadow-report'><b>shadow report: {html.escape(self.name)}</b>"
            f" ({self.mirrored} mirrored requests)<table><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table></div>"
        )

    def __repr__(self) -> str:
        return f"<ShadowReport {self.name}: {self.mirrored} mirrored>\n{self.to_pandas()}"


def _rows(stats: list[dict], samples: list[dict]) -> list[dict]:
    rows: dict[int, dict] = {}

    def row(version: int) -> dict:
        return rows.setdefault(
            version,
            {c: 0 if c in COUNTS else None for c in COLUMNS}
            | {"version": version, "_lat": [], "_shadow_lat": [], "_agreed": 0, "_inst": 0},
        )

    for document in stats:
        for version, s in (document.get("versions") or {}).items():
            r = row(int(version))
            r["served"] += s["requests"]
            r["errors"] += s["errors"]
            r["_lat"].append((s["requests"], s["latency_ms"]))
        for version, s in (document.get("shadow") or {}).items():
            r = row(int(version))
            r["mirrored"] += s["mirrored"]
            r["dropped"] += s.get("dropped", 0)
            r["compared"] += s.get("compared", s["mirrored"])  # written before 'compared' was
            r["shadow_errors"] += s.get("errors", 0)
            r["_agreed"] += s["agreed"]
            r["_inst"] += s["instances"]
            r["_shadow_lat"].append((s["mirrored"], s["latency_ms"]))
    correct: dict[int, list[int]] = {}
    labels = {s["id"]: s["label"] for s in samples if s.get("kind") == "feedback"}
    for sample in samples:
        if sample.get("kind") != "shadow" or sample["id"] not in labels:
            continue
        label = labels[sample["id"]]
        for side in ("primary", "shadow"):
            predictions = sample[side]["predictions"]
            truth = label if isinstance(label, list) else [label] * len(predictions)
            tally = correct.setdefault(sample[side]["version"], [0, 0])
            tally[0] += sum(p == t for p, t in zip(predictions, truth, strict=False))
            tally[1] += len(predictions)
    for version, (right, total) in correct.items():
        r = row(version)
        r["labelled"], r["accuracy"] = total, right / total if total else None
    out = []
    for version in sorted(rows):
        r = rows[version]
        r["p50_ms"], r["p99_ms"] = _weighted(r.pop("_lat"))
        r["shadow_p50_ms"], r["shadow_p99_ms"] = _weighted(r.pop("_shadow_lat"))
        agreed, instances = r.pop("_agreed"), r.pop("_inst")
        r["agreement"] = agreed / instances if instances else None
        out.append(r)
    return out


def _weighted(parts: list[tuple[int, dict]]) -> tuple[float | None, float | None]:
    parts = [(n, q) for n, q in parts if n and q.get("p50") is not None]
    total = sum(n for n, _ in parts)
    if not total:
        return None, None
    return tuple(sum(n * q[k] for n, q in parts) / total for k in ("p50", "p99"))


def _cell(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3g}"
    return html.escape(str(value))
