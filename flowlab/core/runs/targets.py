"""TARGET → Workflow: ``package.module:workflow`` or ``path/to/file.py:workflow``.

Used by the CLI (`flowlab submit TARGET`) and by the workflow catalog, which records a
workflow's target so that the dashboard and the Jupyter server can rebuild it.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
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
        raise


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
    spec.loader.exec_module(module)
    # workers cannot import a file by path: its operators travel by value
    send_by_value(module)
    return module
