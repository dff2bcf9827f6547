"""TARGET → Workflow: ``package.module:workflow`` or ``path/to/file.py:workflow``.

Used by the CLI (`flowlab submit TARGET`) and by the workflow catalog, which records a
workflow's target so that the dashboard and the Jupyter server can rebuild it.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import sysconfig
import traceback
from pathlib import Path

from flowlab.errors import FlowlabError


class TargetError(FlowlabError, LookupError):
    """A submit TARGET that names no workflow (says which part was wrong)."""


def load_workflow(target: str):
    """The workflow ``target`` names; raise TargetError naming the module, file or workflow.

    Example::

        load_workflow("flowlab.library.workflows:classification")
        load_workflow("flows.py:iris")
    """
    from flowlab.core.definition.workflow import Workflow

    module_text, sep, name = target.rpartition(":")
    if not sep or not module_text or not name:
        raise TargetError(
            f"target {target!r}: expected module:workflow or path/to/file.py:workflow"
        )
    module = _load_module(module_text)
    found = getattr(module, name, None)
    if not isinstance(found, Workflow):
        defined = [k for k, v in vars(module).items() if isinstance(v, Workflow)]
        what = "is not a workflow" if found is not None else "is not defined there"
        raise TargetError(
            f"target {target!r}: '{name}' {what}; {module_text} defines "
            f"{', '.join(defined) or 'no workflows'}"
        )
    return found


def workflows_in(module_text: str) -> dict:
    """name → Workflow for every workflow a module or file defines."""
    from flowlab.core.definition.workflow import Workflow

    module = _load_module(module_text)
    return {v.name: v for v in vars(module).values() if isinstance(v, Workflow)}


def _load_module(text: str):
    if text.endswith(".py") or "/" in text or "\\" in text:
        return _load_file(Path(text))
    try:
        return importlib.import_module(text)
    except ModuleNotFoundError as exc:
        if exc.name and text.startswith(exc.name):
            raise TargetError(
                f"module {text!r} not found (no {exc.name!r} on the Python path; "
                "give a file as path/to/file.py:workflow, or install the package)"
            ) from None
        raise TargetError(load_failure(f"module {text!r}", None, exc)) from exc
    except Exception as exc:  # noqa: BLE001 - whatever its code raised is the reason to report
        raise TargetError(load_failure(f"module {text!r}", None, exc)) from exc


def _load_file(path: Path):
    from flowlab.core.definition.operator import send_by_value

    path = path.expanduser().absolute()
    if not path.is_file():
        raise TargetError(f"file {str(path)!r} does not exist")
    name = f"flowlab_target_{path.stem}"
    if name in sys.modules and getattr(sys.modules[name], "__file__", None) == str(path):
        return sys.modules[name]
    # its sibling modules import as they would when running the file
    sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - a syntax or import error, or what its code raised
        del sys.modules[name]  # half loaded: the next load starts again
        raise TargetError(load_failure(f"file {str(path)!r}", str(path), exc)) from exc
    # workers cannot import a file by path: its operators travel by value
    send_by_value(module)
    return module


def load_failure(what: str, path: str | None, exc: BaseException) -> str:
    """One line saying why loading ``what`` failed: where (file and line) and the error.

    ``path`` is the target's file, named once: a line in it reads ``line 3``, a line of
    another file (a module it imports) ``'/abs/helper.py', line 3``.

    Example::

        load_failure("file '/w/flows.py'", "/w/flows.py", exc)
        # "cannot load file '/w/flows.py': line 3: SyntaxError: '(' was never closed"
    """
    found = _error_place(exc)
    if found is None:
        place = ""
    elif found[0] == path:
        place = f"line {found[1]}: "
    else:
        place = f"{found[0]!r}, line {found[1]}: "
    message = exc.msg if isinstance(exc, SyntaxError) else str(exc)
    message = " ".join(str(message).split()) or "(no message)"
    return f"cannot load {what}: {place}{type(exc).__name__}: {message}"


def _error_place(exc: BaseException) -> tuple[str, int] | None:
    """(file, line) of the code that failed: a syntax error's own place, else the innermost
    frame of the user's code (not flowlab's, the standard library's or an installed
    library's, unless nothing else is left)."""
    if isinstance(exc, SyntaxError) and exc.filename and exc.lineno:
        return exc.filename, exc.lineno
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if not f.filename.startswith("<") and not _under(f.filename, _FLOWLAB, _STDLIB)
    ]
    users = [f for f in frames if not _under(f.filename, *_INSTALLED)]
    chosen = (users or frames)[-1:] or [None]
    return (chosen[0].filename, chosen[0].lineno) if chosen[0] else None


def _under(filename: str, *roots: str) -> bool:
    return any(root and filename.startswith(root + os.sep) for root in roots)


_FLOWLAB = str(Path(__file__).resolve().parents[2])
_STDLIB = sysconfig.get_paths().get("stdlib", "")
_INSTALLED = tuple({sysconfig.get_paths().get(k, "") for k in ("purelib", "platlib")})
