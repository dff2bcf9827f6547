"""Where flowlab keeps things: FLOWLAB_HOME (default ./.flowlab), FLOWLAB_STORE, FLOWLAB_ARTIFACTS."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """The directory of the default store and artifacts (created on first use)."""
    path = Path(os.environ.get("FLOWLAB_HOME") or Path.cwd() / ".flowlab").absolute()
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_url() -> str:
    return os.environ.get("FLOWLAB_STORE") or f"tinydb://{home()}"


def artifacts_url() -> str:
    return os.environ.get("FLOWLAB_ARTIFACTS") or str(home() / "artifacts")
