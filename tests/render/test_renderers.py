"""Typed output renderers, their registry (entry points included) and run comparisons."""

from __future__ import annotations

import sys
import textwrap

import numpy as np
import pytest
import xarray as xr

from flowlab.render import (
    STATE_COLOURS,
    Renderer,
    compare,
    dag_svg,
    register_renderer,
    render_html,
    renderers,
)
from flowlab.render import registry as registry_module


def test_number_shows_metric_name_and_direction():
    shown = render_html(0.1234567, {"x-flowlab-type": "DOUBLE", "x-direction": "lower"}, "logloss")
    assert "logloss" in shown and "0.123457" in shown and "lower is better" in shown
    assert "higher is better" in render_html(0.9, {"x-flowlab-type": "DOUBLE"}, "accuracy")


def test_dataset_is_a_paged_table_with_shape_and_schema(iris_frame):
    shown = render_html(iris_frame, {"x-flowlab-type": "DATASET"}, "predictions")
    assert "DATASET 150 rows × 5 columns (showing the first 100)" in shown
    assert "petal_width <i>INTEGER</i>" in shown and "species <i>TEXT</i>" in shown
    assert shown.count("<tbody") == 10 and shown.count('type="radio"') == 10
    assert "<script" not in shown  # pages switch with CSS only


def test_model_summary_has_kind_parameters_features_and_importances(iris_frame):
    from sklearn.tree import DecisionTreeClassifier

    from flowlab.types import Model

    features = ["petal_width", "petal_height", "sepal_width", "sepal_height"]
    tree = DecisionTreeClassifier(max_depth=3, random_state=0)
    model = Model(tree.fit(iris_frame[features], iris_frame["species"]), features=features)
    shown = render_html(model, {"x-flowlab-type": "MODEL"}, "model")
    assert "DecisionTreeClassifier" in shown and "max_depth" in shown
    assert "feature importances" in shown and "<svg" in shown and "petal_height" in shown


def test_array_has_xarray_html_and_a_plot():
    line = xr.DataArray(np.sin(np.linspace(0, 3, 50)), dims="t", name="signal")
    shown = render_html(line, {"x-flowlab-type": "ARRAY"}, "signal")
    assert "xr-wrap" in shown and "<polyline" in shown
    grid = render_html(xr.DataArray(np.eye(4), dims=("y", "x")), {"x-flowlab-type": "ARRAY"})
    assert "<rect" in grid


def test_file_is_a_link(tmp_path):
    path = tmp_path / "report.txt"
    path.write_text("hello")
    shown = render_html(str(path), {"x-flowlab-type": "FILE"}, "report")
    assert "<a href=" in shown and "report.txt" in shown and "(5 bytes)" in shown


def test_highest_priority_renderer_that_applies_wins():
    register_renderer(
        Renderer(
            "test-percent",
            lambda s: s.name == "share_test",
            lambda s: f"<b>{s.value:.0%}</b>",
            priority=50,
        )
    )
    assert render_html(0.25, {"x-flowlab-type": "DOUBLE"}, "share_test") == "<b>25%</b>"
    assert "25%" not in render_html(0.25, {"x-flowlab-type": "DOUBLE"}, "other")


