"""Typeaheads for features: a FEATURES field suggests the columns that complete the name being
typed, and a name typed in part is told what it matches, not that it is wrong; the form still
refuses to launch with it (issue 26, item 6)."""

from __future__ import annotations

import pytest

from flowlab import types, workflow
from flowlab.errors import FlowTypeError
from flowlab.forms import FormModel
from flowlab.forms.suggest import completions, matching, split_last, typing_help
from tests.seed_iris import all_columns

FEATURES = ["petal_width", "petal_height", "sepal_width", "sepal_height"]


@workflow(
    input_schema=types.Schema(
        labeled_data=types.DATASET(schema=all_columns),
        features=types.FEATURES(of="labeled_data", label="species"),
        label=types.COLUMN(of="labeled_data", optional=True),
    )
)
def typeahead_iris(labeled_data, features, label=None):
    return None


@pytest.fixture
def form(iris_catalog):
    return FormModel(typeahead_iris, labeled_data="iris_labeled")


def test_the_last_item_is_the_one_being_typed():
    assert split_last("sepal_width, pet") == (["sepal_width"], "pet")
    assert split_last("sepal_width, ") == (["sepal_width"], "")
    assert split_last("pet") == ([], "pet")


def test_names_starting_with_the_typed_part_come_before_names_holding_it():
    assert matching("WID", FEATURES) == ["petal_width", "sepal_width"]
    assert matching("s", ["sepal_width", "species", "petal_sum"]) == [
        "sepal_width",
        "species",
        "petal_sum",
    ]
    assert matching("", FEATURES) == FEATURES


def test_a_partly_typed_name_is_completed_keeping_the_names_before_it(form):
    assert form.suggestions("features", "sepal_width, pet") == [
        "sepal_width, petal_width",
        "sepal_width, petal_height",
    ]
    assert form.suggestions("features", "pet") == ["petal_width", "petal_height"]


def test_the_names_already_chosen_and_the_label_are_not_suggested(form):
    assert form.suggestions("features", "petal_width, ") == [
        "petal_width, petal_height",
        "petal_width, sepal_width",
        "petal_width, sepal_height",
    ]
    assert form.suggestions("features", "spe") == []  # species is the label
    assert form.suggestions("features", "") == FEATURES


def test_a_whole_name_goes_on_to_the_next_one(form):
    assert form.suggestions("features", "sepal_width") == [
        "sepal_width, petal_width",
        "sepal_width, petal_height",
        "sepal_width, sepal_height",
    ]


def test_suggestions_follow_what_the_field_holds_and_its_dataset(form):
    form.set("labeled_data", "iris_unlabeled")  # does not fit: no columns known
    assert form.suggestions("features", "pet") == []
    form.set("labeled_data", "iris_labeled")
    form.set("features", "sepal_height, sep")
    assert form.suggestions("features") == ["sepal_height, sepal_width"]
    assert form.suggestions("label", "spe") == ["species"]  # a COLUMN: the label is one
    assert form.suggestions("labeled_data", "iris") == []  # no columns offered there


def test_a_partly_typed_name_says_what_it_matches_instead_of_an_error(form):
    form.set("features", "sepal_width, pet")
    assert form.errors["features"] == (
        "input 'features': type a column name: 'pet' matches petal_width, petal_height"
    )
    assert "is not a column" not in form.errors["features"]
    assert form.field("features").incomplete  # views show it as help
    form.set("features", "sepal_width, petal_height")
    assert "features" not in form.errors and form.inputs()["features"] == [
        "sepal_width",
        "petal_height",
    ]


def test_a_partly_typed_name_still_keeps_the_form_from_launching(form, store):
    before = len(store.list_runs())
    form.set("features", "pet")
    assert not form.valid
    with pytest.raises(FlowTypeError, match="features: input 'features': type a column name"):
        form.launch()
    with pytest.raises(FlowTypeError, match="'pet' is not a column of input 'labeled_data'"):
        typeahead_iris.launch(labeled_data="iris_labeled", features=["pet"])
    assert len(store.list_runs()) == before


def test_a_name_matching_no_column_is_still_an_error_naming_the_columns(form):
    form.set("features", "petal_width, nope")
    assert (
        "'nope' is not a column of input 'labeled_data'; choose among" in (form.errors["features"])
    )
    # an earlier name that is wrong: the error is about it, whatever the last one matches
    form.set("features", "nope, pet")
    assert "'nope', 'pet' are not columns" in form.errors["features"]
    form.set("features", "species")
    assert "'species' is the label column" in form.errors["features"]


def test_typing_help_and_completions_leave_json_lists_alone():
    assert typing_help(FEATURES, '["pet"]') is None
    assert completions(FEATURES, '["pet', many=True) == []
    assert typing_help(FEATURES, "pet,") is None  # the next item begun: "pet" is done
    assert typing_help(None, "pet") is None and completions(None, "pet", many=True) == []
