"""notebooks/05_library.ipynb runs every predefined algorithm of flowlab.library on the shipped
data in a real kernel, and shows a results table and a chart."""

from __future__ import annotations

import nbformat
import pytest

from flowlab.library import workflows
from tests.notebook.test_notebooks import NOTEBOOKS, execute, kernel_env, outputs_text

__all__ = ["kernel_env"]  # the fixture, shared with test_notebooks.py
# every algorithm of the library in one notebook: minutes on a busy machine
pytestmark = pytest.mark.timeout(1800)


def test_05_library_runs_every_algorithm_and_shows_a_table_and_a_chart(kernel_env):
    notebook = execute(NOTEBOOKS / "05_library.ipynb", kernel_env)
    artifacts = NOTEBOOKS.parent / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    nbformat.write(notebook, artifacts / "05_library.executed.ipynb")  # to look at
    text = outputs_text(notebook)
    count = len(workflows.CLASSIFIERS) + len(workflows.REGRESSORS) + len(workflows.RANKERS)
    assert f"{count} runs launched" in text
    table = str(notebook.cells[5].outputs)
    for algorithm in {*workflows.CLASSIFIERS, *workflows.REGRESSORS, *workflows.RANKERS}:
        assert algorithm in table, algorithm
    chart = str(notebook.cells[7].outputs)
    assert "linear-gradient" in chart  # the bars
    for task in ("classification", "regression", "ranking"):
        assert f"best {task}: " in text
