"""The renderers flowlab ships: numbers, datasets, models, arrays, files, plain values.

Each returns an HTML string that works without JavaScript (paging uses CSS only), so the same
output shows in a notebook, an ipywidgets HTML widget, the dashboard and a static page.
"""

from __future__ import annotations

import html
import json
import numbers
import os
import urllib.parse
import uuid

from flowlab.render.registry import Renderer, Subject, register_renderer
from flowlab.render.svg import bar_chart, heatmap, line_chart

PAGE_ROWS = 10
MAX_PAGES = 10

ARROWS = {"lower": "↓ lower is better", "higher": "↑ higher is better"}


def metric_direction(subject: Subject) -> str | None:
    """The metric's direction from its type (``x-direction``), else from the metric's name."""
    direction = subject.schema.get("x-direction")
    if direction or not subject.name:
        return direction
    from flowlab.types.directions import metric_direction as by_name

    return by_name(subject.name)


def _is_number(subject: Subject) -> bool:
    return isinstance(subject.value, numbers.Real) and not isinstance(subject.value, bool)


def _is_typed_number(subject: Subject) -> bool:
    return isinstance(subject.value, numbers.Real)


def _render_number(subject: Subject) -> str:
    value = subject.value
    shown = f"{value:.6g}" if isinstance(value, float) else f"{value}"
    direction = metric_direction(subject)
    name = (
        f'<span class="flowlab-metric-name">{html.escape(subject.name)}</span> '
        if subject.name
        else ""
    )
    hint = (
        f' <span class="flowlab-direction" style="color:#777">{ARROWS[direction]}</span>'
        if direction in ARROWS
        else ""
    )
    return f'<div class="flowlab-number">{name}<b>{shown}</b>{hint}</div>'


def _is_dataset(subject: Subject) -> bool:
    value = subject.value
    return hasattr(value, "columns") and hasattr(value, "dtypes") and hasattr(value, "iloc")


