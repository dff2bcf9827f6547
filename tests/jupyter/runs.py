"""Runs made before a test looks at them through the REST API or the sidebar: real runs of the
seed's iris workflow on the session's cluster, one failed run, one saved search."""

from __future__ import annotations

from flowlab import Output, operator, types, workflow


@operator(returns=types.Schema(value=types.DOUBLE))
def refuse(x: float):
    print(f"refusing {x}")
    raise ValueError(f"x={x} is refused on purpose")


@workflow(returns=types.Schema(value=types.DOUBLE))
def refused(x: float = 1.0):
    return Output(value=refuse(x=x).value)


def make_runs(n_iris: int = 3) -> dict:
    """``n_iris`` finished iris runs (with a logloss) and one failed run; a saved search."""
    import flowlab
    from flowlab.library import data
    from tests.seed_iris import make_iris

    iris = make_iris("logloss")
    labeled = data.iris()
    unlabeled = labeled.drop(columns="species").head(5)
    launched = [
        iris.launch(labeled_data=labeled, unlabeled_data=unlabeled, seed=seed)
        for seed in range(n_iris)
    ]
    for run in launched:
        run.result(timeout=120)
    failed = refused.launch(x=2.0)
    failed.wait(timeout=120)
    flowlab.searches.save("good iris", 'workflow = "iris" and outputs.logloss < 100')
    return {"iris": [run.id for run in launched], "failed": failed.id}
