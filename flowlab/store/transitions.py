"""Every change of a run's status, decided in one place.

The engine, sweeps, studies, ``cancel`` and the liveness check (``store.leases``) do not
write a status: they propose an event, and :func:`run_event` decides from the table of
allowed transitions, the way distributed's ``WorkerState.handle_stimulus`` decides a task's
state. An event that does not apply (a late ``fail`` after the run was cancelled, a ``lapse``
of a run that ended meanwhile) changes nothing and says so by returning False.

The statuses: ``queued`` → ``running`` → ``succeeded`` | ``failed`` | ``cancelled``; a study
may ``prune`` a trial (even one that ended); a run whose tracker's lease lapsed is ``failed``
with ``error.lapsed``; its tracker, if it comes back, writes what really happened over it
(``lapsed_failure`` tells such a failure from a real one).

Example::

    record = {"status": "queued"}
    run_event(record, "start")                 # True: running
    run_event(record, "succeed")               # True: succeeded
    run_event(record, "fail", message="late")  # False: an ended run stays as it ended
"""

from __future__ import annotations

import datetime as dt
from typing import Any

#: event -> (the statuses it applies to, the status it leads to)
RUN_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "start": (frozenset({"queued"}), "running"),
    "succeed": (frozenset({"queued", "running"}), "succeeded"),
    "fail": (frozenset({"queued", "running"}), "failed"),
    "cancel": (frozenset({"queued", "running"}), "cancelled"),
    "prune": (frozenset({"queued", "running", "succeeded", "failed"}), "pruned"),
    "lapse": (frozenset({"queued", "running"}), "failed"),
}
LIVE = frozenset({"queued", "running"})


def _now() -> str:
    # the records' own format (core.records.now_iso): dates compare as text in queries
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def allowed(status: str | None, event: str) -> bool:
    """Whether ``event`` applies to a run in ``status``.

    Example::

        allowed("running", "cancel"), allowed("succeeded", "cancel")   # True, False
    """
    if event not in RUN_TRANSITIONS:
        raise ValueError(f"unknown run event {event!r}; events: {', '.join(RUN_TRANSITIONS)}")
    return status in RUN_TRANSITIONS[event][0]


def run_event(
    record: dict,
    event: str,
    *,
    message: str | None = None,
    operator: str | None = None,
    **extra: Any,
) -> bool:
    """Apply ``event`` to the run ``record`` (in place) when the table allows it.

    ``fail``, ``cancel`` and ``lapse`` set ``error`` (``message``, ``operator``); ending
    events set ``ended``; ``start`` sets ``started``. Returns whether the record changed.
    """
    # a run failed only because its tracker vanished can still be cancelled by its owner
    if not allowed(record.get("status"), event) and not (
        event == "cancel" and lapsed_failure(record)
    ):
        return False
    status = RUN_TRANSITIONS[event][1]
    record["status"] = status
    if event == "start":
        record["started"] = record.get("started") or _now()
    else:
        record["ended"] = record.get("ended") or _now()
    if event in ("fail", "cancel", "lapse"):
        default = "the run was cancelled" if event == "cancel" else "the run failed"
        record["error"] = {"operator": operator, "message": message or default, **extra}
        if event == "lapse":
            record["error"]["lapsed"] = True
    elif event == "succeed":
        record["error"] = None
    return True


def lapsed_failure(record: dict) -> bool:
    """Whether ``record`` is failed only because its tracker's lease lapsed."""
    return record.get("status") == "failed" and bool((record.get("error") or {}).get("lapsed"))


def end_operators(record: dict, state: str, error: str) -> None:
    """Every operator not ended yet (queued, running) ends in ``state`` with ``error``."""
    for op in (record.get("operators") or {}).values():
        if op.get("state") in LIVE:
            op.update(state=state, error=error)
