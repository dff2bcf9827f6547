"""Each sweep and study shape gets its own renderer from the registry: pictures and a table."""

from __future__ import annotations

import optuna
import pytest

import flowlab
from flowlab.render import render_html, renderer_for
from flowlab.render.registry import Subject
from tests.sweeps.ops import bowl, tune


@pytest.fixture(scope="module")
def sweeps(client):
    return {
        "one": bowl.sweep(y=5, fail_at=6, grid={"x": [1, 2, 4, 6]}),
        "two": bowl.sweep(fail_at=6, grid={"x": [1, 2, 4, 6], "y": [3, 5, 7]}),
        "random": bowl.sweep(random={"x": flowlab.space.int(0, 8)}, n=4, seed=2),
        "study": tune.optimize(
            objective="loss",
            space={"lr": flowlab.space.float(0.0, 1.0)},
            n_trials=5,
            steps=2,
            pause=0.0,
            sampler=optuna.samplers.RandomSampler(seed=1),
        ),
    }


def _done(sweeps):
    for s in sweeps.values():
        s.wait(timeout=180)
    return sweeps


def test_one_swept_input_draws_a_line_per_metric_with_the_best_marked(sweeps):
    sweep = _done(sweeps)["one"]
    assert renderer_for(Subject(sweep)).name == "sweep-line"
    page = sweep._repr_html_()
    assert page.count("<svg") == 2  # loss and score
    assert page.count('class="flowlab-best"') == 2
    assert "best: 0<" in page  # loss (4-4)^2 + (5-5)^2 at x=4, ringed
    assert "flowlab-sweep-top" in page and sweep.best("loss").id in page


def test_two_swept_inputs_draw_a_heatmap_with_failed_cells_marked(sweeps):
    sweep = _done(sweeps)["two"]
    assert renderer_for(Subject(sweep)).name == "sweep-heatmap"
    page = render_html(sweep)
    assert "<svg" in page and "✕" in page and 'class="flowlab-best"' in page
    best = sweep.best("loss")
    table = page.split("flowlab-sweep-top")[1]
    assert table.index(best.id) < table.index("failed")  # best first, failed last


def test_an_unfinished_heatmap_cell_reads_as_pending_not_failed(client, tmp_path):
    """While a sweep runs, a cell whose run has not ended is … on grey, never the failed ✕
    on pink (issue 26, item 10); the same cell shows its value once its run ends."""
    from tests.polling import poll_for
    from tests.sweeps.ops import gated_grid

    gate = tmp_path / "gate"
    sweep = gated_grid.sweep(grid={"x": [1, 2], "y": [0, 1]}, gate=str(gate))
    try:
        # the x=1 cells end at once; the x=2 ones wait for the gate
        poll_for(
            lambda: (
                sorted(str(s) for s in sweep.results["status"].values.ravel()).count("succeeded")
                == 2
            ),
            120,
            what="the two ungated cells to end",
        )
        page = render_html(sweep)
        assert page.count("…</text>") == 2 and "✕" not in page, page
        assert 'data-state="succeeded"' in page
    finally:
        gate.write_text("go")
    sweep.wait(timeout=180)
    page = render_html(sweep)
    assert "…</text>" not in page and "✕" not in page


def test_a_study_opened_from_the_store_renders_as_a_study(sweeps):
    """The dashboard's sweeps page opens a study by id: its trials, history and importances,
    not an empty run view (issue 26, item 4)."""
    from flowlab.sweeps import open_sweep

    study = _done(sweeps)["study"]
    opened = open_sweep(study.id)
    assert opened.kind == "study"
    assert list(opened.results["trial"].values) == list(study.results["trial"].values)
    page = render_html(opened)
    assert "parallel coordinates" in page and "optimisation history" in page
    assert "flowlab-sweep-top" in page and study.best_run.id in page
    assert "no operators" not in page


def test_parallel_coordinates_axes_have_ticks(sweeps):
    page = render_html(_done(sweeps)["random"])
    assert page.count('class="flowlab-tick"') >= 4  # low and high on the input and the metric


def test_random_search_and_study_draw_parallel_coordinates_history_and_importances(sweeps):
    done = _done(sweeps)
    assert renderer_for(Subject(done["random"])).name == "sweep-parallel"
    assert "parallel coordinates" in render_html(done["random"])
    study = done["study"]
    assert renderer_for(Subject(study)).name == "sweep-parallel"
    page = render_html(study)
    assert "parallel coordinates" in page and "optimisation history" in page
    assert "parameter importances" in page
    assert study.best_run.id in page


def test_the_live_view_redraws_until_the_end_and_keeps_a_snapshot(client):
    from flowlab.notebook import SweepView

    sweep = bowl.sweep(y=5, seconds=0.3, cache=False, grid={"x": [1, 2, 3]})
    view = SweepView(sweep)
    first = view.body.value
    view.wait_shown(timeout=120)
    assert sweep.done and "succeeded" in view.body.value
    assert first != view.body.value  # drawn while running, redrawn at the end
    bundle = view._snapshot_bundle()
    assert "flowlab-sweep-top" in bundle["text/html"] and "<svg" in bundle["text/html"]
    assert bundle["text/plain"] == f"sweep {sweep.id} of bowl.sweep: succeeded"
