"""SVG charts for sweeps and studies: a metric against one input with the best marked, a
labelled heatmap, parallel coordinates, an optimisation history. No plotting library."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from flowlab.render.svg import is_finite, svg_document

BLUE, BEST, GREY = "#4c78a8", "#e45756", "#999"


def value_label(value) -> str:
    """A value as a chart's axis or cell shows it (escaped)."""
    if isinstance(value, float):
        return f"{value:.3g}"
    return html.escape(str(value))


def metric_line(
    name: str, xs: Sequence, ys: Sequence[float], best: int | None, width=360, height=170
) -> str:
    """``ys`` (one metric) against an input's values ``xs``; the best point ringed in red.

    Example::

        metric_line("loss", [2, 4, 8], [0.5, 0.3, 0.4], best=1)
    """
    pad_l, pad, n = 46, 28, len(xs)
    finite = [float(y) for y in ys if is_finite(y)]
    if not finite:
        return svg_document(
            width, 40, f'<text x="4" y="20">{html.escape(name)}: no values yet</text>'
        )
    numeric = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in xs)
    if numeric and n > 1:
        x0, x1 = float(min(xs)), float(max(xs))
        pos = [pad_l + (float(x) - x0) / ((x1 - x0) or 1) * (width - pad_l - pad) for x in xs]
    else:
        pos = [pad_l + (i + 0.5) / n * (width - pad_l - pad) for i in range(n)]
    y0, y1 = min(finite), max(finite)

    def sy(v):
        return height - pad - (float(v) - y0) / ((y1 - y0) or 1) * (height - 2 * pad)

    points = [(p, sy(y)) for p, y in zip(pos, ys, strict=True) if is_finite(y)]
    body = [
        f'<text x="{pad_l}" y="14" font-weight="bold">{html.escape(name)}</text>',
        f'<line x1="{pad_l}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
        f'stroke="{GREY}"/>',
        f'<text x="{pad_l - 4}" y="{height - pad}" text-anchor="end">{y0:.3g}</text>',
        f'<text x="{pad_l - 4}" y="{pad + 4}" text-anchor="end">{y1:.3g}</text>',
        '<polyline fill="none" stroke="{}" stroke-width="1.5" points="{}"/>'.format(
            BLUE, " ".join(f"{a:.1f},{b:.1f}" for a, b in points)
        ),
    ]
    for i, (p, y) in enumerate(zip(pos, ys, strict=True)):
        body.append(
            f'<text x="{p:.1f}" y="{height - 10}" text-anchor="middle">{value_label(xs[i])}</text>'
        )
        if is_finite(y):
            body.append(f'<circle cx="{p:.1f}" cy="{sy(y):.1f}" r="3" fill="{BLUE}"/>')
        else:
            body.append(
                f'<text x="{p:.1f}" y="{height - pad - 4}" text-anchor="middle" '
                f'fill="{BEST}">✕</text>'
            )
    if best is not None and is_finite(ys[best]):
        body.append(
            f'<circle class="flowlab-best" cx="{pos[best]:.1f}" cy="{sy(ys[best]):.1f}" r="7" '
            f'fill="none" stroke="{BEST}" stroke-width="2"><title>best: {ys[best]:.4g}</title>'
            "</circle>"
        )
    return svg_document(width, height, "".join(body))


#: how a cell with no value yet reads: a run still to come is not a failure
PENDING_FILL, FAILED_FILL = "#f4f4f4", "#f3d6d6"


def labelled_heatmap(
    name: str,
    rows: Sequence,
    cols: Sequence,
    values,
    best: tuple | None,
    cell=46,
    states: Sequence[Sequence[str]] | None = None,
) -> str:
    """``values[i][j]`` for row input value ``rows[i]`` and column value ``cols[j]``; each cell
    printed, failed cells marked ✕ on pink, cells whose run has not ended (``states``: each
    cell's run status) marked … on grey, the best outlined in red."""
    left, top = 56, 34
    flat = [float(v) for r in values for v in r if is_finite(v)]
    low, high = (min(flat), max(flat)) if flat else (0.0, 1.0)
    parts = [f'<text x="{left}" y="14" font-weight="bold">{html.escape(name)}</text>']
    for j, c in enumerate(cols):
        parts.append(
            f'<text x="{left + j * cell + cell / 2}" y="{top - 6}" text-anchor="middle">'
            f"{value_label(c)}</text>"
        )
    for i, r in enumerate(rows):
        y = top + i * cell
        parts.append(
            f'<text x="{left - 6}" y="{y + cell / 2 + 4}" text-anchor="end">{value_label(r)}</text>'
        )
        for j, v in enumerate(values[i]):
            x = left + j * cell
            if is_finite(v):
                share = (float(v) - low) / ((high - low) or 1)
                shade = int(235 - 175 * share)
                fill, text = f"rgb({shade},{shade},255)", f"{float(v):.3g}"
            elif states is not None and states[i][j] in ("queued", "running"):
                fill, text = PENDING_FILL, "…"
            else:
                fill, text = FAILED_FILL, "✕"
            colour = "#fff" if is_finite(v) and share > 0.6 else "#222"
            state = states[i][j] if states is not None else ""
            parts.append(
                f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="{fill}" '
                f'stroke="#fff" data-state="{html.escape(str(state))}"><title>'
                f"{html.escape(str(state) or text)}</title></rect>"
                f'<text x="{x + cell / 2}" y="{y + cell / 2 + 4}" '
                f'text-anchor="middle" fill="{colour}">{text}</text>'
            )
    if best is not None:
        i, j = best
        parts.append(
            f'<rect class="flowlab-best" x="{left + j * cell + 1}" y="{top + i * cell + 1}" '
            f'width="{cell - 2}" height="{cell - 2}" fill="none" stroke="{BEST}" '
            'stroke-width="3"/>'
        )
    width = left + cell * len(cols) + 10
    height = top + cell * len(rows) + 6
    return svg_document(width, height, "".join(parts))


