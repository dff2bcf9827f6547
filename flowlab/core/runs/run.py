"""Run: one execution of a workflow, live while it runs and readable from the store after."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

from flowlab.core.definition.output import Output
from flowlab.core.record.records import TERMINAL_RUN, cache_of
from flowlab.errors import RunFailed
from flowlab.store.leases import lapsed_reason, mark_lapsed
from flowlab.store.search import register_run_handle


@contextlib.contextmanager
def _seceded():
    """Inside an operator waiting for a run it launched: give the worker's thread back to
    the cluster while waiting (the child run's operators may need it), take one after."""
    from flowlab.core.clusters.cluster import this_worker

    if this_worker() is None:
        yield
        return
    from distributed import rejoin, secede

    secede()
    try:
        yield
    finally:
        rejoin()


class OperatorRecord(dict):
    """One operator's record: ``state``, ``worker``, ``started``, ``ended``, ``error``, ``logs``…

    Reads as a dict and by attribute (``run.operators["train"].state``).
    """

    @property
    def cache(self) -> dict:
        """Whether its result came from the cache, and if not, why it ran: ``{"status": "hit" |
        "miss" | "off", "from_run": ..., "changed": [...]}`` (see ``records.cache_of``).

        Example::

            run.operators["train"].cache      # {"status": "miss", "changed": ["input:data"], …}
        """
        return cache_of(self)

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class Run:
    """One run of a workflow.

    Example::

        run = iris.launch(labeled_data=df, unlabeled_data=new)
        run.id, run.status            # "queued" | "running" | "succeeded" | "failed" | ...
        run.wait()
        run.result().logloss
        run.operators["TrainDecisionTreeOperator"].worker
    """

    def __init__(self, record: dict, store=None, artifacts=None):
        self.record = record
        self._store = store
        self._artifacts = artifacts
        #: whoever follows this run in this process (a RunTracker, or a ClusterFollower when
        #: a persistent cluster keeps it); None for a run read from the store
        self.tracker = None
        self._values: dict | None = None

    def take_values(self, values: dict | None) -> None:
        """Hand this live handle the run's output values (its tracker does, as the run ends;
        None: read them from the store)."""
        self._values = values

    # -- identity and state -----------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.record["id"]

    @property
    def workflow(self) -> str:
        return self.record["workflow"]

    @property
    def status(self) -> str:
        if self.tracker is None and self.record["status"] not in TERMINAL_RUN:
            self.refresh()
        elif self.kept_by_cluster:  # kept by the scheduler: follow its record
            self.tracker.start()
        return self.record["status"]

    @property
    def operators(self) -> dict[str, OperatorRecord]:
        if self.kept_by_cluster:
            self.tracker.start()
        lock = self.tracker.lock if self.tracker else _NoLock()
        with lock:
            return {k: OperatorRecord(v) for k, v in self.record["operators"].items()}

    @property
    def kept_by_cluster(self) -> bool:
        """Whether a persistent cluster's keeper follows this run (not this process)."""
        return self.tracker is not None and self.tracker.kept_by_cluster

    @property
    def error(self) -> dict | None:
        return self.record.get("error")

    @property
    def done(self) -> bool:
        return self.status in TERMINAL_RUN

    def refresh(self) -> Run:
        """Re-read the record from the store (for runs launched by another process).

        A run still marked queued or running whose tracker's lease lapsed (the launcher or the
        keeper died, on any host) can never finish: it reads as failed, saying what stopped,
        and can be resumed. The failure is recorded when this process can write the store.
        """
        if self.tracker is None and self._store is not None:
            self.record = self._store.get_run(self.id)
            if lapsed_reason(self.record) is not None:
                try:
                    self.record = self._store.update_run(self.id, mark_lapsed)
                except Exception:  # noqa: BLE001 - a reader without write access still sees it
                    mark_lapsed(self.record)
        return self

    # -- waiting and results ----------------------------------------------------------------------
    def wait(self, timeout: float | None = None) -> Run:
        """Block until the run ends (or ``timeout`` seconds pass, raising TimeoutError)."""
        if self.tracker is not None:
            with _seceded():
                if not self.tracker.done.wait(timeout):
                    raise TimeoutError(f"run {self.id} still {self.status} after {timeout} s")
            return self
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.done:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"run {self.id} still {self.status} after {timeout} s")
            time.sleep(0.2)
        return self

    def result(self, timeout: float | None = None) -> Output:
        """Wait, then return the outputs; raise RunFailed naming the failed operator.

        The error is one line (run, operator, error) and the operator's own traceback, with
        the frames of flowlab's machinery and Dask hidden (the record keeps them all).
        """
        self.wait(timeout)
        if self.record["status"] != "succeeded":
            error = self.record.get("error") or {}
            operator = error.get("operator")
            op = self.record["operators"].get(operator) or {}
            message = (
                f"run {self.id} of workflow '{self.workflow}' {self.record['status']}: "
                f"{error.get('message', '')}"
            )
            if op.get("traceback"):
                from flowlab.core.record.tracebacks import operator_traceback

                shown = operator_traceback(op["traceback"])
                message += f"\n--- traceback of operator '{operator}' ---\n{shown}"
            raise RunFailed(
                message, run_id=self.id, operator=operator, traceback=op.get("traceback")
            )
        return self.outputs

    @property
    def outputs(self) -> Output:
        """The outputs computed so far; artifact files are read on first access."""
        if self._values is not None:
            return Output(self._values)
        if self._artifacts is None:
            from flowlab.store import get_artifacts

            self._artifacts = get_artifacts()
        return LazyOutput(self.record.get("outputs") or {}, self._artifacts)

    @property
    def inputs(self) -> dict:
        return dict(self.record.get("inputs", {}))

    # -- control ----------------------------------------------------------------------------------
    def cancel(self) -> Run:
        """Cancel what has not finished; finished operators keep their results.

        Works on any handle, in any process: the process tracking the run cancels it at once;
        any other asks that tracker through the store (it acts within about a second). The
        status reads ``cancelled`` once it has.

        Example::

            flowlab.get_run("20261207-…").cancel().wait(timeout=30).status   # 'cancelled'
        """
        if self.tracker is not None:
            if not self.done:
                self.tracker.cancel()
            return self
        if not self.done:
            from flowlab.core.engine.cancel import request_cancel

            request_cancel(self.id, self.store)
        return self

    # -- annotations ------------------------------------------------------------------------------
    @property
    def tags(self) -> list[str]:
        return list(self.record.get("tags") or [])

    @property
    def notes(self) -> list[str]:
        return list(self.record.get("notes") or [])

    @property
    def parent(self) -> str | None:
        return self.record.get("parent")

    @property
    def user(self) -> str | None:
        """Who launched the run (``FLOWLAB_USER``, else the OS login); None for a run
        recorded before flowlab kept it. Searchable as ``user = "ada"``."""
        return self.record.get("user")

    def tag(self, *tags: str) -> Run:
        """Add tags (searchable as ``tag = "x"``)."""
        for tag in tags:
            if not isinstance(tag, str) or not tag.strip():
                raise ValueError(f"a tag must be non-empty text, got {tag!r}")
        return self.update_record(
            lambda r: r.__setitem__("tags", list(dict.fromkeys([*(r.get("tags") or []), *tags])))
        )

    def untag(self, *tags: str) -> Run:
        return self.update_record(
            lambda r: r.__setitem__("tags", [t for t in r.get("tags") or [] if t not in tags])
        )

    def note(self, text: str) -> Run:
        """Add a note (searchable as ``notes contains "…"``)."""
        if not isinstance(text, str) or not text.strip():
            raise ValueError("a note must be non-empty text")
        return self.update_record(lambda r: r.__setitem__("notes", [*(r.get("notes") or []), text]))

    def update_record(self, change: Callable[[dict], None]) -> Run:
        """Apply ``change(record)`` to this run's record, through its tracker while one runs
        here (so its next write carries it), else in the store.

        Example::

            run.update_record(lambda r: r.setdefault("tags", []).append("best"))
        """
        tracker = self.tracker
        if tracker is not None and not tracker.done.is_set() and not tracker.kept_by_cluster:
            with self.tracker.lock:
                change(self.record)
            self.tracker.changed()
            return self
        store = self.store
        self.record = store.update_run(self.id, change)
        return self

    @property
    def store(self):
        """The store this run is recorded in (the default store when none was given)."""
        if self._store is None:
            from flowlab.store import get_store

            self._store = get_store()
        return self._store

    # -- variants -----------------------------------------------------------------------------------
    def rerun(self, *, seed: int | None = None, cache: bool = True, **changes: Any) -> Run:
        """Launch the same workflow with the same inputs and seed, but for ``changes``.

        Example::

            new = run.rerun(max_depth=8)
            new.parent == run.id
        """
        workflow = self._workflow()
        inputs = self.input_values()
        unknown = [k for k in changes if k not in workflow.signature.parameters]
        if unknown:
            raise TypeError(
                f"workflow '{self.workflow}' has no input {', '.join(unknown)}; "
                f"its inputs are {', '.join(workflow.signature.parameters)}"
            )
        inputs.update(changes)
        seed = self.record.get("seed") if seed is None else seed
        from flowlab.core.runs.launch import launch_workflow

        return launch_workflow(
            workflow, inputs, seed=seed, cache=cache, parent=self.id, tags=self.tags
        )

    def resume(self) -> Run:
        """Run again what failed or never ran; succeeded operators are reused from this run."""
        from flowlab.core.runs.launch import launch_workflow

        self.wait()
        return launch_workflow(
            self._workflow(),
            self.input_values(),
            seed=self.record.get("seed"),
            cache=True,
            parent=self.id,
            tags=self.tags,
        )

    def input_values(self) -> dict[str, Any]:
        """The run's inputs as values (datasets read back from their files; a dataset given
        by its catalog name is that name again while the name still stands for the same
        file, so a rerun or a resume records and compares it as the name).

        Example::

            run.input_values()   # {"labeled_data": "iris", "max_depth": 3}
        """
        from flowlab.store.values import load_value
        from flowlab.types.tables import resolve_name

        artifacts = self._artifacts
        if artifacts is None:
            from flowlab.store import get_artifacts

            artifacts = self._artifacts = get_artifacts()
        values = {}
        for name, stored in (self.record.get("inputs") or {}).items():
            catalog = stored.get("catalog") if isinstance(stored, dict) else None
            if catalog and "$uri" in stored and resolve_name(catalog) == stored["$uri"]:
                values[name] = catalog
            else:
                values[name] = load_value(stored, artifacts)
        return values

    def _workflow(self):
        """The run's workflow: defined in this process, else rebuilt from the workflow catalog
        (``WorkflowNotRebuildable``, a LookupError, says why when it cannot be)."""
        from flowlab.core.runs.workflow_catalog import rebuild_workflow

        return rebuild_workflow(self.workflow, self.store)

    def diff(self, other: Run) -> dict:
        """What differs between two runs: inputs, code (versions, sources) and outputs.

        Example::

            run.diff(new)["inputs"]   # {"max_depth": (4, 8)}
        """
        return diff_records(self.record, other.record)

    def deploy(self, name: str, *, output: str = "model") -> int:
        """Register this run's MODEL output as the next version of model ``name``.

        Example::

            v1 = run.deploy("iris-classifier")
            flowlab.models.alias("iris-classifier", "production", v1)
        """
        if not _DEPLOYERS:
            raise RuntimeError("no model registry is loaded; import flowlab first")
        return _DEPLOYERS[-1](self, name, output=output)

    def subscribe(self, callback: Callable[[Run], None]) -> None:
        """Call ``callback(run)`` whenever an operator's state changes (views use this)."""
        if self.tracker is not None:
            self.tracker.listeners.append(callback)

    def __repr__(self) -> str:
        return f"<Run {self.id} {self.workflow} {self.record['status']}>"

    def _repr_html_(self) -> str:
        """The run view as static HTML (the notebook shows a Run this way)."""
        # the render layer draws and registers itself here (core imports no renderer)
        if _RUN_HTML is None:
            import html

            return f"<pre>{html.escape(repr(self))}</pre>"
        return _RUN_HTML(self)


