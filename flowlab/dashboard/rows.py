"""One page of the runs table, searched, sorted and paged in the store (no UI toolkit here).

Only the page's summaries are read (``store.search`` with a limit and an offset) and the
total is ``store.count``: at 100k runs the dashboard never holds all of them.

Example::

    page = runs_page('workflow = "iris"', status="failed", user="ada", sort="outputs.logloss", page=2)
    page.total, [row["id"] for row in page.rows]
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from flowlab.render.run import badge, human_time, run_seconds, seconds_text
from flowlab.store.fields import BoolOp
from flowlab.store.query import parse
from flowlab.store.search import make_query

PAGE_SIZE = 50
STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
MAX_OUTPUT_COLUMNS = 6
MAX_INPUT_COLUMNS = 4
#: table columns the store can sort by (besides inputs and outputs)
SORTABLE = ("id", "workflow", "status", "user", "created")


@dataclass
class RunsPage:
    """The rows of one page, the total matching, and the columns the rows fill."""

    rows: list[dict]
    total: int
    page: int
    page_size: int
    columns: list[str] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)
    #: the rows' run ids, in order (the ``id`` cell is a link)
    ids: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def runs_page(
    query: str = "",
    *,
    status: str | None = None,
    tag: str | None = None,
    user: str | None = None,
    sort: str | None = None,
    descending: bool = False,
    page: int = 0,
    page_size: int = PAGE_SIZE,
    store=None,
) -> RunsPage:
    """Page ``page`` (from 0) of the runs ``query`` finds, filtered by ``status``, ``tag`` and
    ``user`` (who launched them: the page's *mine*), sorted by ``sort`` (a query path such as ``outputs.logloss``; the query's own ``order by``
    or newest first when None). A malformed query raises ``QueryError`` naming the column.
    """
    from flowlab.store import get_store

    store = store or get_store()
    parsed = make_query(query, order_by=sort, descending=descending if sort else None)
    extra = []
    if status:
        extra.append(parse(f"status = {_quoted(status)}").where)
    if tag:
        extra.append(parse(f"tags = {_quoted(tag)}").where)
    if user:
        extra.append(parse(f"user = {_quoted(user)}").where)
    if extra:
        items = ([parsed.where] if parsed.where is not None else []) + extra
        parsed.where = items[0] if len(items) == 1 else BoolOp("and", tuple(items))
    # the query's own limit and offset bound what the pages cover
    start, cap = parsed.offset or 0, parsed.limit
    total = max(0, store.count(parsed) - start)
    if cap is not None:
        total = min(total, cap)
    page = max(0, min(int(page), max(0, -(-total // page_size) - 1)))
    parsed.offset = start + page * page_size
    parsed.limit = max(0, min(page_size, total - page * page_size))
    summaries = store.search(parsed) if parsed.limit else []
    columns, titles = _columns(summaries)
    return RunsPage(
        rows=[row_of(s, columns) for s in summaries],
        total=total,
        page=page,
        page_size=page_size,
        columns=columns,
        titles=titles,
        ids=[str(s["id"]) for s in summaries],
    )


def _quoted(text: str) -> str:
    import json

    return json.dumps(text)


def _columns(summaries: list[dict]) -> tuple[list[str], dict[str, str]]:
    """Identity columns, then the outputs and inputs the page's runs have as scalars."""
    outputs: dict[str, None] = {}
    inputs: dict[str, None] = {}
    for s in summaries:
        for name, value in (s.get("outputs") or {}).items():
            if _scalar(value):
                outputs.setdefault(name)
        for name, value in (s.get("inputs") or {}).items():
            if _scalar(value):
                inputs.setdefault(name)
    columns = ["id", "status", "workflow"]
    titles = {"id": "id", "status": "status", "workflow": "workflow"}
    for name in list(outputs)[:MAX_OUTPUT_COLUMNS]:
        columns.append(f"o_{name}")
        titles[f"o_{name}"] = name
    for name in list(inputs)[:MAX_INPUT_COLUMNS]:
        columns.append(f"i_{name}")
        titles[f"i_{name}"] = f"{name} (input)" if name in outputs else name
    columns += ["user", "created", "duration", "tags"]
    titles.update(user="user", created="created", duration="duration", tags="tags")
    return columns, titles


def column_path(column: str) -> str | None:
    """The query path a table column sorts by in the store (None: not sortable there)."""
    if column in SORTABLE:
        return column
    if column.startswith("o_"):
        return "outputs." + column[2:]
    if column.startswith("i_"):
        return "inputs." + column[2:]
    return None


def row_of(summary: dict, columns: list[str]) -> dict[str, Any]:
    """A table row: the id as a link to its page, the status in its colour, human times."""
    run_id = str(summary["id"])
    status = summary.get("status") or "queued"
    row: dict[str, Any] = {
        "id": f"<a href='run?id={html.escape(quote(run_id, safe=''))}' class='flowlab-run-link'>"
        f"{html.escape(run_id)}</a>",
        "status": status_html(status),
        "workflow": summary.get("workflow") or "",
        "user": summary.get("user") or "",
        "created": human_time(summary.get("created")),
        "duration": seconds_text(run_seconds(summary)),
        "tags": ", ".join(summary.get("tags") or []),
    }
    for column in columns:
        if column.startswith(("o_", "i_")):
            part = "outputs" if column.startswith("o_") else "inputs"
            value = (summary.get(part) or {}).get(column[2:])
            row[column] = _shown(value)
    return row


def table_html(page: RunsPage, css_class: str = "flowlab-runs-static") -> str:
    """The page's rows as a plain HTML table: the same columns, titles, id links and status
    colours as the live table (the first paint of ``/runs`` and notebook snapshots use it).

    Example::

        table_html(runs_page('workflow = "iris"'))   # '<table class=...><thead>...'
    """
    head = "".join(f"<th>{html.escape(page.titles[c])}</th>" for c in page.columns)
    body = "".join(
        "<tr class='flowlab-run-row'>"
        + "".join(f"<td>{_cell(row.get(c, ''), c)}</td>" for c in page.columns)
        + "</tr>"
        for row in page.rows
    )
    return f"<table class='{css_class}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def count_text(page: RunsPage) -> str:
    """``runs 1–50 of 100,000 · page 1 of 2,000`` (the line above the table)."""
    first = page.page * page.page_size + 1 if page.rows else 0
    last = first + len(page.rows) - 1 if page.rows else 0
    return f"runs {first}–{last} of {page.total:,} · page {page.page + 1} of {page.pages:,}"


def _cell(value: Any, column: str) -> str:
    # id and status are HTML already (link, badge); every other cell is text
    return str(value) if column in ("id", "status") else html.escape(str(value))


def status_html(status: str) -> str:
    """The status in its colour (the DAG's colours)."""
    return badge(status)


def _scalar(value: Any) -> bool:
    return isinstance(value, (int, float, str, bool))


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
