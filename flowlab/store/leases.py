"""Is a run still followed? Answered by a lease in its record, for every reader on any host.

Whoever tracks a run (the launching process, or the keeper beside a persistent cluster's
scheduler) renews ``lease = {"holder", "host", "pid", "until"}`` in the run's record every few
seconds. A run still ``queued`` or ``running`` whose lease has passed can never finish: every
listing, count, query and view reads it as ``failed``, with a reason naming what stopped
(the launcher or the keeper, which pid on which host), without anyone opening it. A reader
with write access records it so; one without still sees it failed in what it lists.

When the holder comes back (the store was unreachable longer than the lease), its next write
wins: a failure written only because the lease lapsed is marked ``lapsed`` and is not kept
over the tracker's own status.

Example::

    record["lease"] = new_lease("launcher")
    lapsed_reason(record)        # None while renewed; a sentence once it passed
    effective(summary)["status"] # 'failed' for a run whose tracker died
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import time
import weakref
from typing import Any

from flowlab.store.transitions import end_operators, run_event

#: seconds a lease lasts; its holder renews it every LEASE_SECONDS / 5
LEASE_SECONDS = float(os.environ.get("FLOWLAB_LEASE_SECONDS", "30"))
LIVE = ("queued", "running")
#: a store expires lapsed runs at most this often (listings are frequent)
EXPIRE_EVERY_SECONDS = 2.0


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_lease(holder: str, seconds: float | None = None) -> dict:
    """A lease held by this process for ``seconds`` (``LEASE_SECONDS`` by default).

    Example::

        new_lease("keeper")["until"]   # '2026-12-07T05:30:12.345678+00:00'
    """
    until = _now() + dt.timedelta(seconds=seconds or LEASE_SECONDS)
    return {
        "holder": holder,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "until": until.isoformat(),
    }


def lapsed_reason(record: dict, now: dt.datetime | None = None) -> str | None:
    """Why a live run (``queued``/``running``) can no longer finish, or None.

    A lease that passed, or a holder on this host whose process is gone. A record without a
    lease (written before leases, or a sweep's) falls back to its launcher's pid on this host.
    """
    if record.get("status") not in LIVE:
        return None
    lease = record.get("lease")
    if not isinstance(lease, dict):
        launcher = record.get("launcher") or {}
        if isinstance(launcher, dict) and not _alive_here(launcher):
            return (
                f"the process that launched this run (pid {launcher.get('pid')} on "
                f"{launcher.get('host')}) ended before the run did"
            )
        return None
    holder = lease.get("holder") or "launcher"
    who = f"the {holder} (pid {lease.get('pid')} on {lease.get('host')})"
    if not _alive_here(lease):
        return f"{who} that tracked this run ended before the run did"
    try:
        until = dt.datetime.fromisoformat(str(lease.get("until")))
    except ValueError:
        return None
    if until < (now or _now()):
        return (
            f"{who} stopped renewing this run's lease at {until.isoformat(timespec='seconds')} "
            "(it died, or lost the store)"
        )
    return None


def mark_lapsed(record: dict, reason: str | None = None) -> None:
    """Record a run whose tracker is gone as failed (operators not ended: cancelled)."""
    reason = reason or lapsed_reason(record)
    if reason is None:
        return  # finished, or renewed, meanwhile
    if run_event(record, "lapse", message=f"{reason}; resume() reruns what did not finish"):
        end_operators(record, "cancelled", "the run's tracker ended")


def effective(summary: dict, now: dt.datetime | None = None) -> dict:
    """``summary`` as readers must see it: a live run whose lease lapsed reads ``failed``."""
    reason = lapsed_reason(summary, now)
    if reason is None:
        return summary
    return {
        **summary,
        "status": "failed",
        "error": {"operator": None, "message": reason, "lapsed": True},
    }


_last_expiry: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_expiring = threading.local()


def expire_lapsed(store, live_summaries) -> None:
    """Record as failed every live run of ``store`` whose lease lapsed (at most every
    ``EXPIRE_EVERY_SECONDS`` per store; a store this process cannot write is left as it is,
    and its readers still see the runs failed through :func:`effective`).

    ``live_summaries()`` gives the summaries of the store's queued and running runs.
    """
    if getattr(_expiring, "active", False):
        return
    now = time.monotonic()
    if now - _last_expiry.get(store, -1e9) < EXPIRE_EVERY_SECONDS:
        return
    _last_expiry[store] = now
    _expiring.active = True
    try:
        for summary in live_summaries():
            if lapsed_reason(summary) is not None:
                store.update_run(summary["id"], mark_lapsed)
    except Exception:  # noqa: BLE001 - a read-only or unreachable store: readers still see it
        pass
    finally:
        _expiring.active = False


def _alive_here(holder: dict) -> bool:
    """False only when ``holder`` names a process on this host that no longer exists."""
    if holder.get("host") != socket.gethostname():
        return True
    try:
        os.kill(int(holder["pid"]), 0)
        return True
    except (ProcessLookupError, KeyError, TypeError, ValueError):
        return False
    except PermissionError:
        return True


def lease_holder(launcher: Any) -> str:
    """What the record's ``launcher`` is: ``keeper`` (beside a scheduler) or ``launcher``."""
    return "keeper" if isinstance(launcher, dict) and launcher.get("scheduler") else "launcher"
