"""``Workflow.optimize``: an Optuna study whose trials are child runs on the cluster."""

from __future__ import annotations

import logging
import threading
from typing import Any

from flowlab.core.record.records import TERMINAL_RUN, now_iso
from flowlab.core.runs.launch import launch_workflow
from flowlab.errors import SweepError
from flowlab.store.transitions import run_event
from flowlab.sweeps.records import CHILD_PRIORITY, new_parent_record
from flowlab.sweeps.sweep import Sweep
from flowlab.sweeps.validate import check_fixed, check_space, metric_direction


class Study(Sweep):
    """An Optuna study over a workflow's inputs; each trial is a child run of this one.

    Example::

        study = iris.optimize(labeled_data=df, unlabeled_data=new, objective="logloss",
                              space={"max_depth": flowlab.space.int(2, 32)}, n_trials=40,
                              parallel=4)
        study.wait()
        study.best_params, study.best_run.id, study.results, study.study  # an optuna.Study
    """

    kind = "study"

    def __init__(self, workflow, record, optuna_study, space, objectives, store=None, opened=False):
        # opened from the store (``open_study``): its state is the store's and Optuna's, not
        # trackers in this process (no children of its own to follow)
        super().__init__(workflow, record, children=None if opened else [], store=store)
        self.study = optuna_study
        self.space = space
        self.objectives = objectives

    @property
    def detail(self) -> dict:
        return self.record["study"]

    @property
    def configs(self) -> list[dict]:
        return [dict(t.params) for t in self._trials()]

    @property
    def results(self):
        """``xarray.Dataset`` along ``trial`` (every trial of the study, resumed ones too)."""
        from flowlab.sweeps.results import study_dataset

        return self._remembered(study_dataset)

    def _trials(self) -> list:
        """The study's trials, read only (``study.trials`` deep-copies each one)."""
        return self.study.get_trials(deepcopy=False)

    @property
    def best_params(self) -> dict:
        return dict(self._best_trial().params)

    @property
    def best_run(self):
        """The child run of the best trial (single-objective studies)."""
        from flowlab.core.runs.run import get_run

        return get_run(self._best_trial().user_attrs["run_id"])

    def _best_trial(self):
        if len(self.objectives) > 1:
            raise SweepError(
                f"study {self.study.study_name} has {len(self.objectives)} objectives: there is "
                "no single best; use study.study.best_trials (the Pareto front)"
            )
        try:
            return self.study.best_trial
        except ValueError:
            raise SweepError(f"study {self.study.study_name} has no completed trial yet") from None

    def child_records(self) -> list[dict | None]:
        store = self.store
        out = []
        for t in self._trials():
            run_id = t.user_attrs.get("run_id")
            out.append(store.get_run(run_id) if run_id else None)
        return out

    def best(self, metric: str | None = None, direction: str | None = None):
        if metric is None or (metric in self.objectives and direction is None):
            return self.best_run
        return super().best(metric, direction)

    def __repr__(self) -> str:
        return (
            f"<Study {self.study.study_name} {self.record['workflow']} "
            f"{len(self.study.trials)} trials {self.status}>"
        )

    # -- the driver -------------------------------------------------------------------------------
    def _drive(self, fixed, n_trials, parallel, cache) -> None:
        """Keep ``parallel`` trials running; woken by the children's trackers (a trial ended,
        an operator reported a value), never by a timer."""
        import queue

        import optuna

        from flowlab.sweeps.ending import on_end

        pending: dict[str, tuple[Any, Any]] = {}
        events: queue.SimpleQueue = queue.SimpleQueue()  # ("report", id, value) | ("end", id)
        try:
            self._fail_orphans()
            finished = sum(
                t.state != optuna.trial.TrialState.RUNNING
                and t.state != optuna.trial.TrialState.WAITING
                for t in self.study.trials
            )
            remaining = max(0, n_trials - finished)
            while remaining or pending:
                while remaining and len(pending) < parallel:
                    remaining -= 1
                    trial = self.study.ask()
                    params = {k: dim.suggest(trial, k) for k, dim in self.space.items()}
                    run = launch_workflow(
                        self.workflow,
                        {**fixed, **params},
                        cache=cache,
                        parent=self.id,
                        priority=CHILD_PRIORITY,
                    )
                    trial.set_user_attr("run_id", run.id)
                    if run.tracker is not None:
                        run.tracker.report_listeners.append(
                            lambda r, rid=run.id: events.put(("report", rid, r))
                        )
                    self.children.append(run)
                    pending[run.id] = (trial, run)
                    on_end(run, lambda r: events.put(("end", r.id, None)))
                event = events.get()
                while True:
                    kind, run_id, report = event
                    if run_id in pending and kind == "report":
                        self._on_report(pending[run_id], report)
                    elif run_id in pending:
                        self._tell(*pending.pop(run_id))
                        self._notify()
                    try:
                        event = events.get_nowait()
                    except queue.Empty:
                        break
        except Exception as exc:  # a bug or a refused launch: the record says so
            message = f"{type(exc).__name__}: {exc}"
            self.record = self.store.update_run(
                self.id, lambda r: r.update(error={"operator": None, "message": message})
            )
            for trial, run in pending.values():
                run.cancel()
                self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
        finally:
            self._finish()

    def _on_report(self, pair, report: dict) -> None:
        trial, run = pair
        if report.get("value") is None:
            return
        step = int(report["step"])
        if step in trial.storage.get_trial(trial._trial_id).intermediate_values:
            return  # a retried operator reports its steps again
        trial.report(report["value"], step)
        if trial.should_prune():
            from distributed import Event

            from flowlab.core.worker.reporting import prune_event_name

            Event(prune_event_name(run.id), client=run.tracker.client).set()

    def _tell(self, trial, run) -> None:
        import optuna

        record = run.record
        if record["status"] == "succeeded":
            outputs = record.get("outputs") or {}
            values = [outputs.get(o) for o in self.objectives]
            if all(isinstance(v, (int, float)) for v in values):
                self.study.tell(trial, values if len(values) > 1 else values[0])
                return
            self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
            return
        errors = [op.get("error") or "" for op in record.get("operators", {}).values()]
        if any(e.startswith("TrialPruned") for e in errors):
            self.study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            run.update_record(lambda r: run_event(r, "prune"))
            return
        self.study.tell(trial, state=optuna.trial.TrialState.FAIL)

    def _fail_orphans(self) -> None:
        """Trials left running by an ended process (a restarted kernel) are recorded failed."""
        import optuna

        for t in self.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
            run_id = t.user_attrs.get("run_id")
            status = None
            if run_id:
                try:
                    from flowlab.core.runs.run import get_run

                    status = get_run(run_id).status
                except KeyError:
                    status = None
            if status is None or status in TERMINAL_RUN:
                self.study._storage.set_trial_state_values(
                    t._trial_id, optuna.trial.TrialState.FAIL
                )


