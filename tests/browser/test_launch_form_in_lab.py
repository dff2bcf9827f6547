"""The launch form in JupyterLab, in a real browser: what a user sees and clicks (issue 12,
items 4, 5, 7 and 8). Screenshots go to test-artifacts/."""

from __future__ import annotations

import re

import nbformat
import pytest

from tests.browser.conftest import lab_url

pytestmark = pytest.mark.browser

SETUP = """\
import flowlab
from flowlab.library import data
frame = data.iris()
flowlab.datasets.register("iris_labeled", frame)
flowlab.datasets.register("iris_labeled", frame)  # registered twice: listed once
flowlab.datasets.register("iris_unlabeled", frame.drop(columns="species").head(12))
from tests.notebook.workflows import iris_form
"""
FORM = "form = iris_form.form()\nform"


@pytest.fixture
def form_page(jupyterlab, browser, artifacts_dir, request):
    """A notebook showing iris_form's launch form, run in a fresh kernel."""
    from playwright.sync_api import expect

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(SETUP), nbformat.v4.new_code_cell(FORM)]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, jupyterlab["root"] / "form_checks.ipynb")
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.set_default_timeout(60_000)
    page.goto(lab_url(jupyterlab, "form_checks.ipynb"))
    page.locator(".jp-Notebook").first.wait_for()
    dialog = page.locator(".jp-Dialog button.jp-mod-accept")
    try:
        dialog.wait_for(timeout=15_000)
        dialog.click()
    except Exception:
        pass
    expect(page.locator(".jp-StatusBar-TextItem", has_text="Idle").first).to_be_visible(
        timeout=90_000
    )
    # a fresh kernel runs every cell, top to bottom (as tests/browser/test_notebook_in_lab.py)
    page.locator("#jp-MainMenu").get_by_text("Run", exact=True).click()
    page.locator(".lm-Menu").get_by_text("Restart Kernel and Run All Cells…").click()
    page.locator(".jp-Dialog button.jp-mod-accept").click()
    form = page.locator(".flowlab-form").first
    try:
        expect(form).to_be_visible(timeout=120_000)
        yield page, form
    except Exception:
        page.screenshot(path=str(artifacts_dir / "browser-form-failure.png"))
        raise
    finally:
        # how the page looked when the test ended (passed or not)
        page.screenshot(path=str(artifacts_dir / f"browser-form-end-{request.node.name}.png"))
        page.close()


