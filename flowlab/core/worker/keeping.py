"""Keeping an operator's outputs for the cache and the record, off the critical path.

A finished operator hands its outputs to its children at once, in memory (Dask moves them);
writing them to artifact files (a DataFrame's parquet, a model's file) happens in a thread of
the worker while the next operators already run, once per output. The run's tracker hears of
each kept output through a worker event, and before the run ends asks the worker for any it
has not heard of yet (:func:`kept_outputs`, which waits for that thread).
"""

from __future__ import annotations

import collections
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="flowlab-keep")
_PENDING: collections.OrderedDict[tuple[str, str], Future] = collections.OrderedDict()
_LOCK = threading.Lock()
_REMEMBERED = 4096  # a tracker that heard the worker event never asks; forget old entries


def keep_outputs(declared, outputs: dict, artifacts_root: str) -> dict | None:
    """The record form of each output (inline JSON or an artifact file), or None when one
    cannot be recorded exactly (then no cache entry is made)."""
    from flowlab.store.artifacts import ArtifactStore
    from flowlab.store.values import dump_value
    from flowlab.types.base import NotRecordable

    artifacts = ArtifactStore(artifacts_root)
    kept = {}
    for name, value in outputs.items():
        try:
            kept[name] = dump_value(declared.get(name), value, artifacts, exact=True)
        except NotRecordable:
            return None  # a value the record cannot hold exactly: no cache entry
    return kept


def keep_later(meta: dict, declared, outputs: dict, artifacts_root: str, report) -> None:
    """Start keeping ``outputs`` in a thread; ``report(message)`` tells the tracker when done."""

    def work():
        kept = keep_outputs(declared, outputs, artifacts_root)
        report(
            {
                "node": meta["node"],
                "state": "kept",
                "outputs": kept,
                "cache_key": meta.get("cache_key"),
            }
        )
        return kept

    with _LOCK:
        _PENDING[(meta["run"], meta["node"])] = _POOL.submit(work)
        while len(_PENDING) > _REMEMBERED:
            _PENDING.popitem(last=False)


def kept_outputs(envelope: dict) -> dict | None:
    """Run by the tracker on the worker holding ``envelope``: the kept outputs' record form,
    once written (keeps them here if this worker did not start it, e.g. a replica)."""
    meta = envelope["meta"]
    with _LOCK:
        job = _PENDING.pop((meta["run"], meta["node"]), None)
    if job is not None:
        return job.result()
    keep = envelope.get("keep")
    if keep is None:
        return None
    return keep_outputs(keep["declared"], envelope["outputs"], keep["root"])


def value_size(value: Any) -> int:
    """Bytes Dask thinks ``value`` takes (to decide scattering an input)."""
    from dask.sizeof import sizeof

    try:
        return int(sizeof(value))
    except Exception:
        return 0