_RUN_HTML: Callable[[Run], str] | None = None


def register_run_html(view: Callable[[Run], str]) -> None:
    """Say how a Run draws itself as static HTML (``flowlab.render.run`` registers ``run_html``).

    Example::

        register_run_html(run_html)
    """
    global _RUN_HTML
    _RUN_HTML = view


# The model registry (a layer above core, in flowlab.store.models) registers itself here, so
# Run.deploy needs no import of the layers above.
_DEPLOYERS: list[Callable[..., int]] = []


def register_deployer(deployer: Callable[..., int]) -> None:
    """Called by the model registry: ``deployer(run, name, output=...)`` -> version."""
    if deployer not in _DEPLOYERS:
        _DEPLOYERS.append(deployer)


class LazyOutput(Output):
    """Outputs read from a run record: each artifact file is loaded when first asked for."""

    def __init__(self, stored: dict, artifacts):
        super().__init__(stored)
        object.__setattr__(self, "_artifacts", artifacts)
        object.__setattr__(self, "_loaded", {})

    def __getitem__(self, name: str) -> Any:
        if name not in self._loaded:
            from flowlab.store.values import load_value

            self._loaded[name] = load_value(self._values[name], self._artifacts)
        return self._loaded[name]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._values:
            raise AttributeError(
                f"no output {name!r}; outputs are {', '.join(self._values) or 'none'}"
            )
        return self[name]

    def __repr__(self) -> str:
        """Each output as a value, or what a file not read yet holds (never its reference).

        Example::

            run.result()   # Output(model=<MODEL, 41 KiB>, logloss=0.0512, predictions=<DATASET 150x5>)
        """
        from flowlab.core.definition.output import short_repr

        shown = []
        for name, stored in self._values.items():
            if name in self._loaded:
                shown.append(f"{name}={short_repr(self._loaded[name])}")
            else:
                shown.append(f"{name}={_stored_label(stored)}")
        return f"Output({', '.join(shown)})"


