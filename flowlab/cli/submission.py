"""Turning ``--input NAME=VALUE`` flags into launch forms (flowlab.forms: the one text → value
mapping), and launching them on the cluster that keeps them (or a detached launcher)."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from typing import Any

from flowlab.errors import FlowlabError


class InputError(FlowlabError, ValueError):
    """A ``--input``/``--array`` flag the workflow cannot take (names the input)."""


def split_assignment(text: str, flag: str) -> tuple[str, str]:
    """The name and the value of ``--input NAME=VALUE`` (or ``--array NAME=V1,V2,…``);
    InputError naming the flag and its text when the name or a value is missing (an empty
    value is refused, not read as "the default": leave the flag out for that).

    Example::

        split_assignment("max_depth=8", "--input")    # ('max_depth', '8')
        split_assignment("max_depth=", "--input")     # InputError: --input 'max_depth=': …
    """
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise InputError(f"{flag} {text!r}: expected NAME=VALUE")
    name = name.strip()
    if flag == "--array":
        array_values(name, value, flag)
    elif not value.strip():
        raise InputError(
            f"{flag} {text!r}: no value after '='; give {name}=VALUE, or leave the flag out "
            f"for the default"
        )
    return name, value


def array_values(name: str, values: str, flag: str = "--array") -> list[str]:
    """The values of ``--array NAME=V1,V2,…``; InputError naming the flag and the empty one.

    Example::

        array_values("depth", "2,4,8")    # ['2', '4', '8']
        array_values("depth", "2,,8")     # InputError: --array 'depth=2,,8': value 2 of 3 is empty
    """
    found = values.split(",")
    if not values.strip():
        raise InputError(f"{flag} {name + '=' + values!r}: no values; give {name}=V1,V2,…")
    empty = [i for i, v in enumerate(found, 1) if not v.strip()]
    if empty:
        raise InputError(
            f"{flag} {name + '=' + values!r}: value {empty[0]} of {len(found)} is empty; give "
            f"{name}=V1,V2,… with no empty value"
        )
    return found


def forms_for(
    workflow,
    inputs: list[tuple[str, str]],
    arrays: list[tuple[str, str]],
    seed: int | None = None,
    base=None,
) -> list:
    """One checked FormModel per run: the inputs, and one combination of the array values each.

    ``base`` is a run whose inputs, seed and parent prefill the form (rerun). Raises InputError
    naming the first input the workflow does not have or whose value its type refuses.
    """
    from flowlab.forms import FormModel

    known = list(workflow.signature.parameters)
    for name, _ in [*inputs, *arrays]:
        if name not in known:
            described = ", ".join(
                f"{k} ({workflow.input_schema[k].name})" if k in workflow.input_schema else k
                for k in known
            )
            raise InputError(
                f"workflow '{workflow.name}' has no input '{name}'; its inputs are "
                f"{described or 'none'}"
            )
    names = [name for name, _ in arrays]
    value_lists = [array_values(name, values) for name, values in arrays]
    forms = []
    for combination in itertools.product(*value_lists) if arrays else [()]:
        form = FormModel.for_run(base) if base is not None else FormModel(workflow)
        for name, text in [*inputs, *zip(names, combination, strict=True)]:
            form.set(name, text)
        if seed is not None:
            form.set("seed", seed)
        if form.errors:
            name, message = next(iter(form.errors.items()))
            if message.startswith("required"):
                message = (
                    f"input '{name}' is required: expected {form.field(name).type.name} "
                    f"({message.removeprefix('required: ')})"
                )
            raise InputError(message if f"'{name}'" in message else f"input '{name}': {message}")
        forms.append(form)
    return forms


#: what this process launched but the scheduler could not keep (a warning said why)
unkept: list = []


def start_launcher(spec: dict[str, Any]) -> list[dict]:
    """Launch the runs; return ``{id, status, parent}`` of each once the cluster keeps it (the
    caller may exit at once): on a cluster that keeps its runs, this process launches them,
    an ``--array``'s sweep too. With no cluster up, a detached process launches the runs on a
    cluster of its own and follows them to their end."""
    from flowlab.core.clusters.persistent import address
    from flowlab.core.engine.cluster_runs import kept_by_cluster

    if os.environ.get("FLOWLAB_SCHEDULER") or address():
        from flowlab.cli import launcher
        from flowlab.core.clusters.cluster import get_client

        if kept_by_cluster(get_client()):
            sys.path[:0] = [p for p in spec.get("sys_path", []) if p not in sys.path]
            runs = launcher.launch(spec)
            unkept.extend(r for r in runs if not r.kept_by_cluster)
            unkept.extend(s for s in launcher.sweeps if not s.kept_by_cluster)
            return [{"id": r.id, "status": r.record["status"], "parent": r.parent} for r in runs]
    return _detached_launcher(spec)


def follow_unkept() -> None:
    """Wait for what this process launched but the scheduler could not keep: leaving now
    would leave it to be recorded failed."""
    for item in unkept:
        item.wait()


def _detached_launcher(spec: dict[str, Any]) -> list[dict]:
    from flowlab.store.config import home

    logs = home() / "launchers"
    logs.mkdir(exist_ok=True)
    with open(logs / "launcher.log", "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flowlab.cli.launcher"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            start_new_session=True,
            cwd=os.getcwd(),
        )
    proc.stdin.write(json.dumps(spec).encode())
    proc.stdin.close()
    line = proc.stdout.readline()
    proc.stdout.close()
    if not line:
        proc.wait()
        raise FlowlabError(
            f"the launcher exited ({proc.returncode}) before recording a run; "
            f"see {logs / 'launcher.log'}"
        )
    answer = json.loads(line)
    if "error" in answer:
        raise InputError(answer["error"]) if answer.get("usage") else FlowlabError(answer["error"])
    return answer["runs"]
