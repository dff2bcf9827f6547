"""The ipywidgets launch form: a view of flowlab.forms.FormModel, driven from Python.

What the model decides (values, errors, defaults, dependent fields) is tested in tests/forms;
here: which widget each field gets, what it shows, and what the buttons do.
"""

from __future__ import annotations

import ipywidgets as w
import pytest

import flowlab
from flowlab import types, workflow
from tests.notebook import workflows
from tests.polling import load_factor


@pytest.fixture
def form(iris_catalog, notebook_layer):
    return workflows.iris_form.form(
        labeled_data="iris_labeled", unlabeled_data="iris_unlabeled", features=["petal_width"]
    )


def _row(form, name):
    return next(c for c in form.children if f"flowlab-input-{name}" in c._dom_classes)


def test_form_has_one_row_per_input_with_defaults_and_descriptions(form):
    assert list(form.fields) == ["labeled_data", "unlabeled_data", "features", "max_depth"]
    assert form.fields["max_depth"].value == "4"
    assert "deepest split" in str(form.children)
    assert form.errors == {} and form.launch_button.disabled is False
    assert form.model.fields["max_depth"].value == 4


def test_every_number_field_is_one_kind_of_text_box_read_by_the_type(notebook_layer):
    @workflow(input_schema=types.Schema(depth=types.INTEGER(min=1), rate=types.DOUBLE))
    def numbers(depth, rate=0.5):
        return None

    form = numbers.form()
    depth, rate = form.fields["depth"], form.fields["rate"]
    assert type(depth) is type(rate) is w.Text
    assert depth.layout.width == rate.layout.width
    assert depth.placeholder == "an integer" and rate.placeholder == "0.5 (default)"
    depth.value = "3.7"
    assert form.errors["depth"] == "input 'depth': expected an integer (INTEGER), found '3.7'"
    assert "expected an integer (INTEGER), found &#x27;3.7&#x27;" in form._messages["depth"].value
    assert form.launch_button.disabled
    depth.value = "37"
    assert form.model.fields["depth"].value == 37 and not form.launch_button.disabled


def test_emptying_a_number_field_keeps_it_empty_without_a_stale_error(form):
    box = form.fields["max_depth"]
    box.value = "0"
    assert "below the minimum 1" in form._messages["max_depth"].value
    box.value = ""
    assert box.value == "" and "max_depth" not in form.errors
    assert "✓" in form._messages["max_depth"].value
    assert form.values()["max_depth"] == 4  # the default, shown as the placeholder
    assert box.placeholder == "4 (default)"


def test_dataset_field_offers_fitting_datasets_and_hides_the_others_behind_one_toggle(form):
    field = form.fields["labeled_data"]
    offered = [value for _, value in field.options]  # other tests register datasets too
    assert "iris_labeled" in offered and "iris_unlabeled" not in offered
    assert "column 'species' (TEXT) is missing" in field.refused["iris_unlabeled"]
    row = str(_row(form, "labeled_data"))
    assert row.count("<details class='flowlab-refused'>") == 1
    assert "why not these? (" in row and "iris_unlabeled" in row
    # a DATASET without species fits both iris entries
    offered = [v for _, v in form.fields["unlabeled_data"].options]
    assert {"iris_labeled", "iris_unlabeled"} <= set(offered)
    assert not {"iris_labeled", "iris_unlabeled"} & set(form.fields["unlabeled_data"].refused)


def test_features_field_says_which_columns_and_that_the_label_is_not_one(form):
    features = form.fields["features"]
    assert isinstance(features, w.Text) and features.layout.width == "340px"
    assert features.placeholder == "column names: a, b, c"
    hint = str(_row(form, "features"))
    assert "columns of labeled_data: petal_width, petal_height, sepal_width, sepal_height" in hint
    assert "(species is the label)" in hint
    features.value = "petal_width, nope"
    assert "&#x27;nope&#x27; is not a column of input &#x27;labeled_data&#x27;" in (
        form._messages["features"].value
    )
    features.value = ""
    assert form.errors["features"] == "required: name at least one column"
    features.value = "petal_width, sepal_width"
    assert "features" not in form.errors