def test_other_packages_join_through_the_entry_point_group(tmp_path, monkeypatch):
    package = tmp_path / "flowlab_test_plugin.py"
    package.write_text(
        textwrap.dedent(
            """
            from flowlab.render import Renderer
            RENDERERS = [Renderer("plugin-complex", lambda s: isinstance(s.value, complex),
                                  lambda s: f"<i>{s.value.real}+{s.value.imag}i</i>", 30)]
            """
        )
    )
    dist = tmp_path / "flowlab_test_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: flowlab-test-plugin\nVersion: 1.0\n"
    )
    (dist / "entry_points.txt").write_text(
        "[flowlab.renderers]\ncomplex = flowlab_test_plugin:RENDERERS\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry_module, "_entry_points_loaded", False)
    assert "plugin-complex" in [r.name for r in renderers()]
    assert render_html(1 + 2j) == "<i>1.0+2.0i</i>"
    sys.modules.pop("flowlab_test_plugin", None)


def test_dag_is_coloured_by_operator_state():
    graph = {
        "nodes": [{"id": "split"}, {"id": "train"}, {"id": "predict"}],
        "edges": [["split", "train", "train"], ["train", "predict", "model"]],
    }
    svg = dag_svg(graph, {"split": "succeeded", "train": "running"})
    assert 'data-node="train" data-state="running"' in svg
    assert 'data-node="predict" data-state="queued"' in svg
    assert svg.count('class="flowlab-arrowhead"') == 2


def test_dag_shows_element_counts_of_mapped_operators_and_greys_skipped_ones():
    graph = {
        "nodes": [
            {"id": "make"},
            {"id": "train.map", "mapped": ["depth"]},
            {"id": "halve", "guard": True},
        ],
        "edges": [["make", "train.map", "values"], ["make", "halve", "values"]],
    }
    states = {"make": "succeeded", "train.map": "running", "halve": "skipped"}
    counts = {"train.map": {"total": 12, "done": 7, "cached": 2, "failed": 1}}
    svg = dag_svg(graph, states, counts)
    mapped = svg.split('data-node="train.map"')[1].split("</g>")[0]
    assert 'data-elements="12"' in mapped
    assert ">train.map ×12</text>" in mapped
    assert "running · 7/12 (2 cached) · 1 failed" in mapped
    skipped = svg.split('data-node="halve"')[1].split("</g>")[0]
    assert 'stroke-dasharray="4 3"' in skipped and 'fill="#999"' in skipped
    assert f'fill="{STATE_COLOURS["skipped"]}"' in skipped
    edges = svg.split('<g class="flowlab-edge">')[1:]
    assert sum('stroke-dasharray="4 3"' in e.split("</g>")[0] for e in edges) == 1  # into halve
    # a mapped node with no counts yet still says it is mapped
    assert ">train.map ×n</text>" in dag_svg(graph)


def test_every_state_has_one_colour_and_is_counted_in_the_views_order():
    from flowlab.core.record.records import OPERATOR_STATES, RUN_STATUSES
    from flowlab.render.run import TERMINAL, state_counts

    assert set(STATE_COLOURS) == set(OPERATOR_STATES) | set(RUN_STATUSES)
    assert len(set(STATE_COLOURS.values())) == len(STATE_COLOURS)  # each its own colour
    assert "skipped" in TERMINAL
    counts = state_counts(["queued", "skipped", "succeeded", "running", "skipped", "failed"])
    assert counts == "1 succeeded · 2 skipped · 1 failed · 1 running · 1 queued"
    legend = dag_svg({"nodes": [], "edges": []})
    for state in OPERATOR_STATES:
        assert f">{state}</text>" in legend


def test_dag_labels_are_whole_and_straight_edges_have_arrowheads():
    long = "TrainDecisionTreeOperator_with_a_long_name"
    graph = {"nodes": [{"id": "split"}, {"id": long}], "edges": [["split", long, "train"]]}
    svg = dag_svg(graph)
    assert f">{long}</text>" in svg and "…" not in svg
    width = int(svg.split('<rect x="10" y="')[1].split('width="')[1].split('"')[0])
    assert width >= 7 * len(long)  # the box holds the label
    # one node per column at the same height: a straight edge, ending in a drawn arrowhead
    edge = svg.split('<g class="flowlab-edge">')[1].split("</g>")[0]
    start, end = edge.split('d="M')[1].split('"')[0].split(" C")
    assert start.split(",")[1] == end.split(" ")[-1].split(",")[1]  # level: straight
    head = edge.split('class="flowlab-arrowhead" d="M')[1].split('"')[0]
    assert head.endswith("z") and "marker" not in svg


def _record(run_id, depth, logloss, accuracy):
    return {
        "id": run_id,
        "workflow": "iris",
        "status": "succeeded",
        "inputs": {"labeled_data": {"$uri": "iris_labeled", "type": "DATASET"}, "depth": depth},
        "outputs": {"logloss": logloss, "accuracy": accuracy},
        "graph": {
            "returns": {
                "logloss": {"x-flowlab-type": "DOUBLE", "x-direction": "lower"},
                "accuracy": {"x-flowlab-type": "DOUBLE"},
            }
        },
    }


def test_comparison_highlights_differences_and_colours_deltas_by_direction():
    base, better, worse = (
        _record("a", 4, 0.30, 0.90),
        _record("b", 6, 0.20, 0.95),
        _record("c", 2, 0.50, 0.80),
    )
    table = compare([better, worse], baseline=base)
    assert table.run_ids == ["a", "b", "c"] and table.baseline == "a"
    assert ("input", "depth") in table.differing
    assert ("input", "labeled_data") not in table.differing
    shown = table._repr_html_()
    assert 'data-verdict="better">0.2 <span class="flowlab-delta flowlab-better">(-0.1)' in shown
    assert 'data-verdict="worse">0.5' in shown
    assert 'data-verdict="better">0.95' in shown  # accuracy: higher is better, by its name
    frame = table.to_pandas()
    assert frame.loc[("output", "logloss"), "b"] == 0.20
    assert frame.loc[("input", "labeled_data"), "c"] == "iris_labeled"
    assert table.deltas().loc["logloss", "c"] == pytest.approx(0.2)


def test_comparison_is_headed_by_tags_seed_duration_and_highlights_cells_not_rows():
    base, other = _record("a", 4, 0.30, 0.90), _record("b", 4, 0.30, 0.95)
    base.update(tags=["baseline"], seed=7, started="2026-11-30T06:00:00.000Z")
    base["ended"] = "2026-11-30T06:00:02.500Z"
    other.update(tags=[], seed=7, started="2026-11-30T06:01:00.000Z")
    other["ended"] = "2026-11-30T06:01:01.250Z"
    shown = compare([base, other])._repr_html_()
    head = shown.split("</thead>")[0]
    assert "baseline" in head.split('class="flowlab-run-tags"')[1]
    assert head.split('class="flowlab-run-seed"')[1].count(">7<") == 2
    duration = head.split('class="flowlab-run-duration"')[1]
    assert "2.50 s" in duration and "1.25 s" in duration
    # accuracy differs in run b only: its cell is coloured, the baseline's cell is not
    row = shown.split('<th style="padding:2px 10px;text-align:left">accuracy')[1].split("</tr>")[0]
    cells = row.split("<td")[1:]
    assert "background" not in cells[0] and "background" in cells[1]
    depth = shown.split(">depth</th>")[1].split("</tr>")[0]
    assert "background" not in depth  # an equal row is not coloured at all


def test_comparison_baseline_can_be_changed():
    base, other = _record("a", 4, 0.30, 0.90), _record("b", 6, 0.20, 0.95)
    table = compare([base, other]).with_baseline("b")
    assert table.baseline == "b" and "b <i>(baseline)</i>" in table._repr_html_()
    with pytest.raises(ValueError, match="'z' is not one of the compared runs"):
        table.with_baseline("z")
