"""The key that says who wrote a stored thing that runs code when it is rebuilt.

A workflow captured by value (a notebook cell's code) or a checkpoint is rebuilt with pickle,
which runs whatever the bytes say. Anyone who can write the shared store could plant such
bytes, so flowlab rebuilds only what carries an HMAC made with a key the reader holds and
the store does not: ``FLOWLAB_KEY`` (any long secret text), else the file ``key`` in
FLOWLAB_HOME (made on first use, mode 0600). A team that wants to rebuild each other's
notebook workflows shares the key on purpose (the same ``FLOWLAB_KEY`` everywhere, kept in
their secret manager, never in the store).

Example::

    signature = sign(b"payload")
    verify(b"payload", signature)          # True
    verify(b"payload", "hmac-sha256:00")   # False
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
from pathlib import Path
from typing import Any

from flowlab.errors import SigningKeyError

ALGORITHM = "hmac-sha256"
KEY_ENV = "FLOWLAB_KEY"
KEY_FILE = "key"


def key_path() -> Path:
    """Where the key file lives: ``$FLOWLAB_HOME/key``."""
    from flowlab.store.config import home

    return home() / KEY_FILE


def signing_key(create: bool = True) -> bytes | None:
    """This user's key: ``FLOWLAB_KEY``, else ``$FLOWLAB_HOME/key`` (made when ``create``).

    Raises :class:`~flowlab.errors.SigningKeyError` naming the file when it can be read by others (as ssh does), so a
    key that leaked is not trusted silently.
    """
    given = os.environ.get(KEY_ENV)
    if given:
        return given.encode()
    path = key_path()
    if not path.exists():
        if not create:
            return None
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: read theirs
        else:
            with os.fdopen(descriptor, "w") as f:
                f.write(secrets.token_hex(32))
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise SigningKeyError(
            f"the signing key {path} can be read by others (mode {mode:o}); "
            f"run `chmod 600 {path}` or set {KEY_ENV}"
        )
    return path.read_text().strip().encode()


def key_id(key: bytes | None = None) -> str:
    """A short public name of the key (its hash's start): says which key signed an entry."""
    key = key if key is not None else signing_key()
    return hashlib.sha256(b"flowlab-key-id:" + key).hexdigest()[:12]


def sign(payload: bytes) -> str:
    """``hmac-sha256:<hex>`` of ``payload`` with this user's key."""
    digest = hmac.new(signing_key(), payload, hashlib.sha256).hexdigest()
    return f"{ALGORITHM}:{digest}"


def verify(payload: bytes, signature: Any) -> bool:
    """Whether ``signature`` was made over ``payload`` with this user's key."""
    if not isinstance(signature, str) or not signature.startswith(f"{ALGORITHM}:"):
        return False
    key = signing_key(create=False)
    if key is None:
        return False
    expected = hmac.new(key, payload, hashlib.sha256).hexdigest()
    return hmac.compare_digest(signature.removeprefix(f"{ALGORITHM}:"), expected)


def canonical(entry: dict, leave_out: tuple[str, ...] = ("signature", "signed_by")) -> bytes:
    """The bytes an entry's signature covers: its JSON with sorted keys, minus the signature.

    Example::

        canonical({"b": 1, "a": 2, "signature": "x"})   # b'{"a":2,"b":1}'
    """
    kept = {k: v for k, v in entry.items() if k not in leave_out}
    return json.dumps(kept, sort_keys=True, separators=(",", ":"), default=str).encode()
