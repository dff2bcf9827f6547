"""What the REST API answers, as plain JSON-ready data, built from flowlab's public API only.

The handlers (``handlers.py``) only translate these into HTTP; the tests call both.
"""

from __future__ import annotations

import html
import re

from flowlab.core.record.records import (
    OPERATOR_STATES,
    RUN_STATUSES,
    TERMINAL_OPERATOR,
    TERMINAL_RUN,
    cache_of,
)
from flowlab.core.runs.run import get_run
from flowlab.errors import FlowlabError
from flowlab.render import STATE_COLOURS, record_dag_svg, render_html
from flowlab.store.config import current_user
from flowlab.store.records import json_summary as summary
from flowlab.store.records import jsonable as _jsonable
from flowlab.store.search import of_user, runs, searches

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
#: The longest run id looked up: the SQL stores' id column holds 64 characters, and flowlab's
#: own ids (``new_run_id``: ``20261123-194501-a1b2c3``) have 22.
MAX_RUN_ID_LENGTH = 64
#: What a run id may hold: letters, digits, ``.``, ``_`` and ``-``, not starting with ``.``
#: (flowlab's ids, and the plain names tests and imports use, like ``r1``). Checked before
#: the store is asked, which would otherwise make a file name of it (the TinyDB store).
RUN_ID_PATTERN = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")


class InvalidRunId(FlowlabError, ValueError):
    """A run id that no run can have: too long, or holding other characters than
    :data:`RUN_ID_PATTERN` allows."""


def check_run_id(run_id: str) -> str:
    """``run_id`` when it has the shape of a run id; else :class:`InvalidRunId` saying why.

    Example::

        check_run_id("20261123-194501-a1b2c3")   # returned as is
        check_run_id("x" * 100)                  # InvalidRunId: run id: 100 characters; …
    """
    example = "like 20261123-194501-a1b2c3"
    if len(run_id) > MAX_RUN_ID_LENGTH:
        raise InvalidRunId(
            f"run id: {len(run_id)} characters ({run_id[:20]!r}…); a run id has at most "
            f"{MAX_RUN_ID_LENGTH}, {example}"
        )
    if not RUN_ID_PATTERN.fullmatch(run_id):
        raise InvalidRunId(
            f"run id {run_id!r}: use only letters, digits, '.', '_' and '-' (not '.' first), "
            f"{example}"
        )
    return run_id


def run_summaries(query: str = "", limit: int = DEFAULT_LIMIT, user: str = "") -> list[dict]:
    """The runs ``query`` finds (newest first unless the query orders them), at most ``limit``;
    only those ``user`` launched when given (the sidebar's *mine*: the user of :func:`me`).

    A malformed query raises the store's ``QueryError`` (a ``ValueError`` naming the column).

    Example::

        run_summaries('workflow = "iris"', limit=5)[0]["outputs"]["logloss"]
        run_summaries('status = "failed"', user=me()["user"])
    """
    narrowed = of_user(query, user) if user else query
    found = runs(narrowed, limit=max(1, min(int(limit), MAX_LIMIT)))
    return [summary(run.record) for run in found]


def me() -> dict:
    """``{"user": …}``: who this server runs as (``FLOWLAB_USER``, else its login), so who
    the runs launched from its notebooks are recorded as.

    Example::

        me()   # {"user": "ada"}
    """
    return {"user": current_user()}


def run_detail(run_id: str) -> dict:
    """One run: its summary, inputs, outputs, operators (states, times, logs), graph and
    ``html`` (its outputs rendered by flowlab's renderers, as the notebook shows them).

    Raises :class:`InvalidRunId` (a ``ValueError``) for an id no run can have (see
    :func:`check_run_id`), ``KeyError`` (flowlab's ``RunNotFound``) for an unknown id.
    """
    run = get_run(check_run_id(run_id))
    record = run.record
    detail = summary(record)
    detail["inputs"] = _jsonable(record.get("inputs") or {})
    detail["outputs"] = _jsonable(record.get("outputs") or {})
    detail["operators"] = {
        name: {
            key: _jsonable(op.get(key))
            for key in ("state", "worker", "started", "ended", "duration", "logs", "traceback")
        }
        | {"cache": _jsonable(cache_of(op))}  # hit / miss / off, and what changed
        for name, op in (record.get("operators") or {}).items()
    }
    detail["error"] = _jsonable(record.get("error"))
    detail["notes"] = [str(n) for n in record.get("notes") or []]
    detail["version"] = record.get("version")
    detail["dag"] = record_dag_svg(record)
    detail["html"] = outputs_html(run)
    detail["state_colours"] = dict(STATE_COLOURS)
    # the run tab polls until this is true: the frontend keeps no list of its own
    detail["finished"] = record.get("status") in TERMINAL_RUN
    return detail


