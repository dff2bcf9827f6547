"""Queries that can mean nothing are refused with a QueryError naming what is wrong."""

from __future__ import annotations

import pytest

import flowlab
from flowlab.store import open_store
from flowlab.store.query import QueryError, parse


@pytest.fixture
def store(tmp_path):
    store = open_store(f"tinydb://{tmp_path}")
    store.put_run({"id": "r1", "workflow": "w", "inputs": {"a": 1}, "outputs": {}, "tags": []})
    return store


def test_a_bad_order_by_names_the_order_by_value_not_a_made_up_query(store):
    with pytest.raises(QueryError) as info:
        flowlab.runs("", order_by="nonsense.path", store=store)
    message = str(info.value)
    assert "order_by 'nonsense.path'" in message and "unknown field 'nonsense'" in message
    assert "= 0" not in message and info.value.query == "nonsense.path"
    with pytest.raises(QueryError, match="order_by '-outputs.'"):
        flowlab.runs("", order_by="-outputs.", store=store)
    with pytest.raises(QueryError, match="order_by 'tags': cannot order by 'tags'"):
        flowlab.runs("", order_by="tags", store=store)


def test_comparing_a_whole_mapping_is_refused():
    with pytest.raises(QueryError, match="'inputs' is the mapping of a run's inputs") as info:
        parse("inputs = 3")
    assert info.value.column == 1
    with pytest.raises(QueryError, match="'outputs' is the mapping"):
        parse("status = 'ok' and outputs contains 'x'")
    with pytest.raises(QueryError, match="'inputs.a.b': inputs are searched one level deep"):
        parse("inputs.a.b = 1")
    with pytest.raises(QueryError, match="cannot order by|'outputs' is the mapping"):
        parse("order by outputs")


def test_a_date_that_is_not_a_date_is_refused():
    with pytest.raises(QueryError, match="created is a date: expected an ISO date") as info:
        parse('created > "yesterday"')
    assert "found 'yesterday'" in str(info.value) and info.value.column == 1
    with pytest.raises(QueryError, match="ended is a date"):
        parse("ended < 5")
    assert parse('created > "2026-11-01"').where.value == "2026-11-01"
    assert parse('created > "2026-11-01T10:00+01:00"').where.value == "2026-11-01T09:00:00.000Z"


@pytest.mark.parametrize("argument", ["limit", "offset"])
@pytest.mark.parametrize("value", [-5, 2.5, "3", True])
def test_a_negative_or_non_integer_limit_or_offset_is_refused(store, argument, value):
    with pytest.raises(QueryError, match=f"{argument}: expected a whole number ≥ 0, found"):
        flowlab.runs("", store=store, **{argument: value})


@pytest.mark.parametrize(
    "query,message",
    [
        ('seed = "7"', "seed is a number; expected a number"),
        ("status < 3", "status is text; expected a quoted value"),
        ('tags < "a"', "tags is a list of texts"),
        ("tag = 3", "tag is a list of texts"),
        ("outputs.loss contains 3", "contains: expected a text value"),
        ("seed contains '1'", "seed is a number"),
        ("outputs.loss < null", "null only goes with = or !="),
        ("status.x = 'a'", "the field 'status' has no parts"),
    ],
)
def test_comparisons_that_mean_nothing_are_refused(query, message):
    with pytest.raises(QueryError, match=message):
        parse(query)


def test_saving_a_search_with_a_bad_order_is_refused_and_saves_nothing(store):
    searches = flowlab.store.search.SavedSearches(store)
    with pytest.raises(QueryError, match="order_by 'colour'"):
        searches.save("bad", "seed > 1", order_by="colour")
    assert searches.list() == []
