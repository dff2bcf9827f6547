"""op.map over a list an operator produced, and flowlab.branch both ways, on real workers."""

from __future__ import annotations

import pytest

import flowlab
from flowlab import Output, workflow
from flowlab.errors import CompileError, FlowTypeError
from tests.sweeps.ops import decide, fan, is_big, make_list, square


def test_map_over_an_operator_produced_list(client):
    run = fan.launch(n=4, offset=1, cache=False)
    out = run.result(timeout=120)
    assert out.squares == [2, 5, 10, 17]
    assert out.total == 34
    ops = run.operators
    assert ops["square.map"].state == "succeeded"
    nodes = {n["id"]: n for n in run.record["graph"]["nodes"]}
    assert nodes["square.map"]["mapped"] == ["x"]


@pytest.mark.parametrize(
    ("x", "value", "taken", "skipped"), [(20, 10, "halve", "triple"), (4, 12, "triple", "halve")]
)
def test_branch_runs_only_the_chosen_side_and_records_the_other_skipped(
    client, x, value, taken, skipped
):
    run = decide.launch(x=x, cache=False)
    assert run.result(timeout=120).value == value
    ops = run.operators
    assert ops[taken].state == "succeeded"
    assert ops[skipped].state == "skipped"
    assert run.status == "succeeded"


def test_map_over_literal_lists_of_different_lengths_is_refused_at_compile():
    @workflow
    def uneven():
        return Output(out=square.map(x=[1, 2, 3], offset=[1, 2]).square)

    with pytest.raises(CompileError, match="'x' has 3 items, 'offset' has 2 items"):
        uneven.compile()


def test_branch_on_a_condition_that_is_not_bool_is_refused():
    @workflow
    def wrong(x: int):
        flowlab.branch(square(x=x).square, lambda: is_big(x=x), lambda: is_big(x=x))

    with pytest.raises(CompileError, match="condition must be BOOL.*INTEGER"):
        wrong.compile(x=1)
    with pytest.raises(CompileError, match="condition must be BOOL"):
        flowlab.branch(1, lambda: None, lambda: None)


def test_run_view_shows_mapped_element_counts_and_the_skipped_side(client):
    from flowlab.render.run import run_html

    mapped = fan.launch(n=3, offset=0, cache=False)
    mapped.wait(timeout=120)
    assert mapped.operators["square.map"].elements == {
        "total": 3,
        "done": 3,
        "cached": 0,
        "failed": 0,
    }
    shown = run_html(mapped)
    assert ">square.map ×3</text>" in shown and "succeeded · 3/3" in shown
    assert "3/3 elements" in shown  # the operator table too

    branched = decide.launch(x=20, cache=False)
    branched.wait(timeout=120)
    shown = run_html(branched)
    assert "1 skipped" in shown.split("flowlab-counts")[1].split("</div>")[0]
    node = shown.split('class="flowlab-node" data-node="triple" data-state="skipped"')[1]
    node = node.split("</g>")[0]
    assert 'stroke-dasharray="4 3"' in node


def test_map_over_computed_lists_of_different_lengths_fails_naming_both(client):
    @workflow
    def uneven_at_run_time(n: int = 3):
        xs, offsets = make_list(n=n).values, make_list(n=n - 1).values
        return Output(out=square.map(x=xs, offset=offsets).square)

    run = uneven_at_run_time.launch(n=3, cache=False)
    run.wait(timeout=120)
    assert run.status == "failed"
    error = run.operators["square.map"].error
    assert "'x' has 3 items, 'offset' has 2 items" in error
    # what ran before is kept in the record
    assert [run.operators[n].state for n in ("make_list", "make_list_2")] == ["succeeded"] * 2


def test_map_needs_a_list_and_checks_each_literal_element():
    @workflow
    def no_list():
        return Output(out=square.map(x=3).square)

    with pytest.raises(CompileError, match="operator 'square': .map.* needs at least one input"):
        no_list.compile()

    @workflow
    def bad_item():
        return Output(out=square.map(x=[1, "two"]).square)

    with pytest.raises(FlowTypeError, match="item 1 of input 'x' of operator 'square'"):
        bad_item.compile()
