"""The specialised views of sweeps and studies, one renderer each, in the renderer registry.

One swept input: a line plot per metric with the best point marked. Two: a heatmap. More, a
random search or an Optuna study: parallel coordinates, the optimisation history and the
parameters' importances. Every view ends with the top runs, linked. The notebook's live view
and the dashboard's sweeps page both draw through these.
"""

from __future__ import annotations

import html
import math
import urllib.parse

from flowlab.render import sweep_charts as charts
from flowlab.render.registry import Renderer, Subject, register_renderer
from flowlab.render.svg import bar_chart

TOP_N = 10
#: the dashboard's run page (relative, as its own pages link); ``id`` is put in percent-encoded
RUN_LINK = "run?id={id}"


def _kind(subject: Subject) -> str | None:
    kind = getattr(subject.value, "kind", None)
    return kind if kind in ("sweep", "study") and hasattr(subject.value, "results") else None


def _dims(subject: Subject) -> list[str]:
    detail = subject.value.detail
    return list(detail.get("grid", {})) if detail.get("mode") == "grid" else []


def _is_line(subject: Subject) -> bool:
    return _kind(subject) == "sweep" and len(_dims(subject)) == 1


def _is_heatmap(subject: Subject) -> bool:
    return _kind(subject) == "sweep" and len(_dims(subject)) == 2


def _is_parallel(subject: Subject) -> bool:
    return _kind(subject) is not None and not (_is_line(subject) or _is_heatmap(subject))


def metrics_of(ds) -> list[str]:
    return [n for n in ds.data_vars if n not in ("status", "run_id")]


def primary_metric(ds, objective: str | None = None) -> str | None:
    names = metrics_of(ds)
    if objective in names:
        return objective
    with_direction = [n for n in names if ds[n].attrs.get("direction")]
    return (with_direction or names or [None])[0]


def _minimize(ds, metric: str) -> bool:
    return ds[metric].attrs.get("direction", "lower") != "higher"


def _best_flat(values, minimize: bool) -> int | None:
    finite = [(v, i) for i, v in enumerate(values) if charts.finite(v)]
    if not finite:
        return None
    return (min(finite) if minimize else max(finite))[1]


def _header(value, ds) -> str:
    statuses = [str(s) for s in ds["status"].values.ravel()] if "status" in ds else []
    counts = {s: statuses.count(s) for s in dict.fromkeys(statuses)}
    summary = " · ".join(f"{n} {s}" for s, n in counts.items())
    record = value.record
    return (
        f"<div class='flowlab-sweep-head'><b>{html.escape(record['workflow'])}</b> "
        f"<code>{html.escape(value.id)}</code> · {html.escape(value.status)} · "
        f"{html.escape(summary)}</div>"
    )


