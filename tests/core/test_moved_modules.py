"""Modules moved into core's layers still load under their old names: a workflow captured
into the catalog before the move (tests/core/data/, written by flowlab as it was then, its
pickle naming ``flowlab.core.workflow.Workflow`` and ``flowlab.core.operator.Operator``)
is rebuilt and runs."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import flowlab.core

ENTRY = Path(__file__).parent / "data" / "catalog_entry_before_core_layout.json"
#: the key the fixture's entry was signed with
KEY = "a key for the fixture of an entry made before the re-layout"


def test_the_fixture_names_modules_by_their_old_paths():
    pickled = base64.b64decode(json.loads(ENTRY.read_text())["pickled"])
    assert b"flowlab.core.workflow" in pickled and b"flowlab.core.operator" in pickled


def test_an_old_module_name_is_the_module_it_moved_to():
    import flowlab.core.run as old_run
    from flowlab.core.workflow import Workflow

    import flowlab.core.runs.run as new_run

    assert old_run is new_run
    assert Workflow.__module__ == "flowlab.core.definition.workflow"
    assert set(flowlab.core.MOVED_MODULES) >= {"flowlab.core.workflow", "flowlab.core.execute"}


def test_a_catalog_entry_made_before_the_move_is_rebuilt_and_runs(tmp_path):
    code = f"""
import json
import dask
from flowlab.core.runs.workflow_catalog import rebuild_workflow

entry = json.loads(open({str(ENTRY)!r}).read())
workflow = rebuild_workflow(entry)
graph = workflow.compile(a=20, b=22)
values = dask.compute(*graph.to_delayed().values(), scheduler="sync")
print(type(workflow).__module__, values[0])
"""
    env = {**os.environ, "FLOWLAB_HOME": str(tmp_path), "FLOWLAB_KEY": KEY}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["flowlab.core.definition.workflow", "42"], done.stdout
