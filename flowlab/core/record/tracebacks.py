"""An operator's traceback as its author wants to read it: flowlab's and Dask's frames hidden."""

from __future__ import annotations

import os
import re

# flowlab/ (this file is flowlab/core/record/tracebacks.py)
_FLOWLAB = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# flowlab's machinery, not the library's operators (whose code is the operator's own)
_INTERNAL = (
    *(os.path.join(_FLOWLAB, part) + os.sep for part in ("core", "types", "store")),
    os.path.join(_FLOWLAB, "errors.py"),
)
_THIRD_PARTY = (f"{os.sep}distributed{os.sep}", f"{os.sep}dask{os.sep}", f"{os.sep}tornado{os.sep}")
_FRAME = re.compile(r'^  File "(?P<file>[^"]+)", line \d+')


def _internal(path: str) -> bool:
    path = os.path.abspath(path) if not path.startswith("<") else path
    return (
        path.startswith(_INTERNAL)
        or path == _INTERNAL[-1][:-1]
        or any(part in path for part in _THIRD_PARTY)
    )


def operator_traceback(text: str | None) -> str:
    """``text`` (a formatted traceback) without the frames of flowlab's machinery and Dask.

    The first line and the exception lines stay; a note says how many frames were hidden.

    Example::

        operator_traceback(run.operators["explode"].traceback)
    """
    if not text:
        return ""
    lines = text.splitlines()
    kept, hidden, skipping = [], 0, False
    for line in lines:
        match = _FRAME.match(line)
        if match:
            skipping = _internal(match.group("file"))
            hidden += skipping
            if not skipping:
                kept.append(line)
            continue
        if skipping and (line.startswith("    ") or line.strip().startswith(("^", "~"))):
            continue  # the source line (and carets) of a hidden frame
        skipping = False
        kept.append(line)
    if hidden:
        kept.insert(1 if kept else 0, f"  [{hidden} frame(s) of flowlab and Dask hidden]")
    return "\n".join(kept)


def error_line(text: str | None, fallback: str = "") -> str:
    """The last line of a traceback (``ValueError: cannot take 3.0``), or ``fallback``."""
    for line in reversed((text or "").splitlines()):
        if line.strip() and not line.startswith(" "):
            return line.strip()
    return fallback
