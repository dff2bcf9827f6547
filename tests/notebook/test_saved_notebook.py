"""A saved notebook keeps every flowlab output: executed in a real kernel, saved without widget
state (as JupyterLab saves by default), rendered by nbconvert with no kernel (issue 12, item 1);
a failed run's cell shows one clear error and none of Dask's worker log (item 3)."""

from __future__ import annotations

import re

import nbformat
import pytest
from nbclient import NotebookClient
from nbconvert import HTMLExporter

from flowlab.notebook.snapshot import WIDGET_VIEW, strip_live_views
from tests.notebook.test_notebooks import NOTEBOOKS

WIDGET_REPRS = ("LaunchForm(", "RunView(", "RunBrowser(", "VBox(", "model not found")


def _execute(notebook, workdir, allow_errors=False) -> nbformat.NotebookNode:
    NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=300,
        allow_errors=allow_errors,
        store_widget_state=False,  # JupyterLab's default: the widgets' state is not saved
        resources={"metadata": {"path": str(workdir)}},
    ).execute()
    return notebook


def _saved_and_rendered(notebook, path) -> tuple[nbformat.NotebookNode, str]:
    nbformat.write(notebook, path)
    saved = nbformat.read(path, as_version=4)
    body, _ = HTMLExporter().from_notebook_node(saved)  # no kernel involved
    return saved, body


def _plain_texts(notebook) -> list[str]:
    return [
        output.get("data", {}).get("text/plain", "")
        for cell in notebook.cells
        for output in cell.get("outputs", [])
    ]


@pytest.fixture
def kernel_env(client, monkeypatch, tmp_path):
    """The kernels join the test session's cluster and store (no second cluster)."""
    monkeypatch.setenv("FLOWLAB_SCHEDULER", client.scheduler.address)
    monkeypatch.setenv("PYTHONPATH", str(NOTEBOOKS.parent))
    return tmp_path


def test_saved_iris_notebook_shows_the_run_status_and_metric_without_a_kernel(kernel_env):
    notebook = _execute(nbformat.read(NOTEBOOKS / "01_iris.ipynb", as_version=4), kernel_env)
    saved, body = _saved_and_rendered(notebook, kernel_env / "01_iris.ipynb")
    printed = "".join(o.get("text", "") for c in saved.cells for o in c.get("outputs", []))
    match = re.search(r"run (\S+): succeeded, logloss ([0-9.]+), accuracy ([0-9.]+)", printed)
    assert match, printed
    run_id, logloss = match.group(1), float(match.group(2))

    # the form's cell: its snapshot was brought up to date when the run finished
    form_outputs = [o for o in saved.cells[5].outputs if "data" in o]
    snapshot = form_outputs[-1]["data"]["text/html"]
    assert WIDGET_VIEW in form_outputs[-1]["data"]  # still a live widget while the kernel runs
    assert f"run {run_id}" in snapshot and 'data-status="succeeded"' in snapshot
    assert 'data-output="logloss"' in snapshot and 'data-output="accuracy"' in snapshot
    assert form_outputs[-1]["data"]["text/plain"].startswith("launch form of workflow 'iris'")

    # nbconvert (nbviewer, GitHub) renders the snapshots: the status and the metric are there
    assert "Error displaying widget" not in body
    assert body.count('data-status="succeeded"') >= 2  # the form's run view and %flow show
    assert f"{logloss:.4f}"[:5] in body and 'data-output="logloss"' in body
    assert "flowlab-dag" in body and "scheduler" in body  # the DAG, the %flow cluster table
    for text in _plain_texts(saved):
        assert not any(r in text for r in WIDGET_REPRS), text

    # the server's pre_save_hook drops the live views: JupyterLab then shows the snapshots
    strip_live_views(saved)
    assert WIDGET_VIEW not in str(saved)
    body, _ = HTMLExporter().from_notebook_node(saved)
    assert body.count('data-status="succeeded"') >= 2


def test_saved_compare_notebook_keeps_browser_and_comparison(kernel_env):
    notebook = _execute(nbformat.read(NOTEBOOKS / "02_compare.ipynb", as_version=4), kernel_env)
    saved, body = _saved_and_rendered(notebook, kernel_env / "02_compare.ipynb")
    assert "flowlab-browser-table" in body and "(baseline)" in body
    assert "flowlab-run-tags" in body and "flowlab-delta" in body
    for text in _plain_texts(saved):
        assert not any(r in text for r in WIDGET_REPRS), text


FAILING = [
    "%load_ext flowlab",
    "from tests.notebook import workflows\nrun = workflows.breaks.launch(x=1.0)\nrun.wait()\nrun",
    "import time; time.sleep(1)  # a later cell, while Dask's logs would come in",
    "run.result()",
]


def test_failed_run_is_one_clear_error_without_dask_worker_noise(monkeypatch, tmp_path):
    monkeypatch.delenv("FLOWLAB_SCHEDULER", raising=False)  # the kernel starts its own cluster
    monkeypatch.setenv("FLOWLAB_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PYTHONPATH", str(NOTEBOOKS.parent))
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in FAILING]
    _execute(notebook, tmp_path, allow_errors=True)
    everything = str([cell.outputs for cell in notebook.cells])
    assert "Compute Failed" not in everything and "distributed.worker" not in everything
    # first launch in a fresh kernel: the cluster's start was announced, then described
    statuses = [
        o["data"]["text/html"]
        for o in notebook.cells[1].outputs
        if "flowlab-cluster-status" in o.get("data", {}).get("text/html", "")
    ]
    assert statuses and "local cluster started: 2 workers" in statuses[0]
    shown = notebook.cells[1].outputs[-1]["data"]["text/html"]  # the Run, as its view
    assert "operator <b>explode</b> failed" in shown and "ValueError: cannot take 1.0" in shown
    error = next(o for o in notebook.cells[3].outputs if o["output_type"] == "error")
    assert error["ename"] == "RunFailed"
    first_line = error["evalue"].splitlines()[0]
    assert first_line.endswith("failed: operator 'explode' failed: ValueError: cannot take 1.0")
    traceback = "\n".join(error["traceback"])
    assert "workflows.py" in traceback and "flowlab/core/worker/task.py" not in traceback
    assert "flowlab/core/runs/run.py" not in traceback  # run.result()'s own frame is hidden too


def test_a_widget_without_its_own_drawing_still_saves_its_text():
    """The Snapshot mixin's default snapshot is the widget's text, escaped (it raised
    NotImplementedError before: such a widget lost its output on save)."""
    import ipywidgets as w

    from flowlab.notebook.snapshot import Snapshot

    class Plain(Snapshot, w.VBox):
        def snapshot_text(self) -> str:
            return "loss < 0.3 & done"

    assert Plain().snapshot_html() == "<pre>loss &lt; 0.3 &amp; done</pre>"