def top_table(ds, metric: str | None, n: int = TOP_N, link: str = RUN_LINK) -> str:
    """The best ``n`` children by ``metric`` (failed last): inputs, metrics, status, run link."""
    flat = ds.stack(_cell=list(ds["status"].dims)) if ds["status"].ndim > 1 else ds
    dim = flat["status"].dims[0]
    rows = []
    for i in range(flat.sizes[dim]):
        cell = flat.isel({dim: i})
        rows.append(cell)
    if metric is not None:
        sign = 1 if _minimize(ds, metric) else -1

        def key(cell):
            v = float(cell[metric].values)
            return (0, sign * v) if charts.finite(v) else (1, 0.0)

        rows.sort(key=key)
    params = [c for c in flat.coords if c not in ("trial", "_cell") and flat[c].ndim <= 1]
    params = [p for p in params if p in ds.coords and p not in ds.dims or p in ds.dims]
    params = [p for p in params if p != "trial"]
    metrics = metrics_of(ds)
    head = "".join(
        f"<th style='text-align:left;padding:2px 8px'>{html.escape(h)}</th>"
        for h in ["#", "run", *params, *metrics, "status"]
    )
    body = []
    for rank, cell in enumerate(rows[:n], 1):
        run_id = str(cell["run_id"].values)
        link_html = (
            # data-flowlab-run: in JupyterLab the extension opens the run's detail instead
            # of following the (dashboard-relative) href, which would leave the notebook
            f"<a href='{html.escape(link.format(id=urllib.parse.quote(run_id, safe='')))}' "
            f"class='flowlab-run-link' data-flowlab-run='{html.escape(run_id)}' "
            f"title='flowlab.get_run(\"{html.escape(run_id)}\")'>{html.escape(run_id)}</a>"
            if run_id
            else ""
        )
        cells = [str(rank), link_html]
        cells += [charts.value_label(_plain(cell[p].values)) for p in params]
        for m in metrics:
            v = float(cell[m].values)
            cells.append(f"{v:.4g}" if charts.finite(v) else "NaN")
        cells.append(html.escape(str(cell["status"].values)))
        body.append(
            "<tr>" + "".join(f"<td style='padding:2px 8px'>{c}</td>" for c in cells) + "</tr>"
        )
    return (
        f"<table class='flowlab-sweep-top' style='border-collapse:collapse'><caption "
        f"style='text-align:left'>top {min(n, len(rows))} of {len(rows)}"
        f"{' by ' + html.escape(metric) if metric else ''}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def _plain(value):
    try:
        return value.item()
    except (AttributeError, ValueError):
        return value


def _wrap(value, ds, charts_html: str, metric: str | None) -> str:
    return (
        f"<div class='flowlab-sweep' data-sweep='{html.escape(value.id)}'>{_header(value, ds)}"
        f"<div style='display:flex;flex-wrap:wrap;gap:12px'>{charts_html}</div>"
        f"{top_table(ds, metric)}</div>"
    )


def render_line(subject: Subject) -> str:
    """One swept input: a line plot per metric, the best point ringed."""
    value = subject.value
    ds = value.results
    dim = _dims(subject)[0]
    xs = [_plain(v) for v in ds[dim].values]
    plots = []
    for m in metrics_of(ds):
        ys = [float(v) for v in ds[m].values]
        plots.append(charts.metric_line(m, xs, ys, _best_flat(ys, _minimize(ds, m))))
    return _wrap(value, ds, "".join(plots), primary_metric(ds))


def render_heatmap(subject: Subject) -> str:
    """Two swept inputs: a heatmap per metric (rows: first input, columns: second)."""
    value = subject.value
    ds = value.results
    rows_dim, cols_dim = _dims(subject)
    rows = [_plain(v) for v in ds[rows_dim].values]
    cols = [_plain(v) for v in ds[cols_dim].values]
    maps = []
    states = [[str(s) for s in row] for row in ds["status"].transpose(rows_dim, cols_dim).values]
    for m in metrics_of(ds):
        grid = ds[m].transpose(rows_dim, cols_dim).values
        best = _best_flat(list(grid.ravel()), _minimize(ds, m))
        where = None if best is None else divmod(best, len(cols))
        maps.append(
            f"<div><div style='color:#555'>{html.escape(rows_dim)} ↓ · "
            f"{html.escape(cols_dim)} →</div>"
            + charts.labelled_heatmap(m, rows, cols, grid.tolist(), where, states=states)
            + "</div>"
        )
    return _wrap(value, ds, "".join(maps), primary_metric(ds))


def render_parallel(subject: Subject) -> str:
    """Many inputs, random search or a study: parallel coordinates, history, importances."""
    value = subject.value
    ds = value.results
    objective = None
    if _kind(subject) == "study":
        objective = value.objectives[0]
    metric = primary_metric(ds, objective)
    flat = ds.stack(_cell=list(ds["status"].dims)) if ds["status"].ndim > 1 else ds
    params = [
        c
        for c in flat.coords
        if c not in ("trial", "_cell") and flat[c].dims == flat["status"].dims
    ]
    parts = []
    if metric is not None:
        columns = [[_plain(v) for v in flat[p].values] for p in params]
        columns.append([float(v) for v in flat[metric].values])
        colour = [float(v) for v in flat[metric].values]
        parts.append(
            "<div><b>parallel coordinates</b>"
            + charts.parallel_coordinates([*params, metric], columns, colour)
            + "</div>"
        )
        direction = "minimize" if _minimize(ds, metric) else "maximize"
        parts.append(charts.history([float(v) for v in flat[metric].values], direction))
    importances = _importances(value, subject)
    if importances:
        parts.append(
            "<div><b>parameter importances</b>"
            + bar_chart(list(importances), list(importances.values()))
            + "</div>"
        )
    return _wrap(value, ds, "".join(parts), metric)


def _importances(value, subject) -> dict:
    """Optuna's parameter importances for a study (needs a few completed trials)."""
    if _kind(subject) != "study":
        return {}
    try:
        import optuna

        done = [t for t in value.study.trials if t.state == optuna.trial.TrialState.COMPLETE]
        if len(done) < 3 or len(value.objectives) > 1:
            return {}
        found = optuna.importance.get_param_importances(value.study)
        return {k: float(v) for k, v in found.items() if math.isfinite(v)}
    except Exception:  # too few distinct values to tell: no importances, the rest still shows
        return {}


for _renderer in (
    Renderer("sweep-line", _is_line, render_line, priority=40),
    Renderer("sweep-heatmap", _is_heatmap, render_heatmap, priority=40),
    Renderer("sweep-parallel", _is_parallel, render_parallel, priority=40),
):
    register_renderer(_renderer)
