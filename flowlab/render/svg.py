"""Small inline SVG charts (bars, lines, heatmaps): no plotting library, no JavaScript."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence


def bar_chart(labels: Sequence[str], values: Sequence[float], width: int = 360) -> str:
    """Horizontal bars, one per label, longest first.

    Example::

        bar_chart(["petal_width", "sepal_width"], [0.7, 0.3])
    """
    pairs = sorted(zip(labels, values, strict=True), key=lambda p: -abs(p[1]))
    if not pairs:
        return ""
    row, label_width = 18, min(160, 7 * max(len(str(label)) for label, _ in pairs) + 8)
    top = max(abs(v) for _, v in pairs) or 1.0
    bar_room = width - label_width - 60
    parts = []
    for i, (label, value) in enumerate(pairs):
        y = i * row
        length = max(1.0, bar_room * abs(value) / top)
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 13}" text-anchor="end">'
            f"{html.escape(str(label))}</text>"
            f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="{row - 6}" '
            f'fill="#4c78a8"/>'
            f'<text x="{label_width + length + 4:.1f}" y="{y + 13}">{value:.3g}</text>'
        )
    return svg_document(width, row * len(pairs), "".join(parts))


def line_chart(x: Sequence[float], y: Sequence[float], width: int = 360, height: int = 160) -> str:
    """A polyline of ``y`` against ``x`` with the extremes labelled.

    Example::

        line_chart(range(10), [v * v for v in range(10)])
    """
    points = [
        (float(a), float(b)) for a, b in zip(x, y, strict=True) if is_finite(a) and is_finite(b)
    ]
    if len(points) < 2:
        return ""
    pad = 30
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    sx = (width - 2 * pad) / ((x1 - x0) or 1)
    sy = (height - 2 * pad) / ((y1 - y0) or 1)
    path = " ".join(
        f"{pad + (a - x0) * sx:.1f},{height - pad - (b - y0) * sy:.1f}" for a, b in points
    )
    body = (
        f'<polyline fill="none" stroke="#4c78a8" stroke-width="1.5" points="{path}"/>'
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
        'stroke="#999"/>'
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="#999"/>'
        f'<text x="{pad}" y="{height - 10}">{x0:.3g}</text>'
        f'<text x="{width - pad}" y="{height - 10}" text-anchor="end">{x1:.3g}</text>'
        f'<text x="{pad - 4}" y="{height - pad}" text-anchor="end">{y0:.3g}</text>'
        f'<text x="{pad - 4}" y="{pad + 4}" text-anchor="end">{y1:.3g}</text>'
    )
    return svg_document(width, height, body)


def heatmap(rows: Sequence[Sequence[float]], width: int = 360, height: int = 200) -> str:
    """Cells shaded from light (lowest) to dark (highest).

    Example::

        heatmap([[0, 1], [2, 3]])
    """
    if not rows or not rows[0]:
        return ""
    flat = [float(v) for r in rows for v in r if is_finite(v)]
    if not flat:
        return ""
    low, high = min(flat), max(flat)
    cw, ch = width / len(rows[0]), height / len(rows)
    cells = []
    for i, r in enumerate(rows):
        for j, v in enumerate(r):
            share = (float(v) - low) / ((high - low) or 1) if is_finite(v) else 0
            shade = int(235 - 175 * share)
            cells.append(
                f'<rect x="{j * cw:.1f}" y="{i * ch:.1f}" width="{cw + 0.5:.1f}" '
                f'height="{ch + 0.5:.1f}" fill="rgb({shade},{shade},255)"/>'
            )
    caption = f'<text x="2" y="{height + 14}">min {low:.3g} · max {high:.3g}</text>'
    return svg_document(width, height + 18, "".join(cells) + caption)


def svg_document(width: float, height: float, body: str) -> str:
    """An SVG element of ``width`` × ``height`` around ``body`` (flowlab's charts' frame)."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">{body}</svg>'
    )


def is_finite(value) -> bool:
    """Whether ``value`` is a finite number (text, None, NaN and inf are not)."""
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False
