"""Grid and random sweeps: one child run per configuration, below interactive runs' priority."""

from __future__ import annotations

import itertools
import threading
import time
import warnings

from flowlab.core.record.records import TERMINAL_RUN
from flowlab.core.runs.launch import launch_workflow
from flowlab.errors import SweepError
from flowlab.store.transitions import run_event
from flowlab.sweeps.records import CHILD_PRIORITY, new_parent_record
from flowlab.sweeps.validate import (
    check_fixed,
    check_grid,
    check_space,
    check_values,
    metric_direction,
)


class Sweep:
    """A grid or random search over a workflow's inputs; itself a run whose children it launched.

    Example::

        sweep = iris.sweep(labeled_data="iris_labeled", unlabeled_data=new_rows,
                           grid={"max_depth": [2, 4, 8], "min_samples_leaf": [1, 5]})
        sweep.wait().results        # xarray.Dataset, dims max_depth x min_samples_leaf
        sweep.best("logloss")       # the best child Run
    """

    kind = "sweep"

    def __init__(self, workflow, record: dict, children: list | None = None, store=None):
        self.workflow = workflow
        self.record = record
        self.children = children  # live Run handles, in configuration order
        self._store = store
        self._done = threading.Event()
        self.listeners: list = []
        self._lock = threading.Lock()
        #: the scheduler keeps this sweep's record (a persistent cluster): it writes its end
        self.kept_by_cluster = False
        self._following = False
        self._kept_results = None  # a finished sweep's results, read from the store once

    # -- identity and state -----------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.record["id"]

    @property
    def status(self) -> str:
        if self._read_from_store() and self.record["status"] not in TERMINAL_RUN:
            self.record = self.store.get_run(self.id)
        return self.record["status"]

    @property
    def done(self) -> bool:
        return self.status in TERMINAL_RUN

    @property
    def detail(self) -> dict:
        """What was swept: ``mode`` (grid/random), ``grid`` or ``space``, ``configs``…"""
        return self.record["sweep"]

    @property
    def configs(self) -> list[dict]:
        return [dict(c) for c in self.detail["configs"]]

    def wait(self, timeout: float | None = None) -> Sweep:
        """Block until every child has ended (TimeoutError after ``timeout`` seconds)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.done:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"sweep {self.id} still {self.status} after {timeout} s")
            if not self._read_from_store():
                self._done.wait(0.2)
            else:
                time.sleep(0.2)
        return self

    # -- children and results ---------------------------------------------------------------------
    @property
    def runs(self):
        """The children as a RunList (searchable like any runs: ``parent = "<sweep id>"``)."""
        from flowlab.store.search import runs

        return runs(f'parent = "{self.id}"', order_by="created", store=self.store)

    def child_records(self) -> list[dict | None]:
        """Each configuration's child record, in configuration order (None: not launched)."""
        if not self._read_from_store():
            return [None if r is None else r.record for r in self.children]
        store = self.store
        return [None if i is None else store.get_run(i) for i in self.detail["children"]]

    @property
    def results(self):
        """An ``xarray.Dataset``: one variable per scalar output, ``status`` and ``run_id``.

        A grid gives one dimension per swept input (the grid values as coordinates); a
        random search a ``trial`` dimension with each input as a coordinate along it. A
        failed child gives NaN, and ``status`` says ``failed`` there.
        """
        from flowlab.sweeps.results import sweep_dataset

        return self._remembered(sweep_dataset)

    def _remembered(self, build):
        """``build(self)``, kept once this handle reads the store and the sweep has ended: a
        view asks for the results several times a draw, and reading every child's record (or
        every trial) each time is most of a draw. Open the sweep again to read it afresh."""
        if self._kept_results is None:
            ended = self._read_from_store() and self.done  # before reading: none can follow
            found = build(self)
            if not ended:
                return found
            self._kept_results = found
        return self._kept_results.copy()  # a caller's new variables stay its own

    def best(self, metric: str, direction: str | None = None):
        """The succeeded child with the best ``metric`` (its type's direction: lower/higher).

        Example::

            sweep.best("logloss").inputs["max_depth"]
        """
        from flowlab.core.runs.run import Run

        children = [r for r in self.child_records() if r is not None]
        graph = next((r["graph"] for r in children if r.get("graph")), None)
        direction = metric_direction(self.swept_workflow(), metric, direction, "best()", graph)
        scored = [
            (r["outputs"][metric], r)
            for r in children
            if r is not None
            and r["status"] == "succeeded"
            and isinstance(r.get("outputs", {}).get(metric), (int, float))
        ]
        if not scored:
            raise SweepError(f"sweep {self.id}: no succeeded child has output '{metric}' yet")
        pick = min if direction == "minimize" else max
        _, record = pick(scored, key=lambda pair: pair[0])
        return Run(record, store=self.store)

    def subscribe(self, callback) -> None:
        """Call ``callback(sweep)`` whenever a child ends (the live views use this)."""
        self.listeners.append(callback)
        if self.kept_by_cluster:
            self._start_following()

    # -- following the children -------------------------------------------------------------------
    def _read_from_store(self) -> bool:
        """Whether this handle's state is the store's (opened by id, or kept by the scheduler)
        rather than its children's trackers in this process."""
        return self.children is None or self.kept_by_cluster

    def _start_following(self) -> None:
        with self._lock:
            if self._following or self.children is None:
                return
            self._following = True
        threading.Thread(target=self._follow, name=f"flowlab-sweep-{self.id}", daemon=True).start()

    def _follow(self) -> None:
        import queue

        from flowlab.sweeps.ending import on_end

        pending = [r for r in self.children if r is not None]
        ended: queue.SimpleQueue = queue.SimpleQueue()
        try:
            for run in pending:
                on_end(run, ended.put)  # called back by each child's tracker: no polling
            for _ in pending:
                ended.get()
                self._notify()
        finally:
            if self.kept_by_cluster:
                self._await_end()
            else:
                self._finish()

    def _await_end(self) -> None:
        """Kept by the scheduler: its keeper writes the sweep's end; read it back."""
        store = self.store
        while self.record["status"] not in TERMINAL_RUN:
            time.sleep(0.2)
            self.record = store.get_run(self.id)
        self._done.set()
        self._notify()

    def _finish(self) -> None:
        records = self.child_records()
        counts: dict[str, int] = {}
        for r in records:
            state = "not launched" if r is None else r["status"]
            counts[state] = counts.get(state, 0) + 1
        store = self.store

        def finish(record: dict) -> None:
            run_event(record, "succeed")
            record[self.kind]["counts"] = counts

        self.record = store.update_run(self.id, finish)
        self._done.set()
        self._notify()

    def _notify(self) -> None:
        for callback in list(self.listeners):
            try:
                callback(self)
            except Exception:  # a broken view must not stop the sweep
                pass

    # -- helpers ----------------------------------------------------------------------------------
    @property
    def store(self):
        """The store this sweep is recorded in (the default store when none was given)."""
        if self._store is None:
            from flowlab.store import get_store

            self._store = get_store()
        return self._store

    def swept_workflow(self):
        """The swept workflow: defined here, or rebuilt from the workflow catalog (a sweep
        opened in another process); WorkflowNotRebuildable (a LookupError) says why not."""
        if self.workflow is None:
            from flowlab.core.runs.workflow_catalog import rebuild_workflow

            name = self.detail.get("workflow") or self.record["workflow"]
            self.workflow = rebuild_workflow(name, self.store)
        return self.workflow

    def __repr__(self) -> str:
        return (
            f"<Sweep {self.id} {self.record['workflow']} {len(self.configs)} configs {self.status}>"
        )

    def _repr_html_(self) -> str:
        from flowlab.render.registry import render_html

        return render_html(self, name=self.id)

    def _ipython_display_(self) -> None:
        """In a notebook: the live view (with its static snapshot for the saved file)."""
        from flowlab.notebook.sweepview import SweepView

        SweepView(self)._ipython_display_()


