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
- ``signature``: an HMAC of the entry with its writer's key (``flowlab.store.signing``).

Anyone who can write the store can write an entry, so reading one never runs code: a form is
built from the entry's JSON (:class:`StoredWorkflow`), and rebuilding (to launch, rerun or
resume) runs an entry's code only when its author is authenticated: a captured (``pickled``)
entry or a file target must carry a signature made with the reader's key (or the file must
lie under a directory in ``FLOWLAB_WORKFLOW_PATH``); a module target is imported only when it
is an importable module name (installed code is trusted). Anything else raises
:class:`UnsignedWorkflow` naming the workflow and how to record it again.

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
import inspect
import json
import os
import re
import sys
import threading
from pathlib import Path
from typing import Any

from flowlab.errors import FlowlabError, Untrusted

KIND = "workflows"
# a workflow captured by value carries the globals its body uses: refuse to store a big one
MAX_PICKLED_BYTES = 4 * 1024 * 1024

_recorded: set[tuple[str, str, int]] = set()
_lock = threading.Lock()


_MODULE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
#: directories whose files a catalog entry may name as its target without a signature
PATH_ENV = "FLOWLAB_WORKFLOW_PATH"


class WorkflowNotRebuildable(FlowlabError, LookupError):
    """A catalog workflow that cannot be rebuilt outside the process that defined it."""


class UnsignedWorkflow(WorkflowNotRebuildable, Untrusted):
    """A catalog entry whose code would run, written by someone this reader cannot
    authenticate (no signature, or one made with another key). Nothing of it ran."""


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
        "defaults": _defaults(workflow),
    }
    if entry["target"] is None:
        entry["pickled"], entry["reason"] = _pickled(workflow)
    return entry


def signed(entry: dict) -> dict:
    """``entry`` with its signature: an HMAC with this user's key over everything else.

    Example::

        is_authentic(signed(entry_of(iris)))   # True
    """
    from flowlab.store.signing import canonical, key_id, sign

    entry = {k: v for k, v in entry.items() if k not in ("signature", "signed_by")}
    entry["signed_by"] = key_id()
    entry["signature"] = sign(canonical(entry))
    return entry


def is_authentic(entry: dict) -> bool:
    """Whether ``entry`` carries a valid signature made with this reader's key."""
    from flowlab.store.signing import canonical, verify

    return verify(canonical(entry), entry.get("signature"))


def record_workflow(workflow, store=None) -> dict:
    """Write ``workflow``'s catalog entry to ``store`` (the configured one by default)."""
    from flowlab.store import get_store

    store = store or get_store()
    entry = signed(entry_of(workflow))
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

    Each item is an entry (see :func:`entry_of`) plus ``rebuildable`` (bool: this reader
    would rebuild it; deciding runs no code) and, when not, ``reason``. Sorted by name. A
    workflow defined in this process wins over a stored entry of the same name.
    """
    from flowlab.core.definition.workflow import registered_workflows
    from flowlab.store import get_store

    store = store or get_store()
    found = {e["name"]: e for e in store.list_entries(KIND)}
    for name, wf in registered_workflows().items():
        if name not in found or found[name].get("source") != wf.source():
            found[name] = {**entry_of(wf), "local": True}
    for entry in found.values():
        refusal = None if entry.get("local") else _refusal(entry)
        entry["rebuildable"] = bool(entry.get("target") or entry.get("pickled")) and not refusal
        if refusal:
            entry["reason"] = refusal
    return [found[k] for k in sorted(found)]


def rebuild_workflow(name_or_entry: str | dict, store=None):
    """The Workflow a catalog entry describes, rebuilt in this process.

    Raises :class:`WorkflowNotRebuildable` naming the workflow and the reason (unknown name,
    a notebook workflow that could not be captured, an import that fails now).

    Example::

        wf = rebuild_workflow("iris")
        run = wf.launch(labeled_data="iris_labeled")
    """
    from flowlab.core.definition.workflow import Workflow

    entry = name_or_entry
    if isinstance(name_or_entry, str):
        entry = _local_or_entry(name_or_entry, store)
        if isinstance(entry, Workflow):
            return entry
    name = entry["name"]
    refusal = _refusal(entry)
    if refusal:
        raise UnsignedWorkflow(refusal)
    if entry.get("target"):
        from flowlab.core.runs.targets import load_workflow

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


def _refusal(entry: dict) -> str | None:
    """Why this reader must not run ``entry``'s code (None: it may). Runs no code."""
    name, target = entry.get("name"), entry.get("target")
    if target:
        module_text = str(target).rpartition(":")[0]
        if _MODULE_NAME.match(module_text) and not module_text.endswith(".py"):
            return None  # an installed module: the reader's own packages are trusted
        if is_authentic(entry) or _under_workflow_path(module_text):
            return None
        return (
            f"workflow '{name}': its catalog entry names the file {module_text!r}, and it is "
            f"not signed with your key: flowlab does not import a file the store names. If "
            f"you trust that file, add its directory to {PATH_ENV}; or run "
            f"`{name}.register()` where the workflow is defined (with your key, or your "
            "team's FLOWLAB_KEY) to record it again"
        )
    if entry.get("pickled") and not is_authentic(entry):
        return (
            f"workflow '{name}': its catalog entry holds code captured from a notebook and is "
            "not signed with your key (it was recorded by someone else, or changed since), so "
            f"flowlab will not run it. Run `{name}.register()` in the notebook that defines it "
            "to record it again; a team that rebuilds each other's notebook workflows shares "
            "one FLOWLAB_KEY (see the Security page)"
        )
    return None


