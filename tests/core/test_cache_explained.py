"""Each operator's record says whether its result came from the cache and, when it ran, what
changed since the last run that ran it; on a real LocalCluster."""

from __future__ import annotations

import json
import uuid

import fsspec
import pandas as pd
import pytest
from click.testing import CliRunner

import flowlab
from flowlab import Output, types


@pytest.fixture
def cluster(client):
    """The shared cluster, its two workers connected (they start slowly on a busy machine)."""
    client.wait_for_workers(2, timeout=300)
    return client


# -- operators and workflows -----------------------------------------------------------------


@flowlab.operator(returns=types.Schema(value=types.INTEGER))
def plus(x: int, y: int):
    return {"value": x + y}


@flowlab.operator(returns=types.Schema(frame=types.DATASET))
def table_of(start: int, rows: int):
    return {"frame": pd.DataFrame({"x": range(start, start + rows)})}


@flowlab.operator(returns=types.Schema(total=types.INTEGER))
def total_of(frame: types.DATASET):
    return {"total": int(frame["x"].sum())}


@flowlab.operator(cache=False, returns=types.Schema(value=types.INTEGER))
def read_live(path: str):
    with open(path) as f:
        return {"value": int(f.read())}


@flowlab.operator(returns=types.Schema(value=types.INTEGER))
def needs_marker(x: int, marker: str):
    import os

    if not os.path.exists(marker):
        raise RuntimeError("the marker file is missing")
    return {"value": x}


def _diamond():
    """A fresh workflow (its own name, so no earlier run of it exists): a + 1, b + 1, their sum."""

    def diamond(a: int = 1, b: int = 2):
        left = plus(x=a, y=1)
        right = plus(x=b, y=1)
        return Output(total=plus(x=right.value, y=left.value).value)

    return flowlab.workflow(name=f"diamond_{uuid.uuid4().hex[:8]}")(diamond)


def _frames():
    """A fresh workflow whose first operator keeps a DATASET artifact the second one reads."""

    def frames(start: int = 0):
        return Output(total=total_of(frame=table_of(start=start, rows=50).frame).total)

    return flowlab.workflow(name=f"frames_{uuid.uuid4().hex[:8]}")(frames)


def _scaler(factor: int, body: str = "times"):
    """An operator named ``scale`` whose body (``times``/``plus``) and closed-over factor vary."""
    if body == "times":

        def scale(x: int):
            return {"value": x * factor}
    else:

        def scale(x: int):
            return {"value": x + factor}

    return flowlab.operator(returns=types.Schema(value=types.INTEGER))(scale)


def _scaled(name: str, scale):
    def scaled(x: int = 3):
        return Output(value=plus(x=scale(x=x).value, y=0).value)

    return flowlab.workflow(name=name)(scaled)


def _cache(run) -> dict[str, dict]:
    return {name: op.cache for name, op in run.operators.items()}


def _done(run):
    run.result(timeout=120)
    assert run.status == "succeeded", run.error
    return run


# -- hits, misses, off --------------------------------------------------------------------------


def test_first_launch_says_new_and_identical_relaunch_hits_naming_the_first_run(cluster):
    flow = _diamond()
    first = _done(flow.launch(a=10, b=20))
    assert {n: (c["status"], c["changed"]) for n, c in _cache(first).items()} == {
        "plus": ("miss", ["new"]),
        "plus_2": ("miss", ["new"]),
        "plus_3": ("miss", ["new"]),
    }
    assert all(c["from_run"] is None for c in _cache(first).values())
    again = _done(flow.launch(a=10, b=20))
    for cache in _cache(again).values():
        assert cache == {"status": "hit", "from_run": first.id, "changed": []}


def test_changed_input_names_the_input_and_downstream_names_the_upstream(cluster):
    flow = _diamond()
    before = _done(flow.launch(a=1, b=2))
    after = _done(flow.launch(a=1, b=5))
    cache = _cache(after)
    assert cache["plus"]["status"] == "hit" and cache["plus"]["from_run"] == before.id
    assert cache["plus_2"]["status"] == "miss"
    assert cache["plus_2"]["changed"] == ["input:b"]
    assert cache["plus_2"]["compared_to"] == before.id
    assert cache["plus_3"]["changed"] == ["upstream:plus_2"]


def test_changed_dataset_input_passed_by_reference_is_named(cluster):
    def summed(frame: types.DATASET):
        return Output(total=total_of(frame=frame).total)

    flow = flowlab.workflow(name=f"summed_{uuid.uuid4().hex[:8]}")(summed)
    _done(flow.launch(frame=pd.DataFrame({"x": [1, 2, 3]})))
    after = _done(flow.launch(frame=pd.DataFrame({"x": [1, 2, 4]})))
    assert after.operators["total_of"].cache["changed"] == ["input:frame"]


def test_changed_seed_is_named(cluster):
    flow = _diamond()
    _done(flow.launch(a=3, b=4, seed=11))
    after = _done(flow.launch(a=3, b=4, seed=12))
    cache = _cache(after)
    assert cache["plus"]["changed"] == ["seed"]
    assert cache["plus_3"]["changed"][0] == "seed"


