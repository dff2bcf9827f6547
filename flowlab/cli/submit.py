"""``flowlab submit | rerun | resume | workflows``: start runs from the shell (like sbatch)."""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import click

from flowlab.cli.output import emit_json, fail, table, usage


def _load(target: str):
    from flowlab.cli.targets import TargetError, load_workflow

    try:
        return load_workflow(target)
    except TargetError as exc:
        usage(str(exc))


def _absolute(target: str) -> str:
    module, _, name = target.rpartition(":")
    if module.endswith(".py") or "/" in module:
        return f"{Path(module).expanduser().absolute()}:{name}"
    return target


def _pairs(items, flag):
    from flowlab.cli.submission import InputError, split_assignment

    try:
        return [split_assignment(text, flag) for text in items]
    except InputError as exc:
        usage(str(exc))


def _submit(spec: dict, workflow, base, wait: bool, as_json: bool) -> None:
    from flowlab.cli.submission import InputError, follow_unkept, forms_for, start_launcher

    try:  # checked here first, so a bad value never starts a launcher
        if not spec.get("resume"):
            forms_for(workflow, spec["inputs"], spec["arrays"], spec.get("seed"), base=base)
        runs = start_launcher({**spec, "sys_path": [os.getcwd(), *sys.path]})
    except (InputError, KeyError) as exc:
        usage(str(exc).strip('"'))
    except Exception as exc:
        fail(str(exc))
    one = len(runs) == 1 and not spec["arrays"]
    if as_json and not wait:
        if one:  # the contract's {id, status}
            emit_json({"id": runs[0]["id"], "status": runs[0]["status"]})
        else:
            emit_json(runs)
    elif not as_json:
        for run in runs:
            click.echo(run["id"])
    if spec["arrays"] and runs and runs[0].get("parent"):  # the runs of an --array: a sweep
        click.echo(f"sweep {runs[0]['parent']} of {len(runs)} runs", err=True)
    follow_unkept()
    if wait:
        from flowlab.cli.runs import run_summary

        ended = [_wait(run["id"]) for run in runs]
        if as_json:  # the final records, as `flowlab show --json` summarises them
            summaries = [run_summary(record) for record in ended]
            emit_json(summaries[0] if one else summaries)
        else:
            for record in ended:
                click.echo(ended_line(record), err=True)
        sys.exit(0 if all(r["status"] == "succeeded" for r in ended) else 1)


def _wait(run_id: str) -> dict:
    from flowlab.core.runs.run import get_run

    run = get_run(run_id)
    while not run.done:
        time.sleep(0.3)
    return run.record


def ended_line(record: dict) -> str:
    """One line for a run that ended: its id and status, then its scalar outputs, or what
    failed (the operator and its error).

    Example::

        ended_line(record)   # "20250101-120000-ab12cd succeeded: total=3 count=3"
        ended_line(record)   # "… failed: operator 'explode' failed: ValueError: cannot take 1"
    """
    from flowlab.cli.runs import run_summary

    summary = run_summary(record)
    line = f"{summary['id']} {summary['status']}"
    error = record.get("error") or {}
    if summary["status"] != "succeeded" and error.get("message"):
        message = " ".join(str(error["message"]).split())
        operator = error.get("operator")
        if operator and f"'{operator}'" not in message:
            message = f"operator '{operator}': {message}"
        return f"{line}: {message}"
    if summary["outputs"]:
        return f"{line}: " + " ".join(f"{k}={v}" for k, v in summary["outputs"].items())
    return line


_input = click.option(
    "--input",
    "-i",
    "inputs",
    multiple=True,
    metavar="NAME=VALUE",
    help="A workflow input, as text its type reads (lists a,b,c; booleans true/false; "
    "datasets by catalog name, path or URI). Repeat for each input.",
)
_wait_opt = click.option(
    "--wait",
    is_flag=True,
    help="Wait; print the final status with the scalar outputs or what failed; exit 0 if it "
    "succeeded, 1 if not.",
)
_json = click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print JSON: {id, status}; with --wait, the final record (as show --json).",
)