def open_study(run_id: str, store=None) -> Study:
    """A study from the store by id (a later session, the dashboard): its trials and their
    runs from Optuna's storage beside the store; nothing of the workflow's code runs.

    Example::

        open_study(study_id).results     # one trial per Optuna trial
    """
    import optuna

    from flowlab.store import get_store
    from flowlab.sweeps.storage import optuna_storage

    store = store or get_store()
    record = store.get_run(run_id)
    if record.get("kind") != "study":
        raise SweepError(f"run {run_id} is not a study (its workflow is {record['workflow']!r})")
    detail = record["study"]
    # Optuna logs at INFO when it loads a study: not a line for a dashboard's log
    optuna_logger = logging.getLogger("optuna")
    level = optuna_logger.level
    optuna_logger.setLevel(max(level, logging.WARNING))
    try:
        optuna_study = optuna.load_study(
            study_name=detail["name"], storage=optuna_storage(getattr(store, "url", None))
        )
    finally:
        optuna_logger.setLevel(level)
    space = dict.fromkeys(detail.get("space") or {})
    objectives = list(detail["objective"])
    return Study(None, record, optuna_study, space, objectives, store=store, opened=True)


def launch_study(
    workflow,
    inputs: dict,
    *,
    objective,
    space,
    n_trials,
    parallel=None,
    direction=None,
    sampler=None,
    pruner=None,
    study_name=None,
    cache=True,
) -> Study:
    """Check the objective and space, create (or load) the Optuna study, start the trials."""
    import optuna

    from flowlab.store import get_store
    from flowlab.sweeps.storage import optuna_storage

    objectives = [objective] if isinstance(objective, str) else list(objective or [])
    if not objectives or not all(isinstance(o, str) for o in objectives):
        raise SweepError(
            f"optimize() of workflow '{workflow.name}': objective must name a scalar output "
            f"(or a list of them), got {objective!r}"
        )
    directions_given = direction if isinstance(direction, (list, tuple)) else [direction]
    if len(directions_given) == 1:
        directions_given = directions_given * len(objectives)
    if len(directions_given) != len(objectives):
        raise SweepError(
            f"optimize(): {len(objectives)} objectives but {len(directions_given)} directions"
        )
    space = check_space(workflow, space, inputs, "optimize()")
    if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
        raise SweepError(f"optimize(): n_trials must be a whole number >= 1, got {n_trials!r}")
    if parallel is None:
        parallel = _cluster_width()
    if isinstance(parallel, bool) or not isinstance(parallel, int) or parallel < 1:
        raise SweepError(f"optimize(): parallel must be a whole number >= 1, got {parallel!r}")
    check_fixed(workflow, inputs, {k: d.values_to_check()[:1] for k, d in space.items()})
    graph = None
    if workflow.returns is None:  # its outputs' types are those of the operators it returns
        point = {k: d.values_to_check()[0] for k, d in space.items()}
        graph = workflow.compile(**{**inputs, **point}).to_json()
    directions = [
        metric_direction(
            workflow, o, d, f"optimize() of workflow '{workflow.name}': objective", graph
        )
        for o, d in zip(objectives, directions_given, strict=True)
    ]

    store = get_store()
    record = new_parent_record(
        workflow,
        "study",
        inputs,
        {
            "objective": objectives,
            "directions": directions,
            "space": {k: repr(d) for k, d in space.items()},
            "n_trials": n_trials,
            "parallel": parallel,
        },
    )
    name = study_name or f"{workflow.name}-{record['id']}"
    record["study"]["name"] = name
    # Optuna logs "A new study created in Journal…" at INFO on stderr: a red block in every
    # optimize cell, saying what the study view says already
    optuna_logger = logging.getLogger("optuna")
    level = optuna_logger.level
    optuna_logger.setLevel(max(level, logging.WARNING))
    try:
        optuna_study = optuna.create_study(
            study_name=name,
            storage=optuna_storage(),
            directions=directions,
            sampler=sampler,
            pruner=pruner,
            load_if_exists=True,
        )
    finally:
        optuna_logger.setLevel(level)
    store.put_run(record)
    study = Study(workflow, record, optuna_study, space, objectives, store=store)
    threading.Thread(
        target=study._drive,
        args=(inputs, n_trials, parallel, cache),
        name=f"flowlab-study-{study.id}",
        daemon=True,
    ).start()
    return study


def _cluster_width() -> int:
    from flowlab.core.clusters.cluster import get_client

    try:
        return max(1, sum(w["nthreads"] for w in get_client().scheduler_info()["workers"].values()))
    except Exception:
        return 1


def finished_at() -> str:
    return now_iso()