def test_changed_operator_code_is_named_with_the_operator(cluster):
    name = f"scaled_{uuid.uuid4().hex[:8]}"
    _done(_scaled(name, _scaler(2, "times")).launch(x=3))
    after = _done(_scaled(name, _scaler(2, "plus")).launch(x=3))
    cache = _cache(after)
    assert cache["scale"]["status"] == "miss"
    assert cache["scale"]["changed"] == ["code", "code:scale"]
    assert cache["plus"]["changed"] == ["upstream:scale"]


def test_a_value_it_closes_over_changing_is_named_not_the_operator(cluster):
    name = f"scaled_{uuid.uuid4().hex[:8]}"
    _done(_scaled(name, _scaler(2)).launch(x=3))
    # the same source; the constant it closes over differs (part of its code version)
    after = _done(_scaled(name, _scaler(3)).launch(x=3))
    assert after.operators["scale"].cache["changed"] == ["code", "code:factor"]


_CLIPPED = """
import flowlab
from flowlab import Output, types

LIMIT = {limit}


def clip(x):
    return {clip}


@flowlab.operator(returns=types.Schema(value=types.INTEGER))
def clipped(x: int):
    return {{"value": clip(x)}}


@flowlab.workflow(name="{name}")
def clipping(x: int = 50):
    return Output(value=clipped(x=x).value)
"""


def _clipping(tmp_path, name: str, limit: int, clip: str):
    """The workflow ``name`` from a module file written afresh (as a user edits one), in a
    folder the workers import from."""
    import importlib.util
    import sys

    path = tmp_path / f"clipping_{uuid.uuid4().hex[:8]}.py"
    path.write_text(_CLIPPED.format(limit=limit, clip=clip, name=name))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module.clipping


def _importable_on_workers(client, folder: str) -> None:
    def add_to_path() -> None:
        import sys

        if folder not in sys.path:
            sys.path.append(folder)

    client.run(add_to_path)


def test_a_changed_constant_or_helper_is_named(cluster, tmp_path):
    """A miss names the constant or the helper function whose change made a new version."""
    name = f"clipping_{uuid.uuid4().hex[:8]}"
    _importable_on_workers(cluster, str(tmp_path))
    _done(_clipping(tmp_path, name, 10, "min(x, LIMIT)").launch())
    after = _done(_clipping(tmp_path, name, 20, "min(x, LIMIT)").launch())
    assert after.operators["clipped"].cache["changed"] == ["code", "code:LIMIT"]
    again = _done(_clipping(tmp_path, name, 20, "max(min(x, LIMIT), 0)").launch())
    assert again.operators["clipped"].cache["changed"] == ["code", "code:clip"]
    same = _done(_clipping(tmp_path, name, 20, "max(min(x, LIMIT), 0)").launch())
    assert same.operators["clipped"].cache["status"] == "hit"


def test_cache_false_launch_is_off(cluster):
    flow = _diamond()
    _done(flow.launch(a=7, b=8))
    off = _done(flow.launch(a=7, b=8, cache=False))
    for cache in _cache(off).values():
        assert cache == {"status": "off", "from_run": None, "changed": []}


def test_operator_without_cache_is_off_and_what_reads_it_follows_its_output(cluster, tmp_path):
    live = tmp_path / "value.txt"
    live.write_text("5")

    def uses_live(path: str = ""):
        return Output(value=plus(x=read_live(path=path).value, y=1).value)

    flow = flowlab.workflow(name=f"uses_live_{uuid.uuid4().hex[:8]}")(uses_live)
    first = _done(flow.launch(path=str(live)))
    same = _done(flow.launch(path=str(live)))
    assert same.operators["read_live"].cache["status"] == "off"
    assert same.operators["plus"].cache == {"status": "hit", "from_run": first.id, "changed": []}
    live.write_text("6")
    changed = _done(flow.launch(path=str(live)))
    assert changed.result().value == 7
    assert changed.operators["plus"].cache["status"] == "miss"
    assert changed.operators["plus"].cache["changed"] == ["upstream:read_live"]


def test_operator_that_failed_last_time_says_it_was_not_cached(cluster, tmp_path):
    def guarded(x: int = 1, marker: str = ""):
        return Output(value=needs_marker(x=plus(x=x, y=1).value, marker=marker).value)

    flow = flowlab.workflow(name=f"guarded_{uuid.uuid4().hex[:8]}")(guarded)
    marker = tmp_path / "marker"
    failed = flow.launch(x=2, marker=str(marker))
    failed.wait()
    assert failed.status == "failed"
    marker.write_text("")
    fixed = _done(flow.launch(x=2, marker=str(marker)))
    assert fixed.operators["plus"].cache["from_run"] == failed.id
    assert fixed.operators["needs_marker"].cache["changed"] == ["not cached: failed"]
    assert fixed.operators["needs_marker"].cache["compared_to"] == failed.id