def _render_dataset(subject: Subject) -> str:
    from flowlab.types.dataset import type_of_dtype

    frame = subject.value
    if hasattr(frame, "npartitions"):  # a dask DataFrame: show its head, not its length
        frame, rows = frame.head(PAGE_ROWS * MAX_PAGES), "?"
    else:
        rows = len(frame)
    columns = len(frame.columns)
    schema = " · ".join(
        f"{html.escape(str(c))} <i>{html.escape(str(getattr(type_of_dtype(t), 'name', t)))}</i>"
        for c, t in frame.dtypes.items()
    )
    title = f"<b>{html.escape(subject.name)}</b> " if subject.name else ""
    shown = frame.head(PAGE_ROWS * MAX_PAGES)
    pages = max(1, -(-len(shown) // PAGE_ROWS))
    key = "fl" + uuid.uuid4().hex[:10]
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    bodies, radios, rules = [], [], []
    for page in range(pages):
        part = shown.iloc[page * PAGE_ROWS : (page + 1) * PAGE_ROWS]
        cells = "".join(
            "<tr><th>"
            + html.escape(str(index))
            + "</th>"
            + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row)
            + "</tr>"
            for index, row in zip(part.index, part.itertuples(index=False), strict=True)
        )
        bodies.append(f'<tbody class="{key}-p{page}">{cells}</tbody>')
        if pages > 1:
            checked = " checked" if page == 0 else ""
            radios.append(
                f'<input type="radio" name="{key}" id="{key}-r{page}"{checked} '
                f'style="display:none"><label for="{key}-r{page}" class="{key}-l{page}" '
                f'style="cursor:pointer;padding:0 4px">{page + 1}</label>'
            )
            rules.append(
                f"#{key}-r{page}:checked ~ table .{key}-p{page}{{display:table-row-group}}"
                f"#{key}-r{page}:checked + label{{font-weight:bold;text-decoration:underline}}"
            )
    more = f" (showing the first {len(shown)})" if rows == "?" or len(shown) < rows else ""
    style = (
        f"<style>#{key} tbody{{display:none}}#{key} .{key}-p0{{display:table-row-group}}"
        + (f"#{key} tbody.{key}-p0{{display:none}}" if pages > 1 else "")
        + "".join(f"#{key} {rule}" for rule in rules)
        + f"#{key} table{{border-collapse:collapse}}#{key} td,#{key} th{{padding:2px 6px;"
        "border-bottom:1px solid #eee;text-align:right}</style>"
    )
    return (
        f'<div class="flowlab-dataset" id="{key}">{style}'
        f"<div>{title}DATASET {rows} rows × {columns} columns{more}</div>"
        f'<div style="color:#555">{schema}</div>'
        + ("Page " + "".join(radios) if pages > 1 else "")
        + f"<table><thead><tr><th></th>{head}</tr></thead>{''.join(bodies)}</table></div>"
    )


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _is_model(subject: Subject) -> bool:
    from flowlab.types import Model

    return isinstance(subject.value, Model)


def _is_present(subject: Subject) -> bool:
    return subject.value is not None


def _kind(estimator) -> str:
    """The estimator's class; for flowlab's adapters, the library estimator they wrap first
    (``DecisionTreeClassifier (SmoothedTreeClassifier)``)."""
    name = type(estimator).__name__
    inner = getattr(estimator, "estimator", None)
    if inner is not None and type(estimator).__module__.startswith("flowlab."):
        return f"{type(inner).__name__} ({name})"
    return name


def _render_model(subject: Subject) -> str:
    from flowlab.types import Model

    model = subject.value if isinstance(subject.value, Model) else Model(estimator=subject.value)
    estimator = model.estimator
    params = model.params or _estimator_params(estimator)
    title = f"<b>{html.escape(subject.name)}</b> " if subject.name else ""
    rows = [
        ("kind", _kind(estimator)),
        ("library", model.library or type(estimator).__module__.split(".")[0]),
        ("task", model.task),
        ("label", model.label or ""),
        ("features", ", ".join(map(str, model.features))),
        ("classes", ", ".join(map(str, model.classes))),
    ]
    table = "".join(
        f"<tr><th style='text-align:left'>{k}</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in rows
        if v
    )
    param_rows = "".join(
        f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(str(v))}</td></tr>"
        for k, v in params.items()
    )
    importances = _importances(estimator, model.features)
    chart = (
        f"<div><div><b>feature importances</b></div>"
        f"{bar_chart(*zip(*importances, strict=True))}</div>"
        if importances
        else ""
    )
    return (
        f'<div class="flowlab-model"><div>{title}MODEL</div><table>{table}</table>'
        f"<details><summary>parameters ({len(params)})</summary><table>{param_rows}</table>"
        f"</details>{chart}</div>"
    )


def _estimator_params(estimator) -> dict:
    get = getattr(estimator, "get_params", None)
    try:
        return {k: v for k, v in get(deep=False).items()} if get else {}
    except Exception:
        return {}


def _importances(estimator, features) -> list[tuple[str, float]]:
    import numpy as np

    values = getattr(estimator, "feature_importances_", None)
    if values is None and getattr(estimator, "coef_", None) is not None:
        coef = np.asarray(estimator.coef_)
        values = np.abs(coef).mean(axis=0) if coef.ndim > 1 else np.abs(coef)
    if values is None:
        return []
    names = list(features) or [f"x{i}" for i in range(len(values))]
    if len(names) != len(values):
        names = [f"x{i}" for i in range(len(values))]
    return [(str(n), float(v)) for n, v in zip(names, values, strict=True)]


def _is_array(subject: Subject) -> bool:
    try:
        import xarray as xr
    except ImportError:  # pragma: no cover
        return False
    return isinstance(subject.value, (xr.DataArray, xr.Dataset))


