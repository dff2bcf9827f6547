"""Launch forms generated from a workflow's input schema, driven from Python."""

from __future__ import annotations

import ipywidgets as w
import pytest

import flowlab
from flowlab import types, workflow
from tests.notebook import workflows


@pytest.fixture
def form(iris_catalog, notebook_layer):
    return workflows.iris_form.form(
        labeled_data="iris_labeled", unlabeled_data="iris_unlabeled", features=["petal_width"]
    )


def test_form_has_one_field_per_input_with_defaults_and_descriptions(form):
    assert list(form.fields) == ["labeled_data", "unlabeled_data", "features", "max_depth"]
    assert isinstance(form.fields["max_depth"], w.IntText)
    assert form.fields["max_depth"].value == 4
    assert "deepest split" in str(form.children)
    assert form.errors == {} and form.launch_button.disabled is False


def test_number_field_validates_bounds_as_typed_and_disables_launch(form):
    form.fields["max_depth"].value = 0
    assert form.errors == {"max_depth": "input 'max_depth': 0 is below the minimum 1"}
    assert form.launch_button.disabled
    assert "below the minimum 1" in form._messages["max_depth"].value
    form.fields["max_depth"].value = 21
    assert "above the maximum 20" in form.errors["max_depth"]
    form.fields["max_depth"].value = 3
    assert form.errors == {} and not form.launch_button.disabled


def test_dataset_field_offers_fitting_datasets_and_shows_others_disabled_with_reason(form):
    field = form.fields["labeled_data"]
    offered = [value for _, value in field.options]
    assert "iris_labeled" in offered and "iris_unlabeled" not in offered
    assert "column 'species' (TEXT) is missing" in field.refused["iris_unlabeled"]
    row = next(c for c in form.children if "flowlab-input-labeled_data" in c._dom_classes)
    assert "iris_unlabeled" in str(row) and "is missing" in str(row)
    # a DATASET without species fits both catalog entries
    assert {v for _, v in form.fields["unlabeled_data"].options} >= {
        "iris_labeled",
        "iris_unlabeled",
    }


def test_features_field_offers_the_chosen_datasets_columns(form):
    features = form.fields["features"]
    assert isinstance(features, w.TagsInput)
    assert "petal_height" in features.allowed_tags and "species" in features.allowed_tags
    features.value = []
    assert "choose at least one column of 'labeled_data'" in form.errors["features"]
    features.value = ["petal_width", "sepal_width"]
    assert "features" not in form.errors


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
            names=types.LIST(types.TEXT),
            weights=types.FILE,
            options=types.DICT,
        )
    )
    def every_type(rate, kind, verbose, title, depths, names, weights, options=None):
        return None

    form = every_type.form(rate=0.5, title="first", depths=[1, 2], weights=str(existing))
    fields = form.fields
    assert isinstance(fields["rate"], w.FloatText)
    assert isinstance(fields["kind"], w.Dropdown)
    assert [v for _, v in fields["kind"].options] == ["gbdt", "logistic"]
    assert isinstance(fields["verbose"], w.Checkbox)
    assert isinstance(fields["title"], w.Text)
    assert isinstance(fields["depths"], w.IntsInput)
    assert isinstance(fields["names"], w.TagsInput)
    assert form.errors == {}
    fields["rate"].value = 1.5
    assert "above the maximum 1" in form.errors["rate"]
    fields["weights"].value = str(tmp_path / "missing.txt")
    assert "does not exist" in form.errors["weights"]
    fields["options"].value = "{not json"
    assert form.errors["options"].startswith("not JSON")
    fields["options"].value = '{"a": 1}'
    assert form.values()["options"] == {"a": 1}


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


def test_required_input_without_value_blocks_launch(iris_catalog, notebook_layer):
    form = workflows.iris_form.form(labeled_data="iris_labeled", unlabeled_data="iris_unlabeled")
    assert "features" in form.errors and form.launch_button.disabled


def test_invalid_form_launches_nothing(form, store):
    before = len(store.list_runs())
    form.fields["max_depth"].value = 0
    with pytest.raises(flowlab.FlowTypeError, match="max_depth: input 'max_depth': 0 is below"):
        form.launch()
    form.launch_button.click()  # disabled: does nothing
    assert form.run is None and len(store.list_runs()) == before


def test_launch_button_runs_the_workflow_and_shows_rendered_outputs(form, client):
    form.fields["max_depth"].value = 3
    form.launch_button.click()
    assert form.run is not None, form.status.value
    form.view.wait_shown(timeout=120)
    assert form.run.status == "succeeded"
    assert form.run.inputs["max_depth"] == 3
    details = form.view.details.value
    assert "logloss" in details and "lower is better" in details
    assert "DATASET 12 rows × 5 columns" in details
    assert "DecisionTreeClassifier" in details


def test_form_prefilled_from_an_earlier_run_starts_a_new_variant(form, client):
    from flowlab.notebook import variant

    form.fields["max_depth"].value = 2
    run = form.launch()
    run.wait(timeout=120)
    again = variant(run, max_depth=5)
    assert again.fields["labeled_data"].value == "iris_labeled"
    assert list(again.fields["features"].value) == ["petal_width"]
    assert again.fields["max_depth"].value == 5
    assert again.errors == {}