@click.command()
@click.argument("target")
@_input
@click.option(
    "--array",
    "arrays",
    multiple=True,
    metavar="NAME=V1,V2,…",
    help="One run per value (like a Slurm job array); several --array give every combination.",
)
@click.option("--tag", "tags", multiple=True, help="Tag the run (repeatable).")
@click.option("--seed", type=int, default=None, help="The run's seed (default: the workflow's).")
@_wait_opt
@_json
def submit(target, inputs, arrays, tags, seed, wait, as_json):
    """Submit TARGET (module:workflow or path/to/file.py:workflow); print the run id.

    \b
    flowlab submit mypkg.flows:iris --input max_depth=8 --tag try
    flowlab submit flows.py:iris --array max_depth=2,4,8 --wait
    """
    target = _absolute(target)
    spec = {  # the flags first: a bad one is refused without importing the target
        "target": target,
        "inputs": _pairs(inputs, "--input"),
        "arrays": _pairs(arrays, "--array"),
        "tags": list(tags),
        "seed": seed,
    }
    workflow = _load(target)
    _submit(spec, workflow, None, wait, as_json)


def _run_and_workflow(run_id: str, target: str | None):
    from flowlab.core.runs.run import get_run

    try:
        run = get_run(run_id)
    except KeyError:
        fail(f"no run with id {run_id!r} in the store", 2)
    target = target or run.record.get("target")
    if not target:
        usage(
            f"run {run_id} was launched from Python, so its workflow's module is unknown "
            "here: give it with --target module:workflow"
        )
    return run, target, _load(target)


_target = click.option(
    "--target", default=None, help="module:workflow (default: where the run was submitted from)."
)


@click.command()
@click.argument("run_id", metavar="RUN")
@_input
@_target
@click.option("--seed", type=int, default=None, help="A new seed (default: the run's).")
@_wait_opt
@_json
def rerun(run_id, inputs, target, seed, wait, as_json):
    """Launch RUN again with the same inputs and seed, but for the --input changes."""
    run, target, workflow = _run_and_workflow(run_id, target)
    spec = {
        "target": target,
        "inputs": _pairs(inputs, "--input"),
        "arrays": [],
        "seed": seed,
        "rerun": run.id,
    }
    _submit(spec, workflow, run, wait, as_json)


@click.command()
@click.argument("run_id", metavar="RUN")
@_target
@_wait_opt
@_json
def resume(run_id, target, wait, as_json):
    """Run again what failed or never ran in RUN; what succeeded is reused."""
    run, target, workflow = _run_and_workflow(run_id, target)
    if not run.done:
        fail(f"run {run_id} is still {run.status}; resume it once it has ended")
    spec = {"target": target, "inputs": [], "arrays": [], "resume": run.id}
    _submit(spec, workflow, run, wait, as_json)


@click.command()
@click.argument("modules", nargs=-1, metavar="[MODULE_OR_FILE]...")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def workflows(modules, as_json):
    """What can be submitted: each workflow with its inputs' types and defaults.

    Lists the workflows of the modules or files given (default: flowlab.library.workflows).
    """
    from flowlab.cli.targets import TargetError, workflows_in

    found = []
    for module in modules or ("flowlab.library.workflows",):
        try:
            defined = workflows_in(_absolute(f"{module}:").rpartition(":")[0])
        except TargetError as exc:
            usage(str(exc))
        for name, wf in defined.items():
            found.append(
                {
                    "target": f"{module}:{name}",
                    "name": name,
                    "description": first_paragraph(wf.description or ""),
                    "inputs": _describe_inputs(wf),
                }
            )
    if as_json:
        emit_json(found)
        return
    for wf in found:
        click.echo(f"{wf['target']}  {wf['description']}")
        rows = [
            {"input": k, **v, "choices": v["choices"] if v["type"] == "ENUM" else None}
            for k, v in wf["inputs"].items()
        ]
        chosen = ["choices"] if any(r["choices"] for r in rows) else []
        table(rows, ["input", "type", "required", "default", *chosen])
        click.echo("")


def first_paragraph(doc: str) -> str:
    """A docstring's first paragraph on one line, reStructuredText markup dropped.

    Example::

        first_paragraph("Train ``algorithm`` on\nthe data.\n\nMore.")   # 'Train algorithm on the data.'
    """
    paragraph = doc.strip().split("\n\n")[0]
    text = " ".join(paragraph.split())
    text = re.sub(r":[\w:.-]+:`~?([^`]*)`", r"\1", text)  # :func:`~a.b` -> a.b
    return re.sub(r"`{1,2}([^`]*)`{1,2}_?", r"\1", text)  # ``x``, `x`, `x`_ -> x


def _describe_inputs(workflow) -> dict:
    from flowlab.forms import FormModel, text_of

    form = FormModel(workflow)
    return {
        name: {
            "type": field.type.name,
            "required": field.required,
            "default": text_of(field.default) if field.default is not None else None,
            "choices": field.choices,
            "schema": field.type.json_schema() if hasattr(field.type, "json_schema") else None,
        }
        for name, field in form.fields.items()
    }