def _render_array(subject: Subject) -> str:
    import xarray as xr

    value = subject.value
    title = f"<b>{html.escape(subject.name)}</b> " if subject.name else ""
    plot = ""
    array = value
    if isinstance(value, xr.Dataset) and len(value.data_vars) >= 1:
        array = value[next(iter(value.data_vars))]
    if isinstance(array, xr.DataArray) and array.size <= 100_000:
        if array.ndim == 1:
            dim = array.dims[0]
            coords = array[dim].values if dim in array.coords else range(array.size)
            try:
                plot = line_chart(list(coords), list(array.values))
            except (TypeError, ValueError):
                plot = line_chart(range(array.size), list(array.values))
        elif array.ndim == 2:
            plot = heatmap(array.values.tolist())
    return f'<div class="flowlab-array"><div>{title}ARRAY</div>{value._repr_html_()}{plot}</div>'


def _is_path(subject: Subject) -> bool:
    return isinstance(subject.value, (str, os.PathLike))


#: schemes a FILE value's URI is linked with; any other (``javascript:``, ``data:``…) is
#: shown as text only: a FILE value may come from a record another writer of the store made
LINKED_SCHEMES = ("http", "https", "file", "s3", "gs", "gcs", "az", "abfs", "abfss", "hdfs")


def file_href(path: str) -> str | None:
    """The link of a FILE value: its URI when its scheme is one of :data:`LINKED_SCHEMES`,
    else None; a local path percent-encoded (relative to the working directory when under
    it), so no part of it can be read as a scheme.

    Example::

        file_href("reports/a b.csv")      # "reports/a%20b.csv"
        file_href("javascript:alert(1)")  # "javascript%3Aalert%281%29" (a relative path)
    """
    if "://" in path:
        scheme = urllib.parse.urlsplit(path).scheme.lower()
        return path.strip() if scheme in LINKED_SCHEMES else None
    absolute = os.path.abspath(path)
    try:
        relative = os.path.relpath(absolute)
    except ValueError:
        relative = absolute
    if relative.startswith(".."):
        return "file://" + urllib.parse.quote(absolute)
    return urllib.parse.quote(relative)


def _render_file(subject: Subject) -> str:
    path = os.fspath(subject.value)
    href = file_href(path)
    size = ""
    if "://" not in path and os.path.exists(path):
        size = f" ({os.path.getsize(path):,} bytes)"
    title = f"<b>{html.escape(subject.name)}</b> " if subject.name else ""
    shown = html.escape(path)
    link = (
        f'<a href="{html.escape(href)}" target="_blank" rel="noopener">{shown}</a>'
        if href is not None
        else f"<code>{shown}</code>"
    )
    return f'<div class="flowlab-file">{title}FILE {link}{size}</div>'


def _is_plain(subject: Subject) -> bool:
    return isinstance(subject.value, (str, bool, list, tuple, dict)) or subject.value is None


def _render_plain(subject: Subject) -> str:
    value = subject.value
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    title = f"<b>{html.escape(subject.name)}</b> " if subject.name else ""
    return f'<div class="flowlab-value">{title}<code>{html.escape(text)}</code></div>'


BUILTIN = [
    Renderer("number", _is_number, _render_number, priority=10),
    # a bool declared INTEGER or DOUBLE still shows as a number
    Renderer("typed-number", _is_typed_number, _render_number, 10, ("DOUBLE", "INTEGER")),
    Renderer("dataset", _is_dataset, _render_dataset, priority=10),
    Renderer("model", _is_model, _render_model, priority=10),
    # a bare estimator declared MODEL
    Renderer("typed-model", _is_present, _render_model, priority=10, types=("MODEL",)),
    Renderer("array", _is_array, _render_array, priority=10),
    Renderer("file", _is_path, _render_file, priority=20, types=("FILE",)),
    Renderer("plain", _is_plain, _render_plain, priority=0),
]

for _renderer in BUILTIN:
    register_renderer(_renderer)