def test_features_field_suggests_the_columns_completing_the_name_being_typed(form, iris_catalog):
    """Issue 26, item 6: part of a column name in a FEATURES field gave an error; now the box
    offers the columns it completes to and the field says what it matches."""
    features = form.fields["features"]
    assert isinstance(features, w.Combobox) and features.ensure_option is False
    features.value = "petal_width, sep"
    assert features.options == ("petal_width, sepal_width", "petal_width, sepal_height")
    message = form._messages["features"].value
    assert "type a column name: &#x27;sep&#x27; matches sepal_width, sepal_height" in message
    assert "is not a column" not in message
    assert "✗" not in message and "#c0392b" not in message  # help, not drawn as a fault
    assert form.launch_button.disabled  # still not a column: nothing to launch with yet
    features.value = features.options[1]  # the user picks a suggestion
    assert form.errors == {} and form.values()["features"] == ["petal_width", "sepal_height"]
    assert features.options == (  # a whole name: on to the next
        "petal_width, sepal_height, petal_height",
        "petal_width, sepal_height, sepal_width",
    )
    # its dataset changes: the offers are redrawn from the new columns
    form.set("labeled_data", iris_catalog.assign(petal_area=iris_catalog["petal_width"]))
    assert "petal_width, sepal_height, petal_area" in features.options


def test_each_type_gets_its_widget_and_its_validation(notebook_layer, tmp_path):
    existing = tmp_path / "weights.txt"
    existing.write_text("1")

    @workflow(
        input_schema=types.Schema(
            rate=types.DOUBLE(min=0, max=1),
            kind=types.ENUM("gbdt", "logistic"),
            verbose=types.BOOL,
            title=types.TEXT,
            depths=types.LIST(types.INTEGER),
            weights=types.FILE,
            options=types.DICT,
        )
    )
    def every_type(rate, kind, verbose, title, depths, weights, options=None):
        return None

    form = every_type.form(
        rate=0.5, kind="gbdt", verbose=False, title="first", depths=[1, 2], weights=str(existing)
    )
    fields = form.fields
    assert isinstance(fields["kind"], w.Dropdown)
    assert [v for _, v in fields["kind"].options] == ["gbdt", "logistic"]
    assert isinstance(fields["verbose"], w.Checkbox)
    assert isinstance(fields["options"], w.Textarea)
    assert fields["depths"].value == "1, 2"
    assert form.errors == {}
    fields["rate"].value = "1.5"
    assert "above the maximum 1" in form.errors["rate"]
    fields["depths"].value = "1, x"
    assert "input 'depths'[1]: expected an integer" in form.errors["depths"]
    fields["weights"].value = str(tmp_path / "missing.txt")
    assert "does not exist" in form.errors["weights"]
    fields["options"].value = "{not json"
    assert "not JSON" in form.errors["options"]
    fields["options"].value = '{"a": 1}'
    assert form.values()["options"] == {"a": 1}


def test_empty_required_file_field_shows_an_error_and_disables_launch(notebook_layer):
    @workflow(input_schema=types.Schema(config=types.FILE))
    def configured(config):
        return None

    form = configured.form()
    assert form.errors == {"config": "required: give a path or URI"}
    assert form.launch_button.disabled
    assert "required: give a path or URI" in form._messages["config"].value


def test_a_new_type_brings_its_own_field(notebook_layer):
    from flowlab.notebook.fields import Field, register_field
    from flowlab.types import FlowType, register_type

    class Percent(FlowType):
        name = "PERCENT_TEST"

        def validate(self, value, where="value"):
            if not 0 <= value <= 100:
                raise flowlab.FlowTypeError(f"{where}: {value} is not a percentage")
            return value

    percent = register_type(Percent())

    def slider(spec):
        box = w.IntSlider(value=spec.value if spec.value is not None else 50, min=-10, max=110)
        return Field(box, lambda: box.value, lambda v: setattr(box, "value", v))

    register_field("PERCENT_TEST", slider)

    @workflow(input_schema=types.Schema(share=percent))
    def shares(share):
        return None

    form = shares.form(share=20)
    assert isinstance(form.fields["share"], w.IntSlider)
    form.fields["share"].value = 105
    assert "105 is not a percentage" in form.errors["share"]