def _stored_label(stored: Any) -> str:
    """``<DATASET 150x5>``, ``<MODEL, 41 KiB>``: a stored output without reading its file."""
    from flowlab.core.definition.output import short_repr
    from flowlab.store.values import is_reference

    if not is_reference(stored):
        return short_repr(stored)
    kind = stored.get("type") or "artifact"
    rows, columns = stored.get("rows"), stored.get("columns")
    if isinstance(columns, list):
        return f"<{kind} {rows if rows is not None else '?'}x{len(columns)}>"
    if "$uri" in stored and "$artifact" not in stored:
        return f"<{kind} {stored.get('catalog') or stored['$uri']}>"
    size = stored.get("size")
    return f"<{kind}, {size / 1024:.0f} KiB>" if isinstance(size, int) else f"<{kind}>"


class _NoLock:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def diff_records(a: dict, b: dict) -> dict:
    """Differences between two run records, as {section: {key: (a value, b value)}}."""

    def changed(left: dict, right: dict) -> dict:
        keys = list(dict.fromkeys([*(left or {}), *(right or {})]))
        return {
            k: ((left or {}).get(k), (right or {}).get(k))
            for k in keys
            if _comparable((left or {}).get(k)) != _comparable((right or {}).get(k))
        }

    code = {}
    if a.get("version") != b.get("version"):
        code["version"] = (a.get("version"), b.get("version"))
    sources_a = (a.get("source") or {}).get("operators", {})
    sources_b = (b.get("source") or {}).get("operators", {})
    code.update({f"operator {k}": v for k, v in changed(sources_a, sources_b).items()})
    if (a.get("source") or {}).get("workflow") != (b.get("source") or {}).get("workflow"):
        code["workflow"] = (
            (a.get("source") or {}).get("workflow"),
            (b.get("source") or {}).get("workflow"),
        )
    return {
        "inputs": changed(a.get("inputs"), b.get("inputs")),
        "code": code,
        "outputs": changed(a.get("outputs"), b.get("outputs")),
        "seed": (a.get("seed"), b.get("seed")) if a.get("seed") != b.get("seed") else None,
    }


def _comparable(value: Any) -> Any:
    if isinstance(value, dict) and "hash" in value:
        return value["hash"]  # an artifact: same content, same value
    return value


def get_run(run_id: str) -> Run:
    """A run from the store by id.

    Example::

        flowlab.get_run("20261123-194501-a1b2c3").result()
    """
    from flowlab.store import get_store

    store = get_store()
    return Run(store.get_run(run_id), store=store).refresh()


# Runs found by a search (flowlab.runs) are these live handles; the store does not import core.
register_run_handle(Run)
