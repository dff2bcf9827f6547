"""The Dask adapter: loud when Dask's internals move; workflows as dask.delayed on any scheduler."""

from __future__ import annotations

import dask
import pytest
from dask.delayed import Delayed

import flowlab
from flowlab import types
from flowlab.core.engine import dask_graph
from flowlab.errors import OperatorError
from tests.core import ops


def test_dask_internals_flowlab_builds_on_are_still_there():
    # fails with a message naming what moved (and the release it was checked with)
    dask_graph.check_dask_internals()


def test_pinned_dask_is_the_one_the_adapter_was_checked_with():
    assert dask.__version__ == dask_graph.CHECKED_WITH, (
        f"dask {dask.__version__} is installed; flowlab/core/engine/dask_graph.py was checked with "
        f"{dask_graph.CHECKED_WITH}: run this test file, then update CHECKED_WITH"
    )


def test_a_moved_internal_is_reported_by_name(monkeypatch):
    import dask._task_spec

    monkeypatch.delattr(dask._task_spec, "DataNode")
    with pytest.raises(dask_graph.DaskInternalsMoved, match=r"dask\._task_spec.*DataNode"):
        dask_graph.check_dask_internals()


def test_layers_keep_their_annotations():
    graph = dask_graph.TaskGraph()
    graph.data("a", 2)
    graph.task("b", pow, 3, parents={"a": "a"}, annotations={"retries": 2})
    built = graph.build()
    annotated = [layer for layer in built.layers.values() if layer.annotations]
    assert [layer.annotations for layer in annotated] == [{"retries": 2}]


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_to_delayed_computes_on_local_schedulers(scheduler):
    graph = ops.add_twice.compile(a=2, b=3)
    delayed = graph.to_delayed()
    assert set(delayed) == set(graph.outputs)
    assert all(isinstance(d, Delayed) for d in delayed.values())
    (total,) = dask.compute(*delayed.values(), scheduler=scheduler)
    assert total == (2 + 3) + 3


def test_to_delayed_computes_on_distributed_and_composes(client):
    graph = ops.add_twice.compile(a=10, b=1)
    (total,) = graph.to_delayed().values()
    doubled = dask.delayed(lambda x: 2 * x)(total)  # the user's own Dask code on top
    assert client.compute(doubled).result(timeout=60) == 2 * 12
    assert dask.compute(*graph.to_delayed().values())[0] == 12  # the default client


def test_to_delayed_seeds_operators_like_a_run(client):
    graph = ops.two_randoms.compile()
    from_dask = dask.compute(*graph.to_delayed(seed=11).values(), scheduler="sync")
    run = ops.two_randoms.launch(seed=11, cache=False).result(timeout=60)
    assert list(from_dask) == [run[name] for name in graph.outputs]


@flowlab.operator(returns=types.Schema(value=types.INTEGER))
def says_text(x: int):
    return {"value": "not a number"}


@flowlab.workflow(returns=types.Schema(value=types.INTEGER))
def lies():
    return says_text(x=1)


def test_to_delayed_checks_types():
    (value,) = lies.compile().to_delayed().values()
    with pytest.raises(OperatorError, match="says_text"):
        value.compute(scheduler="sync")
