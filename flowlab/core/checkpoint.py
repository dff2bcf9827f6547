"""Checkpoints inside long operators: a retried or resumed operator continues where it was.

A checkpoint belongs to the operator call's cache key (its code, inputs and seed), so a
retry of the same call, or the same call in a resumed run, finds it. It is removed when the
operator succeeds. The state is pickled: only your own operators read it back.

Example::

    @operator(retries=3)
    def train(epochs: int):
        state = flowlab.checkpoint.load(default={"epoch": 0, "weights": None})
        for epoch in range(state["epoch"], epochs):
            ...
            flowlab.checkpoint.save({"epoch": epoch + 1, "weights": weights})
"""

from __future__ import annotations

import uuid
from typing import Any

from flowlab.core.context import current
from flowlab.errors import FlowlabError


class CheckpointError(FlowlabError, RuntimeError):
    """Checkpoints were used outside a running operator (or with caching turned off)."""


def _location() -> str:
    ctx = current()
    if ctx is None or not ctx.checkpoint:
        raise CheckpointError(
            "flowlab.checkpoint works inside an operator running in a "
            "workflow run with caching on (cache=True)"
        )
    return ctx.checkpoint


def save(state: Any) -> None:
    """Keep ``state`` for this operator call (replaces the previous checkpoint atomically)."""
    import cloudpickle
    import fsspec

    location = _location()
    notes = current().notes
    if notes is not None:
        notes["checkpointed"] = True  # so the checkpoint is removed when the call succeeds
    fs, path = fsspec.core.url_to_fs(location)
    fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
    temporary = f"{path}.{uuid.uuid4().hex}.tmp"
    with fs.open(temporary, "wb") as f:
        f.write(cloudpickle.dumps(state))
    fs.mv(temporary, path)


def load(default: Any = None) -> Any:
    """The last state saved by this operator call, or ``default`` when there is none."""
    import pickle

    import fsspec

    fs, path = fsspec.core.url_to_fs(_location())
    if not fs.exists(path):
        return default
    with fs.open(path, "rb") as f:
        return pickle.loads(f.read())


def clear(location: str) -> None:
    import fsspec

    fs, path = fsspec.core.url_to_fs(location)
    if fs.exists(path):
        fs.rm(path)
