"""The workflow catalog: what each launched or registered workflow needs to be rebuilt elsewhere.

A workflow defined in one process (a notebook kernel, a script) is launched from another
(the dashboard's Launch page, the Jupyter server's REST API, the CLI) by rebuilding it from
its catalog entry, kept in the run store under the entry kind ``"workflows"``:

- ``target``: ``package.module:name`` or ``/abs/path/file.py:name`` when the workflow lives
  in an importable module or a file; rebuilt by importing it (the code as it is now).
- ``pickled``: otherwise (a notebook cell, ``__main__``) the workflow captured by value with
  cloudpickle, with the operators it calls; rebuilt by unpickling (the code as it was when
  recorded), in the same Python minor version.
- ``reason``: why neither works, when neither does; :func:`rebuild_workflow` raises
  :class:`WorkflowNotRebuildable` with it, so a page can say so instead of failing.

Entries are written by :meth:`Workflow.register` and, once per process and workflow, when a
workflow is launched. :func:`workflow_catalog` lists them, with the workflows defined in
this process.

Example::

    iris.register()                          # or simply iris.launch(...)
    [e["name"] for e in workflow_catalog()]  # ['iris', ...]
    wf = rebuild_workflow("iris")            # a Workflow, in another process
"""

from __future__ import annotations

import base64
import datetime as _dt
import sys
import threading
from typing import Any

from flowlab.errors import FlowlabError

KIND = "workflows"
# a workflow captured by value carries the globals its body uses: refuse to store a big one
MAX_PICKLED_BYTES = 4 * 1024 * 1024

_recorded: set[tuple[str, str, int]] = set()
_lock = threading.Lock()


class WorkflowNotRebuildable(FlowlabError, LookupError):
    """A catalog workflow that cannot be rebuilt outside the process that defined it."""


def entry_of(workflow) -> dict:
    """The catalog entry of ``workflow``: name, inputs' JSON Schema, and how to rebuild it.

    Example::

        entry_of(iris)["target"]   # 'mypkg.flows:iris', or None for a notebook workflow
    """
    entry: dict[str, Any] = {
        "name": workflow.name,
        "description": (workflow.description or "").strip(),
        "inputs": {name: t.json_schema() for name, t in workflow.input_schema.items()},
        "source": workflow.source(),
        "target": _target_of(workflow),
        "pickled": None,
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
        "recorded": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "reason": None,
    }
    if entry["target"] is None:
        entry["pickled"], entry["reason"] = _pickled(workflow)
    return entry


def record_workflow(workflow, store=None) -> dict:
    """Write ``workflow``'s catalog entry to ``store`` (the configured one by default)."""
    from flowlab.store import get_store

    store = store or get_store()
    entry = entry_of(workflow)
    store.put_entry(KIND, workflow.name, entry)
    with _lock:
        _recorded.add((store.url, workflow.name, id(workflow)))
    return entry


def record_once(workflow, store=None) -> None:
    """Record ``workflow`` unless this process already did for this store (launch calls it).

    Never fails a launch: a workflow that cannot be recorded is simply not in the catalog."""
    from flowlab.store import get_store

    try:
        store = store or get_store()
        with _lock:
            if (store.url, workflow.name, id(workflow)) in _recorded:
                return
        record_workflow(workflow, store)
    except Exception:  # noqa: BLE001 - the catalog is a convenience; the run must go on
        return


def workflow_catalog(store=None) -> list[dict]:
    """Every workflow that can be launched: the catalog's entries and this process's own.

    Each item is an entry (see :func:`entry_of`) plus ``rebuildable`` (bool). Sorted by name.
    A workflow defined in this process wins over a stored entry of the same name.
    """
    from flowlab.core.workflow import registered_workflows
    from flowlab.store import get_store

    store = store or get_store()
    found = {e["name"]: e for e in store.list_entries(KIND)}
    for name, wf in registered_workflows().items():
        if name not in found or found[name].get("source") != wf.source():
            found[name] = entry_of(wf)
    for entry in found.values():
        entry["rebuildable"] = bool(entry.get("target") or entry.get("pickled"))
    return [found[k] for k in sorted(found)]


