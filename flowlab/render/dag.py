"""A run's DAG as SVG, coloured by operator state; drawn from the record's ``graph``.

A mapped operator (``op.map``) shows its element count (``square.map ×12``) and how many are
done; an operator on the side of a ``flowlab.branch`` not taken is greyed, dashed.
"""

from __future__ import annotations

import html

from flowlab.core.record.records import OPERATOR_STATES, RUN_STATUSES, cache_of

#: The colour of every operator state and run status (records.OPERATOR_STATES, RUN_STATUSES):
#: the DAG, the badges and counts of the run view, the dashboard and the Jupyter API use it.
STATE_COLOURS = {
    "queued": "#e0e0e0",
    "running": "#9ecae1",
    "succeeded": "#a1d99b",
    "cached": "#c7b9e8",
    "skipped": "#fafafa",
    "failed": "#fc9272",
    "cancelled": "#fdd0a2",
    "pruned": "#fee391",
}
assert set(OPERATOR_STATES) | set(RUN_STATUSES) == set(STATE_COLOURS), "a state has no colour"
#: the legend shows operator states (run statuses are badges)
LEGEND = OPERATOR_STATES
#: a skipped box is greyed and dashed, not only paler
SKIPPED_STROKE = 'stroke="#999" stroke-dasharray="4 3"'

BOX_W, BOX_H, GAP_X, GAP_Y = 170, 34, 50, 16
CHAR_W = 7  # a generous width of one character of the 11 px sans-serif labels
ARROW = 7  # length of an edge's arrowhead


def box_width(labels: list[str]) -> int:
    """Wide enough for the longest label, whole (never cut)."""
    return max(BOX_W, CHAR_W * max((len(label) for label in labels), default=0) + 20)


