"""The workflow catalog: a workflow recorded in one process is rebuilt and launched in another."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from flowlab.core.runs.workflow_catalog import (
    KIND,
    WorkflowNotRebuildable,
    rebuild_workflow,
    record_workflow,
    workflow_catalog,
)

NOTEBOOK_CELL = """
import flowlab
from flowlab import operator, workflow, types

@operator(returns=types.Schema(y=types.INTEGER))
def triple(x: types.INTEGER):
    return {"y": 3 * x}

@workflow
def notebook_triple(x: types.INTEGER = 2):
    '''Defined in a notebook cell: no module to import it from.'''
    return {"y": triple(x).y}
"""


def _python(code: str, home, timeout=180) -> str:
    env = {**os.environ, "FLOWLAB_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture
def home(tmp_path):
    return tmp_path / "home"


def test_a_notebook_workflow_launched_once_is_rebuilt_and_run_in_another_process(home):
    # the "kernel": defines the workflow in __main__ and launches it (which records it)
    _python(
        NOTEBOOK_CELL
        + """
run = notebook_triple.launch(x=1)
print(run.result().y)
""",
        home,
    )
    # the "dashboard": another process, which never saw the cell
    out = _python(
        """
        import json
        from flowlab.core.runs.workflow_catalog import rebuild_workflow, workflow_catalog
        entry = next(e for e in workflow_catalog() if e["name"] == "notebook_triple")
        wf = rebuild_workflow("notebook_triple")
        run = wf.launch(x=7)
        print(json.dumps({"target": entry["target"], "rebuildable": entry["rebuildable"],
                          "inputs": sorted(entry["inputs"]), "y": run.result().y,
                          "status": run.status}))
        """,
        home,
    )
    seen = json.loads(out)
    assert seen == {
        "target": None,
        "rebuildable": True,
        "inputs": ["x"],
        "y": 21,
        "status": "succeeded",
    }


def test_a_module_workflow_is_recorded_by_its_import_path(store):
    from tests.core.ops import two_sleepers

    entry = record_workflow(two_sleepers, store)
    assert entry["target"] == "tests.core.ops:two_sleepers"
    assert entry["pickled"] is None
    assert store.get_entry(KIND, "two_sleepers")["target"] == entry["target"]
    assert rebuild_workflow(entry) is two_sleepers


def test_a_file_workflow_is_recorded_by_its_absolute_path(tmp_path, store):
    from flowlab.core.runs.targets import load_workflow

    flows = tmp_path / "myflows.py"
    flows.write_text(NOTEBOOK_CELL.replace("notebook_triple", "file_triple"))
    wf = load_workflow(f"{flows}:file_triple")
    entry = wf.register(store)
    assert entry["target"] == f"{flows}:file_triple"
    assert rebuild_workflow(entry) is wf


def test_an_unknown_workflow_names_the_known_ones(store):
    from tests.core.ops import two_sleepers

    two_sleepers.register(store)
    with pytest.raises(WorkflowNotRebuildable, match="'no_such_flow' is not in the catalog.*"):
        rebuild_workflow("no_such_flow", store)
    with pytest.raises(WorkflowNotRebuildable, match="two_sleepers"):
        rebuild_workflow("no_such_flow", store)


def test_a_notebook_workflow_capturing_big_data_says_why_it_cannot_be_rebuilt(home):
    out = _python(
        """
        import numpy as np
        from flowlab import operator, workflow, types
        from flowlab.core.runs.workflow_catalog import record_workflow

        TABLE = np.random.default_rng(0).random(1_000_000)   # 8 MB, used by the body

        @operator(returns=types.Schema(y=types.DOUBLE))
        def first(x: types.DOUBLE):
            return {"y": x + float(TABLE[0])}

        @workflow
        def heavy(x: types.DOUBLE = 1.0):
            return {"y": first(x).y}

        print(record_workflow(heavy)["reason"])
        """,
        home,
    )
    assert "KiB" in out and "module" in out
    failure = _python(
        """
        from flowlab.core.runs.workflow_catalog import rebuild_workflow, WorkflowNotRebuildable
        try:
            rebuild_workflow("heavy")
        except WorkflowNotRebuildable as exc:
            print(exc)
        """,
        home,
    )
    assert "'heavy' cannot be rebuilt outside the kernel" in failure and "KiB" in failure


def test_a_stale_import_target_is_reported_not_raised_as_an_import_error(tmp_path, store):
    entry = {"name": "gone", "target": "no_such_package_xyz.flows:gone"}
    store.put_entry(KIND, "gone", entry)
    with pytest.raises(WorkflowNotRebuildable, match="importing no_such_package_xyz.flows:gone"):
        rebuild_workflow("gone", store)
    listed = {e["name"]: e for e in workflow_catalog(store)}
    assert listed["gone"]["rebuildable"] is True  # an import target: tried when launched