def rebuild_workflow(name_or_entry: str | dict, store=None):
    """The Workflow a catalog entry describes, rebuilt in this process.

    Raises :class:`WorkflowNotRebuildable` naming the workflow and the reason (unknown name,
    a notebook workflow that could not be captured, an import that fails now).

    Example::

        wf = rebuild_workflow("iris")
        run = wf.launch(labeled_data="iris_labeled")
    """
    from flowlab.core.workflow import Workflow, registered_workflows
    from flowlab.store import get_store

    entry = name_or_entry
    if isinstance(name_or_entry, str):
        local = registered_workflows().get(name_or_entry)
        if local is not None:
            return local
        entry = (store or get_store()).get_entry(KIND, name_or_entry)
        if entry is None:
            known = ", ".join(e["name"] for e in workflow_catalog(store)) or "none"
            raise WorkflowNotRebuildable(
                f"workflow '{name_or_entry}' is not in the catalog (known: {known}); "
                "launch it once or call .register() where it is defined"
            )
    name = entry["name"]
    if entry.get("target"):
        from flowlab.core.targets import load_workflow

        try:
            return load_workflow(entry["target"])
        except Exception as exc:  # noqa: BLE001 - any import error is the reason to report
            raise WorkflowNotRebuildable(
                f"workflow '{name}': importing {entry['target']} failed: {exc}"
            ) from exc
    if entry.get("pickled"):
        python = f"{sys.version_info.major}.{sys.version_info.minor}"
        if entry.get("python") not in (None, python):
            raise WorkflowNotRebuildable(
                f"workflow '{name}' was captured under Python {entry['python']}; this is "
                f"Python {python}: launch it again from its notebook to record it here"
            )
        import cloudpickle

        try:
            workflow = cloudpickle.loads(base64.b64decode(entry["pickled"]))
        except Exception as exc:  # noqa: BLE001
            raise WorkflowNotRebuildable(
                f"workflow '{name}' was defined in a notebook and its captured code no longer "
                f"loads here ({type(exc).__name__}: {exc}); run its cell and launch it again"
            ) from exc
        if not isinstance(workflow, Workflow):
            raise WorkflowNotRebuildable(f"workflow '{name}': the captured object is not one")
        return workflow
    raise WorkflowNotRebuildable(
        f"workflow '{name}' cannot be rebuilt outside the kernel that defined it: "
        f"{entry.get('reason') or 'nothing was recorded to rebuild it'}"
    )


def _target_of(workflow) -> str | None:
    module = sys.modules.get(getattr(workflow.fn, "__module__", None) or "")
    if module is None or module.__name__ == "__main__":
        return None
    attr = next((k for k, v in vars(module).items() if v is workflow), None)
    if attr is None:
        return None
    if getattr(module, "__flowlab_by_value__", False):
        path = getattr(module, "__file__", None)
        return f"{path}:{attr}" if path else None
    return f"{module.__name__}:{attr}"


def _pickled(workflow) -> tuple[str | None, str | None]:
    import cloudpickle

    try:
        data = cloudpickle.dumps(workflow)
    except Exception as exc:  # noqa: BLE001 - the reason is what the user needs
        return None, (
            f"it was defined in a notebook and could not be captured "
            f"({type(exc).__name__}: {exc}); move it to a module or a .py file"
        )
    if len(data) > MAX_PICKLED_BYTES:
        return None, (
            f"it was defined in a notebook and captures {len(data) // 1024} KiB of data from "
            f"the notebook's globals (limit {MAX_PICKLED_BYTES // 1024} KiB); pass data as "
            "inputs, or move it to a module"
        )
    return base64.b64encode(data).decode(), None
