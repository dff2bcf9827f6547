"""Flowlab's worker plugins: the operators' modules imported once per worker (warm workers),
Dask's log of an operator failure silenced (the run records it), other logs kept."""

from __future__ import annotations

import logging
import sys
import threading

from flowlab.core.clusters.workers import OperatorFailureFilter, WarmImports, operator_modules
from tests.polling import poll_for
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

    poll_for(  # warming runs in the background
        lambda: all(client.run(imported).values()),
        120,
        what="every worker to have imported sklearn.tree",
        every=0.5,
    )


def _record(message: str, *args) -> logging.LogRecord:
    return logging.LogRecord("distributed.worker", logging.ERROR, __file__, 1, message, args, None)


def test_only_flowlab_operator_failures_are_silenced():
    keep = OperatorFailureFilter()
    compute_failed = "Compute Failed\nKey:       %s\nException: %r\n"
    assert not keep.filter(_record(compute_failed, "explode@1", "OperatorError(\"operator 'x'\")"))
    assert keep.filter(_record(compute_failed, "other", "ZeroDivisionError('division by zero')"))
    assert keep.filter(_record("Worker stream died during communication: %s", "x"))


# a package whose __init__ is slow and imports its submodule, which imports the package: the
# shape of flowlab.library (__init__ -> operators -> boosting -> estimators -> flowlab.library)
SLOW_INIT = "import time\ntime.sleep(3)\nfrom slowpkg.sub import double\n"
SUB = "import slowpkg\n\n\ndef double(x):\n    return 2 * x\n"


def test_warming_and_a_task_unpickling_the_same_package_do_not_lose_the_worker(tmp_path):
    """A task whose function lives in a package the worker is warming (importing) arrives
    meanwhile: it runs, and the worker stays (a thread importing beside the event loop
    unpickling the task handed one a partial module, and the worker left the cluster)."""
    from distributed import Client

    import flowlab

    (tmp_path / "slowpkg").mkdir()
    (tmp_path / "slowpkg" / "__init__.py").write_text(SLOW_INIT)
    (tmp_path / "slowpkg" / "sub.py").write_text(SUB)
    sys.path.insert(0, str(tmp_path))
    cluster = flowlab.cluster.start_local_cluster(
        n_workers=1, threads_per_worker=1, env={"PYTHONPATH": str(tmp_path)}
    )
    try:
        import slowpkg.sub

        with Client(cluster) as client:
            (worker,) = client.scheduler_info()["workers"]
            plugin = WarmImports(("slowpkg",))
            registering = threading.Thread(
                target=client.register_plugin, args=(plugin,), kwargs={"name": plugin.name}
            )
            registering.start()

            def started(dask_worker=None):
                return "slowpkg" in sys.modules

            poll_for(
                lambda: client.run(started)[worker],
                60,
                what="the worker to be importing slowpkg",
                every=0.05,
            )
            assert client.submit(slowpkg.sub.double, 21, pure=False).result(timeout=60) == 42
            registering.join(timeout=60)
            assert list(client.scheduler_info()["workers"]) == [worker]
    finally:
        sys.path.remove(str(tmp_path))
        for name in ("slowpkg.sub", "slowpkg"):
            sys.modules.pop(name, None)
        cluster.close()
