"""What every command shares: JSON for scripts, tables for humans, exit codes, errors."""

from __future__ import annotations

import errno
import functools
import json
import os
import sys
from typing import Any

import click

#: exit codes scripts rely on: 0 done, 1 failed (a run, or an operation), 2 usage / bad input
FAILED, USAGE = 1, 2

#: why a server cannot listen: the port is taken, the address is not this machine's, or a
#: port below 1024 without the right
LISTEN_ERRORS = (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES)


def emit_json(document: Any) -> None:
    click.echo(json.dumps(document, default=str, indent=2))


def table(rows: list[dict], columns: list[str]) -> None:
    """A plain text table: one header line, one line per row."""
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    click.echo("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    for r in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        return ",".join(map(str, value))
    if isinstance(value, dict):
        return " ".join(f"{k}={_cell(v)}" for k, v in value.items())
    return str(value)


def shown_input(stored: Any) -> Any:
    """A run record's input as a person or a script reads it: a DATASET given by name or URI
    as that name (its catalog name, else its URI without a password), one passed in memory as
    its type, size and hash; lists and dicts item by item; anything else as it is.

    Example::

        shown_input({"$uri": "/data/iris.csv", "catalog": "iris", "hash": "sha256:…"})  # 'iris'
        shown_input({"$artifact": "…", "type": "DATASET", "rows": 150, "columns": ["a"],
                     "hash": "sha256:0123abcd…"})     # 'DATASET 150x1 #0123abcd'
    """
    if isinstance(stored, dict) and "$uri" in stored:
        from flowlab.store.config import redacted

        return stored.get("catalog") or redacted(str(stored["$uri"]))
    if isinstance(stored, dict) and "$artifact" in stored:
        digest = str(stored.get("hash", "")).removeprefix("sha256:")[:8]
        size = f" {stored['rows']}x{len(stored.get('columns') or [])}" if "rows" in stored else ""
        return f"{stored.get('type') or 'artifact'}{size} #{digest}"
    if isinstance(stored, list):
        return [shown_input(v) for v in stored]
    if isinstance(stored, dict):
        return {k: shown_input(v) for k, v in stored.items()}
    return stored


def fail(message: str, code: int = FAILED) -> None:
    """One line on stderr naming what was wrong, then exit with ``code``."""
    click.echo(f"flowlab: {message}", err=True)
    sys.exit(code)


def usage(message: str) -> None:
    fail(message, USAGE)


def refused_writes_fail(command):
    """Decorate a command so that a write its home refuses (a full disk, a read-only or another
    user's FLOWLAB_HOME) is one line naming the directory and exit code 1, not a traceback.

    Example::

        @click.command()
        @refused_writes_fail
        def cancel(run_id): ...   # on a read-only home: "flowlab: /data/.flowlab is read-only …"
    """

    @functools.wraps(command)
    def checked(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except OSError as error:
            # imported here: the store is heavy, and most commands never get here
            from flowlab.store.tinydb_store import write_refused

            where = os.environ.get("FLOWLAB_HOME") or "FLOWLAB_HOME"
            refused = write_refused(error, "the files this command writes", where)
            if refused is None:
                raise
            fail(str(refused))

    return checked
