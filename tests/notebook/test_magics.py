"""%%workflow and %flow in a real IPython shell."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

import flowlab

IRIS_CELL = '''
from flowlab import workflow, types, Output
from tests.notebook.workflows import iris_form

@workflow(input_schema=types.Schema(x=types.INTEGER(min=0)),
          returns=types.Schema(y=types.INTEGER))
def magic_double(x=2):
    """Doubles x."""
    from tests.core.ops import add
    return Output(y=add(a=x, b=x).total)
'''


@pytest.fixture(scope="module")
def shell(notebook_layer):
    ip = InteractiveShell.instance()
    flowlab.notebook.load_ipython_extension(ip)
    return ip


def test_load_ext_flowlab_registers_the_magics(notebook_layer):
    if not hasattr(flowlab, "load_ipython_extension"):
        pytest.skip("flowlab/__init__.py does not export load_ipython_extension yet")
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "flowlab")
    assert "workflow" in ip.magics_manager.magics["cell"]
    assert "flow" in ip.magics_manager.magics["line"]


def test_workflow_cell_defines_registers_and_shows_its_form(shell, capsys):
    from flowlab.core.definition.workflow import registered_workflows

    shell.run_cell_magic("workflow", "", IRIS_CELL)
    assert "magic_double" in registered_workflows()
    assert shell.user_ns["magic_double"].form().model.fields["x"].value == 2
    # what display() of a widget prints in a terminal: a short line, not the widget's repr
    out = capsys.readouterr().out
    assert "launch form of workflow 'magic_double'" in out and "LaunchForm(" not in out


def test_workflow_cell_name_and_launch_options(shell, client):
    from flowlab.core.definition.workflow import registered_workflows

    shell.run_cell_magic("workflow", "--name doubled --no-form --launch x=21", IRIS_CELL)
    assert registered_workflows()["doubled"].name == "doubled"
    run = flowlab.runs('workflow = "doubled"')[0]
    assert run.wait(timeout=60).outputs.y == 42


def test_errors_in_the_cell_raise_as_normal_tracebacks(shell):
    with pytest.raises(ZeroDivisionError):
        shell.run_cell_magic("workflow", "", "1 / 0")
    with pytest.raises(UsageError, match="defined no workflow"):
        shell.run_cell_magic("workflow", "", "x = 1")


def test_workflow_help_documents_the_options(shell):
    doc = shell.magics_manager.magics["cell"]["workflow"].__doc__
    for option in ("--name", "--no-form", "--launch"):
        assert option in doc


def test_flow_runs_show_compare_and_cluster(shell, client):
    from flowlab.notebook import RunBrowser, RunView
    from flowlab.notebook.comparison import ComparisonView

    shell.run_cell_magic("workflow", "--no-form", IRIS_CELL)
    first = shell.user_ns["magic_double"].launch(x=3)
    second = shell.user_ns["magic_double"].launch(x=4)
    first.wait(timeout=60), second.wait(timeout=60)
    shell.user_ns["first_run"] = first
    browser = shell.run_line_magic("flow", 'runs workflow = "magic_double"')
    assert isinstance(browser, RunBrowser) and {first.id, second.id} <= set(browser.run_ids)
    view = shell.run_line_magic("flow", f"show {second.id}")
    assert isinstance(view, RunView) and view.wait_shown(timeout=10)
    table = shell.run_line_magic("flow", f"compare first_run {second.id} --baseline first_run")
    assert isinstance(table, ComparisonView) and table.comparison.baseline == first.id
    assert "worker" in shell.run_line_magic("flow", "cluster").data
    with pytest.raises(UsageError, match="unknown command"):
        shell.run_line_magic("flow", "nonsense")


def test_bare_flow_shows_the_help(shell, capsys):
    assert shell.run_line_magic("flow", "") is None
    out = capsys.readouterr().out
    assert "%flow runs QUERY" in out and "%flow cluster" in out and "unknown" not in out


def test_flow_show_of_an_unknown_run_is_one_line(shell):
    with pytest.raises(UsageError) as caught:
        shell.run_line_magic("flow", "show nope")
    message = str(caught.value)
    assert "no run 'nope'" in message and "\n" not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_flow_cluster_is_a_table_with_bytes_formatted(shell, client):
    shown = shell.run_line_magic("flow", "cluster").data
    assert (
        "<table" in shown and "<th style='padding:2px 12px 2px 0;text-align:right'>threads" in shown
    )
    assert "GiB" in shown and "MEMORY=" in shown
    assert "{'CPU'" not in shown  # no raw dict
