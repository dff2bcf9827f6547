"""A run's final record that could not reach its store is kept here until it can.

When a run ends while its store is out of reach (a database restarting, a network cut), the
process tracking it retries for a while; if the store is still away, the record is written to
``$FLOWLAB_HOME/spill/`` (private to the user, mode 0600) and the process may exit. The next
process that opens that store writes it there (``open_store`` calls :func:`replay`), and the
run reads as it really ended. Until then its lease lapses and it reads ``failed``, saying so.

Example::

    spill(store, run_id, text, summary, cache_entries)   # the store is down
    replay(store)                                         # later, in any process: 1 written
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from flowlab.store.config import home


def _directory() -> Path:
    return home() / "spill"


def _tag(store) -> str:
    # the store's URL may hold a password: files name a hash of it
    return hashlib.sha256(str(store.url).encode()).hexdigest()[:16]


def spill(store, run_id: str, text: str, summary: dict, cache_entries: list[dict]) -> Path:
    """Keep a record the store did not take; returns the file."""
    directory = _directory()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{_tag(store)}-{run_id}.json"
    temporary = path.with_suffix(".tmp")
    payload = json.dumps({"id": run_id, "record": text, "summary": summary, "cache": cache_entries})
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as f:
        f.write(payload)
    os.replace(temporary, path)
    return path


def replay(store) -> int:
    """Write every record spilled for ``store`` (then forget it); how many were written.

    A record the store cannot take now stays spilled for the next time."""
    directory = _directory()
    if not directory.is_dir():
        return 0
    written = 0
    for path in sorted(directory.glob(f"{_tag(store)}-*.json")):
        try:
            kept = json.loads(path.read_text())
            store.put_run_json(kept["id"], kept["record"], kept["summary"])
            if kept.get("cache"):
                store.cache_put(kept["cache"])
        except (OSError, ValueError, KeyError):
            continue  # unreadable, or the store is away again: try next time
        except Exception:  # noqa: BLE001 - a store error (driver-specific class): next time
            continue
        path.unlink(missing_ok=True)
        written += 1
    return written