def test_form_fields_are_aligned_readable_and_only_offer_what_fits(form_page, artifacts_dir):
    from playwright.sync_api import expect

    page, form = form_page
    # item 7: fitting datasets only, once each; the others behind one toggle (the session's
    # catalog may hold other tests' datasets too: only this notebook's are counted)
    labeled = form.locator(".flowlab-input-labeled_data")
    options = labeled.locator("select option")
    expect(options.filter(has_text="iris_labeled ")).to_have_count(1)
    expect(options.filter(has_text="iris_labeled ")).to_have_text(
        "iris_labeled  (150 rows × 5 columns)"
    )
    expect(options.filter(has_text="iris_unlabeled")).to_have_count(0)
    labeled.locator("select").select_option(label="iris_labeled  (150 rows × 5 columns)")
    toggle = labeled.locator("details.flowlab-refused")
    expect(toggle.locator("summary")).to_have_text(
        re.compile(r"why not these\? \(\d+ other dataset")
    )
    reason = toggle.locator("li", has_text="iris_unlabeled").get_by_text(
        "column 'species' (TEXT) is missing"
    )
    expect(reason).to_be_hidden()
    toggle.locator("summary").click()
    expect(reason).to_be_visible()
    unlabeled = form.locator(".flowlab-input-unlabeled_data select")
    # the default fits its input (both fit; the one without the label column is chosen)
    expect(unlabeled).to_have_value("iris_unlabeled  (12 rows × 4 columns)")
    expect(unlabeled.locator("option", has_text="iris_labeled ")).to_have_count(1)

    # item 4: the FEATURES box is wide, says what to type, and the label is not offered
    features_row = form.locator(".flowlab-input-features")
    features = features_row.locator("input")
    expect(features).to_have_attribute("placeholder", "column names: a, b, c")
    assert features.bounding_box()["width"] >= 300
    hint = features_row.locator(".flowlab-hint")
    expect(hint).to_have_text(
        "columns of labeled_data: petal_width, petal_height, sepal_width, sepal_height "
        "(species is the label)"
    )
    message = features_row.locator(".flowlab-message")
    expect(message).to_contain_text("required: name at least one column")
    features.fill("petal_width, nope")
    expect(message).to_contain_text("'nope' is not a column of input 'labeled_data'")
    expect(features).to_have_value("petal_width, nope")  # the text stays visible
    features.fill("petal_width, species")
    expect(message).to_contain_text("'species' is the label column")
    features.fill("petal_width, sepal_width")
    expect(message).to_have_text("✓")

    # ✓/✗ marks sit beside their fields, in one column, on the field's first line
    boxes = []
    for name in ("labeled_data", "unlabeled_data", "features", "max_depth"):
        row = form.locator(f".flowlab-input-{name}")
        boxes.append((row.bounding_box(), row.locator(".flowlab-message").bounding_box()))
    lefts = {round(mark["x"]) for _, mark in boxes}
    assert len(lefts) == 1, lefts
    for row, mark in boxes:
        assert abs(mark["y"] - row["y"]) < 12  # on the field's first line, not wrapped below
        # right after the label (200px) and field (360px) columns, not at the far right
        assert 0 <= mark["x"] - (row["x"] + 560) < 30, (row, mark)
    form.scroll_into_view_if_needed()
    form.screenshot(path=str(artifacts_dir / "browser-form-fields.png"))


def test_number_field_reads_text_clearly_and_empty_stays_empty(form_page, artifacts_dir):
    from playwright.sync_api import expect

    page, form = form_page
    form.locator(".flowlab-input-features input").fill("petal_width")
    depth = form.locator(".flowlab-input-max_depth input")
    message = form.locator(".flowlab-input-max_depth .flowlab-message")
    launch = form.locator("button.flowlab-launch")
    expect(depth).to_have_value("4")
    depth.fill("3.7")
    depth.press("Tab")
    expect(message).to_have_text("✗ expected an integer (INTEGER), found '3.7'")
    expect(depth).to_have_value("3.7")  # never 37
    expect(launch).to_be_disabled()
    form.screenshot(path=str(artifacts_dir / "browser-form-number-error.png"))
    depth.fill("")
    depth.press("Tab")
    expect(message).to_have_text("✓")  # no stale error
    expect(depth).to_have_value("")  # no revert on blur
    expect(depth).to_have_attribute("placeholder", "4 (default)")
    expect(launch).to_be_enabled()


def test_double_clicking_launch_makes_one_run(form_page, artifacts_dir):
    from playwright.sync_api import expect

    import flowlab

    page, form = form_page
    form.locator(".flowlab-input-features input").fill("petal_width, sepal_width")
    depth = form.locator(".flowlab-input-max_depth input")
    depth.fill("17")
    launch = form.locator("button.flowlab-launch")
    expect(launch).to_be_enabled()
    launch.dblclick()
    view = form.locator(".flowlab-run")
    expect(view).to_have_count(1)
    # the machine may be loaded: a run of the iris tree can take minutes
    expect(view.locator(".flowlab-run-status[data-status='succeeded']")).to_be_visible(
        timeout=400_000
    )
    page.wait_for_timeout(2000)  # a second run, if any, would be recorded by now
    expect(view).to_have_count(1)
    runs = flowlab.runs('workflow = "iris_form" and inputs.max_depth = 17')
    assert len(runs) == 1, [r.id for r in runs]
    expect(launch).to_have_text("Launch")
    expect(launch).to_be_enabled()
    launch.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "browser-form-launched.png"))
