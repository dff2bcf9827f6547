"""Every notebook in notebooks/ runs top to bottom in a real kernel (the venv's Python)."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.polling import load_factor

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


# a whole notebook runs (each cell allowed 240 s x the load factor): more than the default
pytestmark = pytest.mark.timeout(1800)


def execute(path: Path, workdir: Path) -> nbformat.NotebookNode:
    """Run a notebook in a python3 kernel started with this interpreter (jupyter_client puts
    sys.executable in place of the kernelspec's bare ``python``)."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=int(240 * load_factor()),  # per cell: minutes on a busy machine
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute()
    return notebook


def outputs_text(notebook) -> str:
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            for value in (output.get("data") or {}).values():
                parts.append(value if isinstance(value, str) else str(value))
    return "\n".join(parts)


@pytest.fixture
def kernel_env(client, monkeypatch, tmp_path):
    """The kernels join the test session's cluster and store (no second cluster)."""
    monkeypatch.setenv("FLOWLAB_SCHEDULER", client.scheduler.address)
    monkeypatch.setenv("PYTHONPATH", str(NOTEBOOKS.parent))
    return tmp_path


def test_kernel_runs_the_venv_python(kernel_env):
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_code_cell("import sys; print(sys.executable)"))
    NotebookClient(notebook, kernel_name="python3", timeout=60).execute()
    assert notebook.cells[0].outputs[0]["text"].strip() == sys.executable


def test_01_iris_shows_the_form_launches_and_renders_outputs(kernel_env):
    notebook = execute(NOTEBOOKS / "01_iris.ipynb", kernel_env)
    text = outputs_text(notebook)
    assert "launch form of workflow" in text  # the forms: a short line, beside the widget
    assert "succeeded, logloss" in text
    assert "application/vnd.jupyter.widget-view+json" in str(notebook.cells[5].outputs)


def test_02_compare_finds_variants_and_compares_them_to_the_baseline(kernel_env):
    notebook = execute(NOTEBOOKS / "02_compare.ipynb", kernel_env)
    text = outputs_text(notebook)
    assert "flowlab-compare" in text and "(baseline)" in text
    assert "flowlab-better" in text or "flowlab-worse" in text
    assert "outputs.logloss" in text


def test_03_sweeps_draws_a_heatmap_a_study_with_pruning_and_a_branching_workflow(kernel_env):
    notebook = execute(NOTEBOOKS / "03_sweeps.ipynb", kernel_env)
    text = outputs_text(notebook)
    assert "flowlab-sweep-top" in text and "<svg" in text  # views with their snapshots
    assert "max_depth ↓ · min_samples_leaf →" in text  # the grid's heatmap
    assert "parallel coordinates" in text and "optimisation history" in text
    assert "best: max_depth=" in text
    assert " pruned; best lr=" in text and "0 pruned" not in text
    assert "2 [1, 4] small" in text and "5 [1, 4, 9, 16, 25] big" in text
    assert "'skipped'" in text
    # the DAG of a wider list: the mapped operator's element count, the side not taken dashed
    assert "square.map ×6" in text and "succeeded · 6/6" in text
    assert "elements: {'total': 6" in text and 'stroke-dasharray="4 3"' in text
    # no stderr block from Optuna in the optimize cell (issue 26, item 9)
    stderr = [
        output.get("text", "")
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("name") == "stderr"
    ]
    assert not any("A new study created" in text for text in stderr), stderr