def _under_workflow_path(path_text: str) -> bool:
    allowed = [Path(p).resolve() for p in os.environ.get(PATH_ENV, "").split(os.pathsep) if p]
    try:
        path = Path(path_text).expanduser().resolve()
    except (OSError, RuntimeError):
        return False
    return any(path.is_relative_to(directory) for directory in allowed)


def _defaults(workflow) -> dict:
    """The workflow's signature defaults that JSON holds (a form shows them)."""
    found = {}
    for name, param in workflow.signature.parameters.items():
        if param.default is inspect.Parameter.empty:
            continue
        try:
            json.dumps(param.default)
        except (TypeError, ValueError):
            continue
        found[name] = param.default
    return found


class StoredWorkflow:
    """A catalog entry seen as a workflow's description: its name, inputs, defaults and
    description, built from the entry's JSON alone, so showing it or filling its form runs
    no code. Launching it rebuilds the workflow (:func:`rebuild_workflow`, which authenticates
    the entry first) and launches that.

    Example::

        form = FormModel(StoredWorkflow(entry))      # nothing of the entry's code ran
        run = form.launch()                          # rebuilds it, if its author is trusted
    """

    def __init__(self, entry: dict, store=None):
        from flowlab.types import from_json

        self.entry, self._store = entry, store
        self.name = entry["name"]
        self.description = entry.get("description") or ""
        self.input_schema = {
            name: from_json(schema) for name, schema in (entry.get("inputs") or {}).items()
        }
        defaults = entry.get("defaults") or {}
        self.signature = inspect.Signature(
            [
                inspect.Parameter(
                    name,
                    inspect.Parameter.KEYWORD_ONLY,
                    default=defaults.get(name, inspect.Parameter.empty),
                )
                for name in self.input_schema
            ]
        )

    def workflow(self):
        """The Workflow itself, rebuilt (UnsignedWorkflow when its author is not trusted)."""
        return rebuild_workflow(self.entry, self._store)

    def __repr__(self) -> str:
        return f"StoredWorkflow({self.name!r})"


def stored_workflow(name: str, store=None):
    """The workflow ``name`` for a form: this process's own Workflow, else a
    :class:`StoredWorkflow` from its catalog entry (no code of the entry runs).

    Example::

        FormModel(stored_workflow("iris"))
    """
    found = _local_or_entry(name, store)
    return found if not isinstance(found, dict) else StoredWorkflow(found, store)


def _local_or_entry(name: str, store=None):
    """This process's Workflow named ``name``, else its catalog entry (WorkflowNotRebuildable
    naming the known ones when there is neither)."""
    from flowlab.core.definition.workflow import registered_workflows
    from flowlab.store import get_store

    local = registered_workflows().get(name)
    if local is not None:
        return local
    entry = (store or get_store()).get_entry(KIND, name)
    if entry is None:
        known = ", ".join(e["name"] for e in workflow_catalog(store)) or "none"
        raise WorkflowNotRebuildable(
            f"workflow '{name}' is not in the catalog (known: {known}); "
            "launch it once or call .register() where it is defined"
        )
    return entry


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