def sweep_configs(workflow, inputs: dict, grid, random, n, seed) -> tuple[str, dict, list[dict]]:
    """(mode, description, configurations), every value checked before anything runs."""
    if (grid is None) == (random is None):
        raise SweepError(
            f"sweep of workflow '{workflow.name}' needs exactly one of grid={{input: [values]}} "
            "or random={input: flowlab.space...} with n=<count>"
        )
    if grid is not None:
        if n is not None:
            raise SweepError(
                f"sweep of workflow '{workflow.name}': n is for random search; a grid runs "
                "every combination"
            )
        grid = check_grid(workflow, grid, inputs)
        check_fixed(workflow, inputs, grid)
        names = list(grid)
        configs = [
            dict(zip(names, combo, strict=True)) for combo in itertools.product(*grid.values())
        ]
        return "grid", {"grid": grid}, configs
    space = check_space(workflow, random, inputs, "random search")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise SweepError(
            f"random search of workflow '{workflow.name}' needs n=<number of configurations> "
            f"(a whole number of at least 1), got n={n!r}"
        )
    import numpy as np

    rng = np.random.default_rng(seed)
    configs = [{name: dim.sample(rng) for name, dim in space.items()} for _ in range(n)]
    for name in space:
        check_values(workflow, name, [c[name] for c in configs], "random search")
    check_fixed(workflow, inputs, {k: [configs[0][k]] for k in space})
    described = {k: repr(d) for k, d in space.items()}
    return "random", {"space": described, "n": n, "seed": seed}, configs


