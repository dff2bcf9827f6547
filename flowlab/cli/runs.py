"""``flowlab queue | runs | show | logs | cancel``: the runs in the store (squeue, sacct, scancel)."""

from __future__ import annotations

import sys
import time

import click

from flowlab.cli.output import emit_json, fail, refused_writes_fail, shown_input, table, usage

_json = click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
_mine = click.option(
    "--mine",
    is_flag=True,
    help='Only the runs you launched (user = "$FLOWLAB_USER", else your login).',
)


def run_summary(record: dict) -> dict:
    """What scripts read of a run: id, workflow, status, inputs, scalar outputs, tags, times."""
    outputs = {
        k: v
        for k, v in (record.get("outputs") or {}).items()
        if isinstance(v, int | float | str | bool) or v is None
    }
    ops = record.get("operators") or {}
    return {
        "id": record["id"],
        "workflow": record.get("workflow"),
        "status": record.get("status"),
        # every input: a DATASET by catalog name or URI, an artifact by type and hash
        "inputs": {k: shown_input(v) for k, v in (record.get("inputs") or {}).items()},
        "outputs": outputs,
        "tags": list(record.get("tags") or []),
        "user": record.get("user"),
        "created": record.get("created"),
        "ended": record.get("ended"),
        "parent": record.get("parent"),
        "operators_done": sum(op.get("state") in ("succeeded", "cached") for op in ops.values()),
        "operators_total": len(ops),
        "error": (record.get("error") or {}).get("message"),
    }


def _get(run_id: str):
    from flowlab.core.run import get_run

    try:
        return get_run(run_id)
    except KeyError:
        fail(f"no run with id {run_id!r} in the store", 2)


