"""Liveness by lease: a live run whose tracker stopped renewing its lease reads failed in every
listing and query of every backend, naming what stopped, without anyone opening it."""

from __future__ import annotations

import datetime as dt

from flowlab.store.leases import effective, lapsed_reason, mark_lapsed, new_lease
from flowlab.store.query import parse


def _record(run_id: str, status: str, lease: dict | None) -> dict:
    return {
        "id": run_id,
        "workflow": "w",
        "status": status,
        "created": "2026-12-07T00:00:00+00:00",
        "operators": {"a": {"state": "running"}},
        "lease": lease,
    }


def _elsewhere(seconds_ago: float, holder: str = "keeper") -> dict:
    """A lease held on another host (its pid cannot be checked here)."""
    until = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds_ago)
    return {"holder": holder, "host": "another-host", "pid": 4242, "until": until.isoformat()}


def test_a_renewed_lease_keeps_the_run_live():
    assert lapsed_reason(_record("r", "running", new_lease("launcher"))) is None


def test_a_lapsed_lease_on_another_host_names_the_holder():
    reason = lapsed_reason(_record("r", "running", _elsewhere(5)))
    assert "the keeper (pid 4242 on another-host) stopped renewing" in reason


def test_a_lease_of_a_dead_process_on_this_host_lapses_at_once():
    lease = {**new_lease("launcher"), "pid": 2**22 + 12345}  # no such process
    assert "ended before the run did" in lapsed_reason(_record("r", "queued", lease))


def test_an_ended_run_never_lapses():
    assert lapsed_reason(_record("r", "succeeded", _elsewhere(5))) is None


def test_marking_a_lapsed_run_fails_it_and_cancels_its_live_operators():
    record = _record("r", "running", _elsewhere(5))
    mark_lapsed(record)
    assert record["status"] == "failed" and record["error"]["lapsed"] is True
    assert record["operators"]["a"]["state"] == "cancelled"
    assert effective({"id": "r", "status": "running", "lease": _elsewhere(5)})["status"] == "failed"


def test_every_backend_lists_a_lapsed_run_as_failed(any_store):
    any_store.put_run(_record("lapsed", "running", _elsewhere(5)))
    any_store.put_run(_record("alive", "running", {**_elsewhere(-600), "holder": "launcher"}))
    live = {s["id"] for s in any_store.search(parse('status = "running" or status = "queued"'))}
    assert live == {"alive"}
    failed = any_store.search(parse('status = "failed"'))
    assert [s["id"] for s in failed] == ["lapsed"]
    assert failed[0]["status"] == "failed"
    assert any_store.count(parse('status = "running"')) == 1