def parallel_coordinates(
    axes: Sequence[str],
    columns: Sequence[Sequence],
    colour_by: Sequence[float],
    width=520,
    height=200,
) -> str:
    """One polyline per trial across an axis per input (and the metric last), coloured by the
    metric (dark: low)."""
    pad, top = 30, 24
    n_axes = len(axes)
    if not n_axes or not columns or not len(columns[0]):
        return ""
    xs = [pad + i * (width - 2 * pad) / max(1, n_axes - 1) for i in range(n_axes)]
    scaled = []
    for column in columns:
        numeric = all(is_finite(v) for v in column if v is not None and v == v) and all(
            not isinstance(v, str) for v in column
        )
        if numeric:
            vals = [float(v) for v in column if is_finite(v)]
            lo, hi = (min(vals), max(vals)) if vals else (0.0, 1.0)
            scaled.append(
                [None if not is_finite(v) else (float(v) - lo) / ((hi - lo) or 1) for v in column]
            )
        else:
            levels = sorted({str(v) for v in column})
            scaled.append([levels.index(str(v)) / max(1, len(levels) - 1) for v in column])
    finite = [float(v) for v in colour_by if is_finite(v)]
    lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
    lines = []
    for t in range(len(columns[0])):
        pts = [
            (xs[a], top + (1 - scaled[a][t]) * (height - top - pad))
            for a in range(n_axes)
            if scaled[a][t] is not None
        ]
        share = (float(colour_by[t]) - lo) / ((hi - lo) or 1) if is_finite(colour_by[t]) else None
        colour = "#ccc" if share is None else f"hsl({int(220 - 200 * share)},70%,45%)"
        lines.append(
            '<polyline fill="none" stroke="{}" stroke-opacity="0.7" points="{}"/>'.format(
                colour, " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
            )
        )
    axes_svg = "".join(
        f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{height - pad}" stroke="#555"/>'
        f'<text x="{x:.1f}" y="{top - 8}" text-anchor="middle">{html.escape(a)}</text>'
        + _axis_ticks(x, column, top, height - pad)
        for x, a, column in zip(xs, axes, columns, strict=True)
    )
    return svg_document(width, height, "".join(lines) + axes_svg)


def _axis_ticks(x: float, column: Sequence, top: float, bottom: float) -> str:
    """An axis's scale: its lowest and highest value (numbers) or each level (text)."""
    numeric = [float(v) for v in column if is_finite(v) and not isinstance(v, str)]
    if numeric and len(numeric) == len([v for v in column if v is not None and v == v]):
        lo, hi = min(numeric), max(numeric)
        marks = [(bottom, lo), (top, hi)] if hi != lo else [((top + bottom) / 2, lo)]
        labels = [(y, f"{v:.3g}") for y, v in marks]
    else:
        levels = sorted({str(v) for v in column})
        step = (bottom - top) / max(1, len(levels) - 1)
        labels = [(bottom - i * step, level) for i, level in enumerate(levels[:8])]
    return "".join(
        f'<line class="flowlab-tick" x1="{x - 3:.1f}" y1="{y:.1f}" x2="{x + 3:.1f}" '
        f'y2="{y:.1f}" stroke="#555"/><text x="{x + 5:.1f}" y="{y + 3:.1f}" '
        f'font-size="9" fill="#555">{html.escape(label)}</text>'
        for y, label in labels
    )


def history(values: Sequence[float], direction: str, width=360, height=170) -> str:
    """Each trial's objective (dots) and the best so far (a red step line)."""
    pad_l, pad = 46, 26
    finite = [(i, float(v)) for i, v in enumerate(values) if is_finite(v)]
    if not finite:
        return svg_document(
            width, 40, '<text x="4" y="20">optimisation history: no value yet</text>'
        )
    y0, y1 = min(v for _, v in finite), max(v for _, v in finite)
    n = max(1, len(values) - 1)

    def sx(i):
        return pad_l + i / n * (width - pad_l - pad)

    def sy(v):
        return height - pad - (v - y0) / ((y1 - y0) or 1) * (height - 2 * pad)

    dots = "".join(
        f'<circle cx="{sx(i):.1f}" cy="{sy(v):.1f}" r="3" fill="{BLUE}"/>' for i, v in finite
    )
    best, steps = None, []
    for i, v in finite:
        better = best is None or (v < best if direction == "minimize" else v > best)
        best = v if better else best
        steps.append(f"{sx(i):.1f},{sy(best):.1f}")
    return svg_document(
        width,
        height,
        '<text x="46" y="14" font-weight="bold">optimisation history</text>'
        f'<polyline fill="none" stroke="{BEST}" stroke-width="1.5" points="{" ".join(steps)}"/>'
        f"{dots}"
        f'<text x="{pad_l - 4}" y="{height - pad}" text-anchor="end">{y0:.3g}</text>'
        f'<text x="{pad_l - 4}" y="{pad + 4}" text-anchor="end">{y1:.3g}</text>'
        f'<text x="{pad_l}" y="{height - 8}">trial 0</text>'
        f'<text x="{width - pad}" y="{height - 8}" text-anchor="end">{len(values) - 1}</text>',
    )


def finite(value) -> bool:
    return is_finite(value) and not math.isnan(float(value))