@click.command()
@click.option("--all", "everything", is_flag=True, help="Also list runs that have ended.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1))
@_mine
@_json
@refused_writes_fail
def queue(everything, limit, mine, as_json):
    """Queued and running runs, with operators done/total and who launched them (like squeue)."""
    from flowlab.store.search import runs as search

    query = "" if everything else 'status = "queued" or status = "running"'
    found = [run_summary(r.refresh().record) for r in search(_narrowed(query, mine), limit=limit)]
    if not everything:  # a run whose launcher died is recorded failed by refresh()
        found = [r for r in found if r["status"] in ("queued", "running")]
    if as_json:
        emit_json(found)
        return
    for r in found:
        r["done"] = f"{r['operators_done']}/{r['operators_total']}"
    table(found, ["id", "workflow", "status", "user", "done", "created", "tags"])


def _narrowed(query: str, mine: bool):
    """``query`` as it is, or (``--mine``) narrowed to this user's runs."""
    if not mine:
        return query
    from flowlab.store.config import current_user
    from flowlab.store.search import of_user

    return of_user(query, current_user())


@click.command()
@click.argument("query", default="")
@click.option("--order-by", default=None, help='A field, "-" first for descending.')
@click.option("--limit", default=None, type=int, help="At most this many runs.")
@_mine
@_json
@refused_writes_fail
def runs(query, order_by, limit, mine, as_json):
    """Runs matching QUERY (the flowlab query language, like sacct).

    \b
    flowlab runs 'workflow = "iris" and outputs.logloss < 0.3' --limit 20
    flowlab runs --mine 'status = "failed"'
    """
    from flowlab.errors import FlowlabError
    from flowlab.store.leases import LIVE
    from flowlab.store.search import runs as search

    try:
        found = search(_narrowed(query, mine), order_by=order_by, limit=limit)
    except (FlowlabError, ValueError) as exc:
        usage(f"query {query!r}: {exc}")
    # a live run is read again (Run.refresh): one whose tracker died reads failed, as the
    # search that found it did, not as the record its tracker last wrote
    rows = [run_summary((r.refresh() if r.record["status"] in LIVE else r).record) for r in found]
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        r["outputs"] = {k: v for k, v in r["outputs"].items()}
    table(rows, ["id", "workflow", "status", "user", "created", "outputs", "tags"])


@click.command()
@click.argument("run_id", metavar="RUN")
@_json
@refused_writes_fail
def show(run_id, as_json):
    """One run: status, inputs, outputs and every operator's state, workers and cache status
    (``hit from RUN``, ``miss: WHAT CHANGED``, ``off``).

    A sweep (``flowlab submit --array``, ``Workflow.sweep``) also shows its children (id,
    swept inputs, status, scalar outputs) and how many are in each status.
    """
    from flowlab.core.record.records import cache_of
    from flowlab.render.dag import cache_text

    record = _get(run_id).record
    shown = run_summary(record)
    shown["operators"] = {
        node: {
            k: op.get(k)
            for k in (
                "state",
                "worker",
                "started",
                "ended",
                "duration",
                "attempts",
                # one worker address per execution, and how many came after it had succeeded
                # (its result lost with its worker, computed again)
                "workers",
                "recomputed",
                "error",
                "cached_from",
            )
        }
        # hit / miss / off, the run a hit came from, what changed for a miss
        | {"cache": cache_of(op)}
        for node, op in record["operators"].items()
    }
    if record.get("kind") == "sweep":
        shown.update(_sweep_children(run_id))
    elif record.get("kind") == "study":  # its trials: the runs it is the parent of
        from flowlab.store.search import runs as search
        from flowlab.sweeps.results import status_counts

        trials = search(f'parent = "{run_id}"', order_by="created", descending=False)
        rows = []
        for child in trials.ids:
            summary = run_summary(trials.store.get_run(child))
            rows.append({k: summary[k] for k in ("id", "inputs", "status", "outputs")})
        shown["children"], shown["counts"] = rows, status_counts(rows)
    if as_json:
        emit_json(shown)
        return
    for key in ("id", "workflow", "status", "user", "created", "ended", "parent", "tags", "error"):
        if shown.get(key):
            click.echo(f"{key:9} {shown[key]}")
    for part in ("inputs", "outputs"):
        if shown[part]:
            click.echo(f"{part}:")
            for k, v in shown[part].items():
                click.echo(f"  {k} = {v}")
    if "children" in shown:
        _print_children(shown["children"], shown["counts"])
        return
    click.echo("operators:")
    table(
        [
            {"operator": n, **op, "cache": cache_text(op["cache"])}
            for n, op in shown["operators"].items()
        ],
        ["operator", "state", "cache", "worker", "duration", "attempts", "error"],
    )


def _sweep_children(sweep_id: str) -> dict:
    """``children`` (one row per configuration) and ``counts`` (children per status)."""
    from flowlab.sweeps import open_sweep
    from flowlab.sweeps.results import child_rows, status_counts

    rows = child_rows(open_sweep(sweep_id))
    return {"children": rows, "counts": status_counts(rows)}


def _print_children(rows: list[dict], counts: dict[str, int]) -> None:
    """The sweep's children as a table: a column per swept input and per scalar output."""
    summary = ", ".join(f"{n} {status}" for status, n in counts.items()) or "none launched"
    click.echo(f"children: {len(rows)} ({summary})")
    inputs = list(dict.fromkeys(k for row in rows for k in row["inputs"]))
    outputs = list(dict.fromkeys(k for row in rows for k in row["outputs"]))
    # a column per name; an input or output named like another column keeps its own
    taken = {"id", "status"}
    in_cols = {k: f"in.{k}" if k in taken else k for k in inputs}
    out_cols = {k: f"out.{k}" if k in taken or k in inputs else k for k in outputs}
    flat = [
        {
            "id": row["id"],
            "status": row["status"],
            **{in_cols[k]: v for k, v in row["inputs"].items()},
            **{out_cols[k]: v for k, v in row["outputs"].items()},
        }
        for row in rows
    ]
    table(flat, ["id", *in_cols.values(), "status", *out_cols.values()])


@click.command()
@click.argument("run_id", metavar="RUN")
@click.option("--operator", default=None, help="Only this operator's logs.")
@click.option("--follow", "-f", is_flag=True, help="Keep printing until the run ends.")
@refused_writes_fail
def logs(run_id, operator, follow):
    """What the run's operators printed (stdout, stderr, logging), per operator."""
    run = _get(run_id)
    if operator is not None and operator not in run.record["operators"]:
        usage(
            f"run {run_id} has no operator {operator!r}; its operators are "
            f"{', '.join(run.record['operators'])}"
        )
    printed: dict[str, int] = {}
    while True:
        for node, op in run.record["operators"].items():
            if operator is not None and node != operator:
                continue
            text = op.get("logs") or ""
            if op.get("traceback") and op.get("state") == "failed":
                text += ("\n" if text else "") + op["traceback"]
            new = text[printed.get(node, 0) :]
            if new:
                prefix = "" if operator else f"[{node}] "
                for line in new.splitlines():
                    click.echo(prefix + line)
                printed[node] = len(text)
        if not follow:
            return
        if run.done:
            # why the lines stop: the run ended (and how), not a broken follow
            click.echo(_ended_line(run), err=True)
            return
        time.sleep(0.5)
        run.refresh()


def _ended_line(run) -> str:
    """``run RUN cancelled`` / ``failed: …`` / ``succeeded``, as ``logs --follow`` ends."""
    record = run.record
    line = f"run {run.id} {record['status']}"
    error = (record.get("error") or {}).get("message")
    if record["status"] in ("failed", "cancelled") and error:
        line += f": {error}"
    return line


@click.command()
@click.argument("run_id", metavar="RUN")
@click.option("--timeout", default=60.0, show_default=True, help="Seconds to wait for the record.")
@refused_writes_fail
def cancel(run_id, timeout):
    """Cancel RUN: its queued and running operators stop, finished outputs are kept.

    The process tracking the run cancels it (asked through the store, as ``Run.cancel()``
    does from any process); no process is sent a signal."""
    from flowlab.core.records import tracker_alive
    from flowlab.store.transitions import end_operators, run_event

    run = _get(run_id)
    if run.done:
        fail(f"run {run_id} has already ended ({run.status}); nothing to cancel")
    run.cancel()
    deadline = time.monotonic() + timeout
    while not run.refresh().done:
        if not tracker_alive(run.record):
            break
        if time.monotonic() > deadline:
            fail(f"run {run_id} is still {run.status} {timeout:g} s after cancelling")
        time.sleep(0.2)

    def mark(record):  # nobody follows the run any more: say so in its record
        if run_event(record, "cancel"):
            end_operators(record, "cancelled", "cancelled")

    if run.status != "cancelled" and not tracker_alive(run.record):
        run.store.update_run(run.id, mark)
        run.refresh()
    click.echo(f"{run_id} {run.status}")
    sys.exit(0 if run.status == "cancelled" else 1)
