"""Distributed training on a cluster without workers says so, naming the operator (before: a
bare ZeroDivisionError from the placement of partitions)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.timeout(300)


def test_training_on_a_cluster_without_workers_names_the_operator(monkeypatch):
    import dask.dataframe as dd
    import lightgbm as lgb
    import pandas as pd
    from distributed import Client, LocalCluster

    from flowlab.errors import ResourceUnavailable
    from flowlab.library import distributed_gbdt

    monkeypatch.setattr(distributed_gbdt, "NO_WORKERS_WAIT_SECONDS", 0.5)
    frame = dd.from_pandas(pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "y": [0, 0, 1, 1]}), 2)
    with LocalCluster(n_workers=0, processes=False, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            with pytest.raises(ResourceUnavailable, match="'TrainGBDTOperator'.*no workers"):
                distributed_gbdt.fit_on_cluster(
                    client, lgb.LGBMClassifier, {}, frame, ["x"], "y", owner="TrainGBDTOperator"
                )
