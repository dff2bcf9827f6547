"""An operator's traceback as its author wants to read it: flowlab's and Dask's frames hidden."""

from __future__ import annotations

import os
import re
import traceback
from collections.abc import Mapping

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


#: the file name cloudpickle gives code it pickled by value (a notebook cell's functions)
PICKLED_CODE = "<dynamic-code>"


def format_exception_with_sources(
    exc: BaseException, sources: Mapping[str, tuple[int, str]]
) -> str:
    """``exc``'s formatted traceback, where a frame of code pickled by value (a function
    defined in a notebook cell, run on a worker: ``File "<dynamic-code>"``, no line) shows
    its source line from ``sources`` (qualified name -> (first line, source)) and names the
    function's cell.

    Example::

        format_exception_with_sources(exc, operator.code.sources)
        # File "<cell defining explode>", line 4, in explode
        #     raise ValueError(f"cannot take {x}")
    """
    try:
        return _format_with_sources(exc, sources)
    except Exception:  # noqa: BLE001 - never lose the error over how it is shown
        return "".join(traceback.format_exception(exc))


def _format_with_sources(exc: BaseException, sources: Mapping[str, tuple[int, str]]) -> str:
    shown = traceback.TracebackException.from_exception(exc)
    seen: set[int] = set()
    current, error = shown, exc
    while current is not None and error is not None and id(current) not in seen:
        seen.add(id(current))
        frames = [frame for frame, _ in traceback.walk_tb(error.__traceback__)]
        if len(frames) == len(current.stack):
            current.stack = traceback.StackSummary.from_list(
                [_with_source(s, f, sources) for s, f in zip(current.stack, frames, strict=True)]
            )
        current, error = (
            (current.__cause__, error.__cause__)
            if current.__cause__ is not None
            else (current.__context__, error.__context__)
        )
    return "".join(shown.format())


def _with_source(summary, frame, sources):
    code = frame.f_code
    if code.co_filename != PICKLED_CODE or code.co_qualname not in sources:
        return summary
    first, source = sources[code.co_qualname]
    lines = source.splitlines()
    index = (summary.lineno or 0) - first
    line = lines[index].strip() if 0 <= index < len(lines) else ""
    name = f"<cell defining {code.co_qualname}>"
    return traceback.FrameSummary(name, summary.lineno, summary.name, line=line)
