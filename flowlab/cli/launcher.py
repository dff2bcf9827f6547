"""Launching the runs of ``flowlab submit``.

On a cluster that keeps its runs (``flowlab cluster up``, ``FLOWLAB_SCHEDULER``) the command
launches them itself and exits: the scheduler follows them, and the sweep of an ``--array``
(core/engine/cluster_runs.py). Only when no such cluster is up (or ``FLOWLAB_TRACKING=launcher``)
does a detached process (this module's ``main``) launch the runs on a cluster of its own,
print their ids on one line, then follow them to their end.

Run as ``python -m flowlab.cli.launcher`` with the submission as JSON on stdin.
"""

from __future__ import annotations

import json
import os
import sys

#: the sweep an --array submission made (followed to its end too)
sweeps: list = []


def main() -> None:
    spec = json.loads(sys.stdin.read())
    out = os.fdopen(os.dup(1), "w")
    # from here on nothing else may reach the submitter's pipe
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        runs = launch(spec)
    except Exception as exc:
        from flowlab.cli.submission import InputError

        out.write(json.dumps({"error": str(exc), "usage": isinstance(exc, InputError)}) + "\n")
        out.close()
        raise
    described = [{"id": r.id, "status": r.status, "parent": r.parent} for r in runs]
    out.write(json.dumps({"runs": described}) + "\n")
    out.close()
    # `flowlab cancel` reaches these runs through the store: their trackers look for requests
    for run in runs:
        run.wait()
    for sweep in sweeps:
        sweep.wait()  # its record says succeeded, with its children's counts
    from flowlab.core.clusters.cluster import get_client

    get_client().close()


def launch(spec: dict) -> list:
    from flowlab.cli.submission import forms_for
    from flowlab.cli.targets import load_workflow

    sys.path[:0] = [p for p in spec.get("sys_path", []) if p not in sys.path]
    workflow = load_workflow(spec["target"])
    base = None
    if spec.get("rerun") or spec.get("resume"):
        from flowlab.core.runs.run import get_run

        base = get_run(spec.get("rerun") or spec.get("resume"))
    from flowlab.core.runs.launch import launch_fields

    # the CLI can rerun and resume its runs later: it knows where the workflow is defined
    with launch_fields(target=spec["target"]):
        if spec.get("resume"):
            return [base.resume()]
        forms = forms_for(
            workflow,
            [tuple(p) for p in spec.get("inputs", [])],
            [tuple(p) for p in spec.get("arrays", [])],
            seed=spec.get("seed"),
            base=base,
        )
        tags = spec.get("tags") or (base.tags if base else None)
        if spec.get("arrays"):
            return launch_array(workflow, forms, [name for name, _ in spec["arrays"]], tags)
        return [form.launch(tags=tags) for form in forms]


def launch_array(workflow, forms: list, names: list[str], tags) -> list:
    """``--array``: a Sweep over the array inputs (its grid: each array's values, parsed by
    the forms), its children one run per combination, in the forms' order."""
    from flowlab.sweeps import launch_sweep

    grid: dict[str, list] = {name: [] for name in names}
    for form in forms:
        values = form.inputs()
        for name in names:
            if values[name] not in grid[name]:
                grid[name].append(values[name])
    fixed = {k: v for k, v in forms[0].inputs().items() if k not in grid}
    sweep = launch_sweep(workflow, fixed, grid=grid, tags=tags, run_seed=forms[0].seed)
    sweeps.append(sweep)
    launched = [run for run in sweep.children if run is not None]
    if len(launched) != len(sweep.children):
        raise RuntimeError(
            f"sweep {sweep.id}: {len(sweep.children) - len(launched)} of its runs could not "
            f"be launched; see flowlab show {sweep.id}"
        )
    return launched


if __name__ == "__main__":
    main()
