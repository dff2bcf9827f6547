"""An operator defined in a notebook cell fails on a worker: its traceback shows the line that
raised, from the cell's source, instead of ``File "<dynamic-code>", line 4`` with no line
(issue 26, item 8). The cell is played by code run as ``__main__`` from a file, whose
functions cloudpickle pickles by value, as it does a notebook's."""

from __future__ import annotations

import uuid

import pytest

import flowlab
from flowlab.core.record.tracebacks import operator_traceback

CELL = """
import flowlab
from flowlab import Output, types


def check(x):
    if x > 2:
        raise ValueError(f"x={x} is too big for this cell")
    return x


@flowlab.operator(returns=types.Schema(value=types.INTEGER))
def explode_in_cell(x: int):
    doubled = x * 2
    return {"value": check(doubled)}


@flowlab.workflow(name="{name}")
def cell_flow(x: int = 3):
    return Output(value=explode_in_cell(x=x).value)
"""


def test_a_cell_operators_traceback_shows_its_source_lines(client, tmp_path):
    name = f"cell_{uuid.uuid4().hex[:8]}"
    path = tmp_path / f"{name}.py"
    path.write_text(CELL.replace("{name}", name))
    cell: dict = {"__name__": "__main__"}
    exec(compile(path.read_text(), str(path), "exec"), cell)
    run = cell["cell_flow"].launch(x=3)
    with pytest.raises(flowlab.errors.RunFailed) as failed:
        run.result(timeout=300)
    recorded = run.operators["explode_in_cell"].traceback
    assert "<dynamic-code>" not in recorded
    assert 'File "<cell defining explode_in_cell>"' in recorded
    assert 'return {"value": check(doubled)}' in recorded
    assert 'File "<cell defining check>"' in recorded
    assert 'raise ValueError(f"x={x} is too big for this cell")' in recorded
    # what the user reads: those lines, flowlab's and Dask's frames hidden
    shown = operator_traceback(recorded)
    assert 'raise ValueError(f"x={x} is too big for this cell")' in shown
    assert "ValueError: x=6 is too big for this cell" in str(failed.value)
