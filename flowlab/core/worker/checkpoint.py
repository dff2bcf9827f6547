"""Checkpoints inside long operators: a retried or resumed operator continues where it was.

A checkpoint belongs to the operator call's cache key (its code, inputs and seed), so a
retry of the same call, or the same call in a resumed run, finds it. It is removed when the
operator succeeds. The state is pickled, so the file carries an HMAC made with your key
(``flowlab.store.signing``): a checkpoint somebody else put in the artifact location is never
unpickled; it is ignored with a warning naming the file, and the operator starts afresh.
Workers on other hosts need the same ``FLOWLAB_KEY`` to resume each other's checkpoints.

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
import warnings
from typing import Any

from flowlab.core.definition.context import current
from flowlab.errors import FlowlabError, Untrusted

#: a checkpoint file: this line, the signature line, then the pickled state
MAGIC = b"flowlab-checkpoint-1\n"


class UntrustedCheckpoint(Untrusted, UserWarning):
    """A checkpoint file not signed with this user's key: ignored, never unpickled."""


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
    from flowlab.store.signing import sign

    payload = cloudpickle.dumps(state)
    temporary = f"{path}.{uuid.uuid4().hex}.tmp"
    with fs.open(temporary, "wb") as f:
        f.write(MAGIC + sign(payload).encode() + b"\n" + payload)
    fs.mv(temporary, path)


def load(default: Any = None) -> Any:
    """The last state saved by this operator call, or ``default`` when there is none."""
    import pickle

    import fsspec

    from flowlab.store.signing import verify

    location = _location()
    fs, path = fsspec.core.url_to_fs(location)
    if not fs.exists(path):
        return default
    with fs.open(path, "rb") as f:
        data = f.read()
    signature, _, payload = data.removeprefix(MAGIC).partition(b"\n")
    if not data.startswith(MAGIC) or not verify(payload, signature.decode("ascii", "replace")):
        warnings.warn(
            UntrustedCheckpoint(
                f"checkpoint {location} is not signed with your key (somebody else wrote it, "
                "or a worker with another FLOWLAB_KEY): ignored, not loaded; the operator "
                "starts from the beginning"
            ),
            stacklevel=2,
        )
        return default
    return pickle.loads(payload)


def clear(location: str) -> None:
    import fsspec

    fs, path = fsspec.core.url_to_fs(location)
    if fs.exists(path):
        fs.rm(path)