def launch_sweep(
    workflow,
    inputs: dict,
    *,
    grid=None,
    random=None,
    n=None,
    seed=None,
    cache=True,
    tags: list[str] | None = None,
    run_seed: int | None = None,
) -> Sweep:
    """Check every configuration, record the sweep, launch one child run per configuration.

    ``tags`` go on every child (the sweep is tagged ``sweep``); ``run_seed`` is each child's run seed (the
    workflow's own by default; ``seed`` is random search's). ``flowlab submit --array`` and
    ``Workflow.sweep`` both come here.

    Example::

        sweep = launch_sweep(iris, {"labeled_data": "iris_labeled"},
                             grid={"max_depth": [2, 4, 8]}, tags=["nightly"])
    """
    from flowlab.store import get_store

    mode, described, configs = sweep_configs(workflow, inputs, grid, random, n, seed)
    record = new_parent_record(
        workflow,
        "sweep",
        inputs,
        {"mode": mode, **described, "configs": configs, "children": []},
        seed=seed,
    )
    store = get_store()
    store.put_run(record)
    sweep = Sweep(workflow, record, children=[], store=store)
    for config in configs:
        try:
            child = launch_workflow(
                workflow,
                {**inputs, **config},
                cache=cache,
                parent=sweep.id,
                priority=CHILD_PRIORITY,
                tags=tags,
                seed=run_seed,
            )
        except Exception as exc:  # e.g. resources: recorded on the child, the sweep goes on
            child_id = getattr(exc, "run_id", None)
            sweep.children.append(None if child_id is None else _stored_run(store, child_id))
            continue
        sweep.children.append(child)
    ids = [None if r is None else r.id for r in sweep.children]
    sweep.record = store.update_run(sweep.id, lambda r: r["sweep"].__setitem__("children", ids))
    sweep.kept_by_cluster = _hand_to_cluster(sweep, ids)
    if not sweep.kept_by_cluster:
        sweep._start_following()
    return sweep


def _hand_to_cluster(sweep: Sweep, ids: list) -> bool:
    """Whether the scheduler now keeps the sweep's record: when it keeps every child (a
    persistent cluster, core/engine/cluster_runs.py), its keeper also writes the sweep's end, so the
    process that launched the sweep may exit."""
    launched = [r for r in sweep.children if r is not None]
    if not launched or not all(r.kept_by_cluster for r in launched):
        return False
    from flowlab.core.engine.cluster_runs import keep_parent
    from flowlab.store import store_url

    try:
        keeper = keep_parent(
            launched[0].tracker.client, sweep.id, [i for i in ids if i], finish_sweep, store_url()
        )
    except Exception as exc:
        warnings.warn(
            f"sweep {sweep.id}: the scheduler cannot keep the sweep ({type(exc).__name__}: "
            f"{exc}); this process follows it and must live until its runs end",
            RuntimeWarning,
            stacklevel=3,
        )
        return False
    sweep.record["launcher"] = keeper
    return True


def finish_sweep(store, run_id: str) -> None:
    """Write the end of sweep ``run_id`` once its children have ended: status, end time,
    the children's counts by status (the scheduler's keeper calls this for a kept sweep).

    Example::

        finish_sweep(get_store(), sweep.id)
    """
    open_sweep(run_id, store=store)._finish()


def open_sweep(run_id: str, store=None) -> Sweep:
    """A sweep, or a study, from the store by id (a later session, the dashboard, the CLI).

    Example::

        open_sweep(sweep_id).results   # a grid's cube, or a study's trials
    """
    from flowlab.store import get_store

    store = store or get_store()
    record = store.get_run(run_id)
    if record.get("kind") == "study":
        from flowlab.sweeps.study import open_study

        return open_study(run_id, store)
    if record.get("kind") != "sweep":
        raise SweepError(f"run {run_id} is not a sweep (its workflow is {record['workflow']!r})")
    return Sweep(None, record, store=store)


def _stored_run(store, run_id: str):
    from flowlab.core.runs.run import Run

    return Run(store.get_run(run_id), store=store)