# -- a hit whose result is gone or altered ------------------------------------------------------


def _artifact_path(run, node: str, output: str) -> tuple[fsspec.AbstractFileSystem, str]:
    uri = run.record["operators"][node]["outputs"][output]["$artifact"]
    return fsspec.core.url_to_fs(uri)


def test_deleted_artifact_under_a_hit_runs_again_and_says_artifact_missing(cluster):
    flow = _frames()
    start = uuid.uuid4().int % 10**9  # data no other test writes: its artifact is ours alone
    first = _done(flow.launch(start=start))
    expected = first.result().total
    fs, path = _artifact_path(first, "table_of", "frame")
    fs.rm(path)
    again = _done(flow.launch(start=start))
    assert again.result().total == expected
    assert again.operators["table_of"].state == "succeeded"
    assert again.operators["table_of"].cache["status"] == "miss"
    assert again.operators["table_of"].cache["changed"] == ["artifact missing"]
    assert again.operators["total_of"].cache["status"] == "hit"
    assert fs.exists(path)  # written again
    third = _done(flow.launch(start=start))
    assert third.operators["table_of"].cache == {
        "status": "hit",
        "from_run": again.id,
        "changed": [],
    }


def test_altered_artifact_under_a_hit_runs_again_and_says_artifact_corrupt(cluster):
    flow = _frames()
    start = uuid.uuid4().int % 10**9
    first = _done(flow.launch(start=start))
    expected = first.result().total
    fs, path = _artifact_path(first, "table_of", "frame")
    size = fs.size(path)
    with fs.open(path, "wb") as f:
        f.write(b"\0" * size)  # same size, other content: only its hash tells
    again = _done(flow.launch(start=start))
    assert again.result().total == expected
    assert again.operators["table_of"].cache["changed"] == ["artifact corrupt"]
    # the file is written again, whole: the next launch reuses it
    third = _done(flow.launch(start=start))
    assert third.operators["table_of"].cache["status"] == "hit"
    assert third.outputs["total"] == expected


def test_cache_status_reads_from_a_record_written_before_it_existed(cluster):
    flow = _diamond()
    run = _done(flow.launch(a=40, b=41))
    record = json.loads(json.dumps(run.record))
    for op in record["operators"].values():
        op.pop("cache")
        op["state"] = "cached"
        op["cached_from"] = "20250101-000000-abcdef"
    old = flowlab.Run(record)
    assert old.operators["plus"].cache == {
        "status": "hit",
        "from_run": "20250101-000000-abcdef",
        "changed": [],
    }


# -- where people look --------------------------------------------------------------------------


def test_flowlab_show_prints_each_operators_cache_status(cluster):
    from flowlab.cli import main

    flow = _diamond()
    before = _done(flow.launch(a=50, b=60))
    after = _done(flow.launch(a=50, b=61))
    shown = CliRunner().invoke(main, ["show", after.id])
    assert shown.exit_code == 0, shown.output
    assert "CACHE" in shown.output
    lines = {line.split()[0]: line for line in shown.output.splitlines() if line.strip()}
    assert f"hit from {before.id}" in lines["plus"]
    assert "miss: input:b" in lines["plus_2"]
    assert "miss: upstream:plus_2" in lines["plus_3"]
    as_json = CliRunner().invoke(main, ["show", after.id, "--json"])
    operators = json.loads(as_json.output)["operators"]
    assert operators["plus"]["cache"]["from_run"] == before.id
    assert operators["plus_2"]["cache"]["changed"] == ["input:b"]


def test_run_html_and_rest_api_show_cache_status_in_the_table_and_on_the_dag(cluster):
    from flowlab.render.run import run_html

    flow = _diamond()
    before = _done(flow.launch(a=70, b=80))
    after = _done(flow.launch(a=70, b=81))
    page = run_html(after)
    assert "miss: input:b" in page and "miss: upstream:plus_2" in page
    assert f"hit from {before.id}" in page
    # the DAG's box title (its tooltip) says it too
    assert "plus_2 (plus): succeeded · cache miss: input:b</title>" in page
    assert 'data-cache="hit"' in page
    # and JupyterLab's run panel reads it from the REST API
    from flowlab.jupyter.api import run_detail

    assert run_detail(after.id)["operators"]["plus_2"]["cache"]["changed"] == ["input:b"]


def test_planted_cache_status_is_shown_as_text():
    from flowlab.render.dag import record_dag_svg
    from flowlab.render.run import operator_table

    planted = "<img src=x onerror=alert(1)>"
    op = {
        "state": "succeeded",
        "cache": {"status": "miss", "from_run": planted, "changed": [planted, '"><b>']},
    }
    record = {
        "operators": {"n": op},
        "graph": {"nodes": [{"id": "n", "operator": "o"}], "edges": []},
    }
    for shown in (operator_table({"n": op}), record_dag_svg(record)):
        assert planted not in shown and "<b>" not in shown
        assert "&lt;img src=x onerror=alert(1)&gt;" in shown
