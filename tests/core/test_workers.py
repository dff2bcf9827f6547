"""Flowlab's worker plugins: the operators' modules imported once per worker (warm workers),
Dask's log of an operator failure silenced (the run records it), other logs kept."""

from __future__ import annotations

import logging
import time

from flowlab.core.workers import OperatorFailureFilter, operator_modules
from tests.seed_iris import make_iris


def test_operator_modules_are_the_operators_and_what_they_import(iris_frame):
    graph = make_iris("logloss").compile(
        labeled_data=iris_frame, unlabeled_data=iris_frame.drop(columns="species")
    )
    modules = operator_modules(graph)
    assert {"flowlab.library.operators", "sklearn.tree", "sklearn.model_selection"} <= modules


def test_launch_warms_every_worker(client, iris_frame):
    run = make_iris("logloss").launch(
        labeled_data=iris_frame, unlabeled_data=iris_frame.drop(columns="species").head(3)
    )
    run.wait(timeout=120)

    def imported(dask_worker=None):
        import sys

        return "sklearn.tree" in sys.modules

    deadline = time.monotonic() + 120
    while not all(client.run(imported).values()):  # warming runs in the background
        assert time.monotonic() < deadline, client.run(imported)
        time.sleep(0.5)


def _record(message: str, *args) -> logging.LogRecord:
    return logging.LogRecord("distributed.worker", logging.ERROR, __file__, 1, message, args, None)


def test_only_flowlab_operator_failures_are_silenced():
    keep = OperatorFailureFilter()
    compute_failed = "Compute Failed\nKey:       %s\nException: %r\n"
    assert not keep.filter(_record(compute_failed, "explode@1", "OperatorError(\"operator 'x'\")"))
    assert keep.filter(_record(compute_failed, "other", "ZeroDivisionError('division by zero')"))
    assert keep.filter(_record("Worker stream died during communication: %s", "x"))