def test_invalid_form_launches_nothing(form, store):
    before = len(store.list_runs())
    form.fields["max_depth"].value = "0"
    with pytest.raises(flowlab.FlowTypeError, match="max_depth: input 'max_depth': 0 is below"):
        form.launch()
    form.launch_button.click()  # disabled: does nothing
    assert form.run is None and len(store.list_runs()) == before


def test_launch_button_runs_the_workflow_and_shows_rendered_outputs(form, client):
    form.fields["max_depth"].value = "3"
    form.launch_button.click()
    assert form.run is not None, form.status.value
    assert form.launch_button.description == "Launch" and not form.launch_button.disabled
    form.view.wait_shown(timeout=120)
    assert form.run.status == "succeeded"
    assert form.run.inputs["max_depth"] == 3
    details = form.view.details.value
    assert "logloss" in details and "lower is better" in details
    assert "DATASET 12 rows × 5 columns" in details
    assert "DecisionTreeClassifier" in details


def test_a_double_click_makes_one_run(form, client, store):
    form.fields["max_depth"].value = "6"
    before = len(store.list_runs())
    shown = []
    form.launch_button.observe(
        lambda change: shown.append((change["new"], form.launch_button.disabled)),
        names="description",
    )
    form.launch_button.click()
    form.launch_button.click()  # the second click of a double-click, queued behind the first
    assert len(store.list_runs()) == before + 1
    # while launching, the button is disabled and says so
    assert shown == [("Launching…", True), ("Launch", True)]
    form.run.wait(timeout=120)


def test_variant_keeps_the_baselines_seed_and_records_its_parent(form, client):
    from flowlab.notebook import variant

    form.model.set("seed", "7")
    baseline = form.launch()
    baseline.wait(timeout=120)
    assert baseline.record["seed"] == 7
    again = variant(baseline, max_depth=5)
    assert again.fields["labeled_data"].value == "iris_labeled"
    assert again.fields["features"].value == "petal_width"
    assert again.fields["max_depth"].value == "5"
    assert again.advanced_fields["seed"].value == "7"
    assert again.advanced_fields["parent"].value == baseline.id
    assert again.advanced.get_title(0) == f"advanced · seed 7 · variant of {baseline.id}"
    assert again.errors == {}
    run = again.launch()
    run.wait(timeout=120)
    assert run.record["seed"] == 7 and run.parent == baseline.id
    assert run.inputs["max_depth"] == 5


FIRST_LAUNCH = """
import json, os, sys
import flowlab
from flowlab import types, workflow

@flowlab.operator(returns=types.Schema(total=types.INTEGER))
def add_one(x: int):
    return {"total": x + 1}

@workflow(returns=types.Schema(total=types.INTEGER))
def plus_one(x: int = 1):
    return flowlab.Output(total=add_one(x=x).total)

form = plus_one.form()
seen = []
form.status.observe(lambda change: seen.append(change["new"]), names="value")
form.launch_button.click()
form.run.wait(timeout=120)
print(json.dumps({"seen": seen, "status": form.run.status}))
flowlab.cluster.get_client().close()
"""


def test_first_launch_from_the_button_says_the_local_cluster_is_starting(tmp_path):
    """In a fresh process with no cluster, clicking Launch says so under the button at once
    (starting the cluster takes seconds), then the run goes ahead."""
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "FLOWLAB_SCHEDULER"}
    env.update(FLOWLAB_HOME=str(tmp_path / "home"), PYTHONPATH=os.getcwd())
    done = subprocess.run(
        [sys.executable, "-c", FIRST_LAUNCH],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=int(240 * load_factor()),  # minutes on a busy machine
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert any("starting the local cluster" in value for value in result["seen"]), result
    assert result["status"] == "succeeded"
