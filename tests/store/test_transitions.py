"""One owner of a run's status: every (status, event) pair of the table, without a cluster."""

from __future__ import annotations

import itertools

import pytest

from flowlab.core.record.records import RUN_STATUSES
from flowlab.store.transitions import (
    RUN_TRANSITIONS,
    allowed,
    lapsed_failure,
    run_event,
)

EXPECTED = {
    ("queued", "start"): "running",
    ("queued", "succeed"): "succeeded",
    ("running", "succeed"): "succeeded",
    ("queued", "fail"): "failed",
    ("running", "fail"): "failed",
    ("queued", "cancel"): "cancelled",
    ("running", "cancel"): "cancelled",
    ("queued", "prune"): "pruned",
    ("running", "prune"): "pruned",
    ("succeeded", "prune"): "pruned",
    ("failed", "prune"): "pruned",
    ("queued", "lapse"): "failed",
    ("running", "lapse"): "failed",
}


@pytest.mark.parametrize(
    ("status", "event"), list(itertools.product(RUN_STATUSES, RUN_TRANSITIONS))
)
def test_each_event_moves_a_run_exactly_as_the_table_says(status, event):
    record = {"status": status, "ended": None, "error": None}
    changed = run_event(record, event, message="why")
    expected = EXPECTED.get((status, event))
    assert changed is (expected is not None)
    assert allowed(status, event) is (expected is not None)
    assert record["status"] == (expected or status)


def test_ending_events_stamp_the_end_and_the_error():
    record = {"status": "running"}
    run_event(record, "fail", operator="train", message="operator 'train' failed: boom")
    assert record["ended"] and record["error"] == {
        "operator": "train",
        "message": "operator 'train' failed: boom",
    }
    started = {"status": "queued"}
    run_event(started, "start")
    assert started["started"] and "ended" not in started


def test_a_lapsed_failure_is_told_from_a_real_one_and_cancellable_by_its_owner():
    record = {"status": "running"}
    run_event(record, "lapse", message="the launcher stopped renewing")
    assert lapsed_failure(record) and record["error"]["lapsed"] is True
    assert run_event(dict(record), "cancel")
    real = {"status": "running"}
    run_event(real, "fail", message="boom")
    assert not lapsed_failure(real) and not run_event(real, "cancel")


def test_an_unknown_event_is_refused_by_name():
    with pytest.raises(ValueError, match="unknown run event 'explode'"):
        run_event({"status": "running"}, "explode")