def layers(nodes: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Each node's column: the length of the longest path reaching it.

    Example::

        layers(["a", "b", "c"], [("a", "b"), ("b", "c")])  # {"a": 0, "b": 1, "c": 2}
    """
    parents: dict[str, list[str]] = {n: [] for n in nodes}
    for parent, child in edges:
        if parent in parents and child in parents:
            parents[child].append(parent)
    depth: dict[str, int] = {}

    def visit(node: str, seen: frozenset = frozenset()) -> int:
        if node not in depth:
            if node in seen:  # a cycle cannot come from a compiled graph; stay finite anyway
                return 0
            depth[node] = 1 + max((visit(p, seen | {node}) for p in parents[node]), default=-1)
        return depth[node]

    for node in nodes:
        visit(node)
    return depth


def record_dag_svg(record: dict) -> str:
    """The DAG of a run record: boxes by operator state, mapped operators' element counts,
    each box's title (its tooltip) saying whether it came from the cache and why not.

    Example::

        record_dag_svg(run.record)
    """
    operators = record.get("operators") or {}
    return dag_svg(
        record.get("graph") or {},
        {k: op.get("state", "queued") for k, op in operators.items()},
        {k: op["elements"] for k, op in operators.items() if op.get("elements")},
        {k: cache_of(op) for k, op in operators.items()},
    )


def cache_text(cache: dict | None) -> str:
    """An operator's cache status in words: ``hit from RUN``, ``miss: input:b, seed``,
    ``off`` (text: a view escapes it).

    Example::

        cache_text({"status": "miss", "from_run": None, "changed": ["code", "code:train"]})
        # "miss: code, code:train"
    """
    if not cache:
        return ""
    status = str(cache.get("status") or "")
    if status == "hit":
        return f"hit from {cache['from_run']}" if cache.get("from_run") else "hit"
    changed = [str(c) for c in cache.get("changed") or []]
    return f"{status}: {', '.join(changed)}" if changed else status


def element_label(node: dict, counts: dict | None) -> str:
    """``square.map ×12`` for a mapped node (the count once known), else the node's id."""
    if not node.get("mapped"):
        return node["id"]
    total = (counts or {}).get("total")
    return f"{node['id']} ×{total}" if total is not None else f"{node['id']} ×n"


def state_label(state: str, counts: dict | None) -> str:
    """``running · 7/12`` for a mapped node with counts (``· 1 failed`` when one did)."""
    if not counts or counts.get("total") is None:
        return state
    text = f"{state} · {counts.get('done', 0)}/{counts['total']}"
    if counts.get("cached"):
        text += f" ({counts['cached']} cached)"
    if counts.get("failed"):
        text += f" · {counts['failed']} failed"
    return text


def dag_svg(
    graph: dict,
    states: dict[str, str] | None = None,
    elements: dict[str, dict] | None = None,
    caches: dict[str, dict] | None = None,
) -> str:
    """SVG of ``graph`` (a run record's ``graph``: ``nodes`` and ``edges``), boxes by state;
    ``elements``: a mapped node's element counts (``total``, ``done``, ``cached``, ``failed``);
    ``caches``: each node's cache status (``records.cache_of``), in its box's title.

    Example::

        dag_svg(run.record["graph"], {k: op["state"] for k, op in run.record["operators"].items()})
    """
    states, elements, caches = states or {}, elements or {}, caches or {}
    nodes = {n["id"]: n for n in graph.get("nodes", [])}
    ids = list(nodes)
    operators = {n: node.get("operator", n) for n, node in nodes.items()}
    labels = {n: element_label(node, elements.get(n)) for n, node in nodes.items()}
    edges = [(e[0], e[1]) for e in graph.get("edges", [])]
    depth = layers(ids, edges)
    box_w = box_width([*labels.values(), *(state_label("succeeded", c) for c in elements.values())])
    columns: dict[int, list[str]] = {}
    for node in ids:
        columns.setdefault(depth[node], []).append(node)
    rows = max((len(c) for c in columns.values()), default=1)
    width = max(1, len(columns)) * (box_w + GAP_X) - GAP_X + 20
    height = rows * (BOX_H + GAP_Y) - GAP_Y + 40
    place = {}
    for column, members in columns.items():
        offset = (rows - len(members)) * (BOX_H + GAP_Y) / 2
        for row, node in enumerate(members):
            place[node] = (10 + column * (box_w + GAP_X), 10 + offset + row * (BOX_H + GAP_Y))
    # arrowheads are drawn, not markers: a marker's id clashes between the many DAGs of one
    # notebook page and is lost when the first one is hidden
    parts = []
    for parent, child in dict.fromkeys(edges):
        if parent not in place or child not in place:
            continue
        (x0, y0), (x1, y1) = place[parent], place[child]
        sx, sy, ex, ey = x0 + box_w, y0 + BOX_H / 2, x1, y1 + BOX_H / 2
        tip = ex - ARROW  # the curve ends where the arrowhead starts, level with the box
        middle = (sx + tip) / 2
        skipped_end = "skipped" in (states.get(parent), states.get(child))
        dashed = ' stroke-dasharray="4 3"' if skipped_end else ""
        parts.append(
            f'<g class="flowlab-edge"><path d="M{sx},{sy} C{middle},{sy} {middle},{ey} '
            f'{tip},{ey}" fill="none" stroke="#888"{dashed}/>'
            f'<path class="flowlab-arrowhead" d="M{tip},{ey - ARROW / 2}L{ex},{ey}'
            f'L{tip},{ey + ARROW / 2}z" fill="#888"/></g>'
        )
    for node in ids:
        x, y = place[node]
        state = states.get(node, "queued")
        counts = elements.get(node)
        label = labels[node]  # the box is as wide as the longest label
        title = f"{node} ({operators[node]}): {state_label(state, counts)}"
        cache = caches.get(node)
        if cache:
            title += f" · cache {cache_text(cache)}"
        skipped = state == "skipped"
        stroke = SKIPPED_STROKE if skipped else 'stroke="#555"'
        ink = ' fill="#999"' if skipped else ""
        mapped = f' data-elements="{html.escape(str(counts.get("total")))}"' if counts else ""
        if cache:
            mapped += f' data-cache="{html.escape(str(cache.get("status")))}"'
        parts.append(
            f'<g class="flowlab-node" data-node="{html.escape(node)}" '
            f'data-state="{html.escape(str(state))}"'
            f"{mapped}><title>{html.escape(title)}</title>"
            f'<rect x="{x}" y="{y}" width="{box_w}" height="{BOX_H}" rx="6" '
            f'fill="{STATE_COLOURS.get(state, "#eee")}" {stroke}/>'
            f'<text x="{x + box_w / 2}" y="{y + 15}" text-anchor="middle"{ink}>'
            f"{html.escape(label)}</text>"
            f'<text x="{x + box_w / 2}" y="{y + 28}" text-anchor="middle" '
            f'fill="{"#999" if skipped else "#444"}" font-size="10">'
            f"{html.escape(state_label(state, counts))}</text></g>"
        )
    legend_y = height - 12
    for i, state in enumerate(LEGEND):
        stroke = SKIPPED_STROKE if state == "skipped" else 'stroke="#555"'
        parts.append(
            f'<rect x="{10 + i * 80}" y="{legend_y - 9}" width="10" height="10" '
            f'fill="{STATE_COLOURS[state]}" {stroke}/><text x="{24 + i * 80}" y="{legend_y}" '
            f'font-size="10">{state}</text>'
        )
    width = max(width, 10 + len(LEGEND) * 80)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="flowlab-dag" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" '
        f'font-size="11">{"".join(parts)}</svg>'
    )
