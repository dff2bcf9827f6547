"""FormModel: the launch form every surface shares (notebook, dashboard, CLI, REST), with no
UI toolkit."""

from __future__ import annotations

import subprocess
import sys

import pytest

import flowlab
from flowlab import types, workflow
from flowlab.errors import FlowTypeError
from flowlab.forms import FormModel
from tests.seed_iris import all_columns, feature_columns


@workflow(
    input_schema=types.Schema(
        labeled_data=types.DATASET(schema=all_columns),
        unlabeled_data=types.DATASET(schema=feature_columns),
        features=types.FEATURES(of="labeled_data", label="species"),
        max_depth=types.INTEGER(min=1, max=20),
        rate=types.DOUBLE(min=0, max=1, default=0.3),
        note=types.TEXT(optional=True),
    )
)
def form_model_iris(labeled_data, unlabeled_data, features, max_depth=4, rate=0.5, note=None):
    """Iris with every kind of field.

    Args:
        max_depth: the deepest split
    """
    return None


@pytest.fixture
def form(iris_catalog):
    return FormModel(form_model_iris, features=["petal_width"])


def test_importing_flowlab_forms_imports_no_ui_toolkit():
    code = (
        "import sys, flowlab.forms, flowlab\n"
        "from flowlab import types, workflow\n"
        "@workflow(input_schema=types.Schema(n=types.INTEGER, f=types.FILE, d=types.DICT))\n"
        "def w(n, f, d=None):\n    return None\n"
        "m = flowlab.forms.FormModel(w)\n"
        "m.set('n', '3.7'); m.set('d', '{\"a\": 1}')\n"
        "assert 'n' in m.errors and m.fields['d'].value == {'a': 1}\n"
        "print(sorted(k for k in sys.modules if k.split('.')[0] in ('ipywidgets', 'panel')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_fields_come_from_the_schema_with_types_descriptions_and_required(form):
    assert list(form.fields) == [
        "labeled_data",
        "unlabeled_data",
        "features",
        "max_depth",
        "rate",
        "note",
    ]
    assert form.fields["max_depth"].type.name == "INTEGER"
    assert form.fields["max_depth"].description == "the deepest split"
    assert form.fields["max_depth"].hint == "1 ≤ value ≤ 20"
    required = {n for n, f in form.fields.items() if f.required}
    assert required == {"labeled_data", "unlabeled_data", "features"}
    assert form.valid and form.errors == {}


def test_starting_value_prefill_beats_type_default_beats_signature_default(iris_catalog):
    plain = FormModel(form_model_iris)
    assert plain.fields["max_depth"].value == 4  # the signature's
    assert plain.fields["rate"].value == 0.3  # the type's default beats the signature's 0.5
    given = FormModel(form_model_iris, rate=0.9, max_depth=7)
    assert given.fields["rate"].value == 0.9 and given.fields["max_depth"].value == 7
    assert given.fields["max_depth"].text == "7"


def test_unknown_prefill_names_the_inputs():
    with pytest.raises(FlowTypeError, match="has no input 'depth'; its inputs are labeled_data"):
        FormModel(form_model_iris, depth=3)


def test_text_is_read_by_the_type_and_errors_name_what_was_expected(form):
    form.set("max_depth", "3.7")
    assert form.errors == {
        "max_depth": "input 'max_depth': expected an integer (INTEGER), found '3.7'"
    }
    assert form.fields["max_depth"].value is None and not form.valid
    form.set("max_depth", "0")
    assert form.errors["max_depth"] == "input 'max_depth': 0 is below the minimum 1"
    form.set("max_depth", "12")
    assert form.valid and form.fields["max_depth"].value == 12
    form.set("max_depth", 5)  # a Python value is validated, not parsed
    assert form.inputs()["max_depth"] == 5
    form.set("rate", "abc")
    assert "expected a number (DOUBLE), found 'abc'" in form.errors["rate"]
    form.set("rate", "0.25")
    assert form.inputs()["rate"] == 0.25


def test_emptying_a_field_clears_its_error_and_uses_its_default(form):
    form.set("max_depth", "x")
    assert "max_depth" in form.errors
    form.set("max_depth", "")
    assert "max_depth" not in form.errors
    assert form.fields["max_depth"].value == 4 and form.fields["max_depth"].text == ""
    assert form.fields["max_depth"].placeholder == "4 (default)"
    form.set("note", "")
    assert form.fields["note"].value is None and "note" not in form.inputs()


def test_empty_required_field_is_an_error_and_inputs_refuse(form):
    form.set("features", "")
    assert form.errors == {"features": "required: name at least one column"}
    with pytest.raises(FlowTypeError, match="the form has invalid inputs \\(features: required"):
        form.inputs()


def test_empty_required_file_is_an_error_not_the_current_directory(tmp_path):
    @workflow(input_schema=types.Schema(config=types.FILE))
    def needs_config(config):
        return None

    form = FormModel(needs_config)
    assert form.errors == {"config": "required: give a path or URI"} and not form.valid
    form.set("config", "   ")
    assert form.errors == {"config": "required: give a path or URI"}
    form.set("config", str(tmp_path))
    assert form.valid and form.inputs() == {"config": str(tmp_path)}
    form.set("config", str(tmp_path / "missing.yaml"))
    assert "does not exist" in form.errors["config"]


def test_dataset_fields_offer_what_fits_and_say_why_not_the_others(form):
    labeled = form.fields["labeled_data"]
    assert labeled.choices == ["iris_labeled"]  # registered twice, listed once
    assert "iris_unlabeled" in labeled.refused and "iris_labeled" not in labeled.refused
    assert "column 'species' (TEXT) is missing" in labeled.refused["iris_unlabeled"]
    assert "150 rows × 5 columns" in labeled.choice_labels["iris_labeled"]
    assert form.fields["unlabeled_data"].choices == ["iris_labeled", "iris_unlabeled"]


def test_dataset_defaults_fit_their_input(form):
    # both fit unlabeled_data; the one without extra columns (and named like it) is chosen
    assert form.fields["labeled_data"].value == "iris_labeled"
    assert form.fields["unlabeled_data"].value == "iris_unlabeled"


def test_dataset_without_declared_columns_defaults_only_to_a_name_match(iris_catalog):
    @workflow(input_schema=types.Schema(dataset=types.DATASET, unlabeled=types.DATASET))
    def loose(dataset, unlabeled):
        return None

    form = FormModel(loose)
    assert form.fields["dataset"].value is None
    assert form.errors["dataset"] == "required: choose a dataset"
    assert form.fields["unlabeled"].value == "iris_unlabeled"


def test_a_dataset_that_does_not_fit_is_an_error(form):
    form.set("labeled_data", "iris_unlabeled")
    assert "column 'species' (TEXT) is missing" in form.errors["labeled_data"]


def test_features_must_be_columns_of_their_dataset_without_the_label(form):
    features = form.fields["features"]
    assert features.choices == ["petal_width", "petal_height", "sepal_width", "sepal_height"]
    assert features.hint.endswith("(species is the label)")
    form.set("features", "petal_width, nope")
    assert form.errors["features"] == (
        "input 'features': 'nope' is not a column of input 'labeled_data'; choose among "
        "petal_width, petal_height, sepal_width, sepal_height"
    )
    form.set("features", "petal_width, species")
    assert "'species' is the label column" in form.errors["features"]
    form.set("features", "petal_width,sepal_width")
    assert form.valid and form.inputs()["features"] == ["petal_width", "sepal_width"]


def test_features_follow_their_dataset(iris_catalog):
    form = FormModel(form_model_iris, features=["petal_area"])
    assert "'petal_area' is not a column" in form.errors["features"]
    seen = []
    form.observe(seen.append)
    form.set("labeled_data", iris_catalog.assign(petal_area=1))
    assert seen == [["labeled_data", "features"]]
    assert "petal_area" in form.fields["features"].choices
    assert form.valid and form.inputs()["features"] == ["petal_area"]


def test_label_input_is_excluded_from_features_of_library_workflows(iris_catalog):
    from flowlab.library import workflows

    form = FormModel(workflows.classification, dataset="iris_labeled", label="species")
    assert "species" not in form.fields["features"].choices
    form.set("features", "species")
    assert "'species' is the label column" in form.errors["features"]
    form.set("features", "")
    assert "features" not in form.errors  # optional: every column but the label


def test_a_label_the_dataset_lacks_is_an_error_naming_its_columns(iris_catalog):
    """The classification form refuses a label its dataset has no column for (it launched,
    and the run failed); it offers the dataset's columns and follows a change of dataset."""
    from flowlab.library import workflows

    form = FormModel(workflows.classification, dataset="iris_unlabeled", label="species")
    error = form.errors["label"]
    assert "'species' is not a column of input 'dataset'" in error
    assert "petal_width" in error
    assert form.fields["label"].choices == [
        "petal_width",
        "petal_height",
        "sepal_width",
        "sepal_height",
    ]
    form.set("label", "petal")  # part of a name: the error suggests the columns it matches
    assert "did you mean 'petal_width', 'petal_height'?" in form.errors["label"]
    form.set("dataset", "iris_labeled")
    form.set("label", "species")
    assert "label" not in form.errors and form.valid


def test_column_type_round_trips_through_json():
    from flowlab import types

    column = types.COLUMN(of="dataset", description="the column to predict")
    assert types.from_json(column.to_json()) == column
    assert types.from_json(column.to_json()).of == "dataset"


def test_seed_and_parent_are_advanced_options(form):
    assert set(form.options) == {"seed", "parent"}
    assert all(f.advanced for f in form.options.values())
    assert form.seed is None and "the workflow's own seed" in form.options["seed"].hint
    form.set("seed", "7")
    assert form.seed == 7
    form.set("seed", "-1")
    assert "below the minimum 0" in form.errors["seed"]
    given = FormModel(form_model_iris, features=["petal_width"], seed=11, parent="r-1")
    assert (given.seed, given.parent) == (11, "r-1")
    assert "seed" not in given.inputs()


def test_launch_from_python_runs_the_forms_checks_before_submitting(iris_catalog, store):
    before = len(store.list_runs())
    with pytest.raises(
        FlowTypeError,
        match="input 'features' of workflow 'form_model_iris': 'nope' is not a column of input "
        "'labeled_data'",
    ):
        form_model_iris.launch(
            labeled_data="iris_labeled",
            unlabeled_data="iris_unlabeled",
            features=["petal_width", "nope"],
        )
    with pytest.raises(FlowTypeError, match="'species' is the label column"):
        form_model_iris.compile(
            labeled_data="iris_labeled", unlabeled_data="iris_unlabeled", features=["species"]
        )
    assert len(store.list_runs()) == before


def test_invalid_form_launches_nothing(form, store):
    before = len(store.list_runs())
    form.set("max_depth", "3.7")
    with pytest.raises(FlowTypeError, match="max_depth: input 'max_depth': expected an integer"):
        form.launch()
    assert len(store.list_runs()) == before


def test_flowlab_forms_is_public():
    assert "forms" in flowlab.__all__ and flowlab.forms.FormModel is FormModel