def states() -> dict:
    """Every run status and operator state, which of them are final, and their colours
    (``flowlab.core.record.records`` and ``flowlab.render.STATE_COLOURS``): the extension's badges and
    polling read them here instead of keeping a copy.

    Example::

        states()["terminal_run"]   # ['succeeded', 'failed', 'cancelled', 'pruned']
    """
    return {
        "run_statuses": list(RUN_STATUSES),
        "operator_states": list(OPERATOR_STATES),
        "terminal_run": list(TERMINAL_RUN),
        "terminal_operator": list(TERMINAL_OPERATOR),
        "colours": dict(STATE_COLOURS),
    }


def outputs_html(run) -> str:
    """The run's outputs rendered by type; an unreadable output is shown with its error."""
    if run.record.get("status") != "succeeded" and not run.record.get("outputs"):
        return ""
    returns = (run.record.get("graph") or {}).get("returns") or {}
    parts = []
    try:
        outputs = run.outputs
        names = list(outputs)
    except Exception as e:  # an unreadable artifact is shown, not hidden
        return f"<pre class='flowlab-error'>outputs could not be read: {html.escape(str(e))}</pre>"
    for name in names:
        try:
            shown = render_html(outputs[name], returns.get(name) or {}, name=name)
        except Exception as e:
            shown = f"<pre class='flowlab-error'>{html.escape(name)}: {html.escape(str(e))}</pre>"
        parts.append(f'<div class="flowlab-output" data-output="{html.escape(name)}">{shown}</div>')
    return "<div class='flowlab-outputs'>" + "".join(parts) + "</div>"


def saved_searches() -> list[dict]:
    """The saved searches: name, query, order_by, limit."""
    return [
        {key: entry.get(key) for key in ("name", "query", "order_by", "limit")}
        for entry in searches.list()
    ]


def workflows() -> list[dict]:
    """Every workflow that can be launched with this store: the workflow catalog's (launched
    or registered in any process — a notebook kernel, a script, the CLI), the library's and
    the server's own. Each has its inputs' JSON Schema as one object (``input_schema``),
    ``rebuildable`` (whether this server can rebuild it to launch it) and, when not, the
    ``reason``.

    Example::

        [(w["name"], w["rebuildable"]) for w in workflows()]   # [('classification', True), …]
    """
    import flowlab.library.workflows  # noqa: F401  (registers the predefined workflows)
    from flowlab.core.runs.workflow_catalog import workflow_catalog

    listed = []
    for entry in workflow_catalog():
        listed.append(
            {
                "name": entry["name"],
                "description": entry.get("description") or "",
                "input_schema": _object_schema(entry.get("inputs") or {}),
                "target": entry.get("target"),
                "recorded": entry.get("recorded"),
                "rebuildable": bool(entry.get("rebuildable")),
                "reason": entry.get("reason"),
            }
        )
    return listed


def _object_schema(inputs: dict[str, dict]) -> dict:
    """The JSON Schema of an object whose fields have these schemas (as ``Schema.json_schema``
    makes it), from a catalog entry's per-input schemas."""
    from flowlab.types import Schema, from_json

    try:
        return Schema(**{name: from_json(schema) for name, schema in inputs.items()}).json_schema()
    except Exception:  # noqa: BLE001 - a type only the defining kernel knows: keep its schema
        required = [
            name
            for name, schema in inputs.items()
            if "default" not in schema and not schema.get("x-optional")
        ]
        return {"type": "object", "properties": dict(inputs), "required": required}
