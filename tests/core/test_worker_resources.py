"""A launch reads the workers' resources fresh from the scheduler: the client's cached copy,
which distributed's periodic update overwrites with one that lists no workers, refused
launches with "no workers are connected" while both workers were registered."""

from __future__ import annotations

import dask
from distributed import Client, LocalCluster

from flowlab.core.clusters.cluster import plan_resources


def test_resources_are_never_read_from_the_clients_stale_cache():
    # the periodic update every 5 ms makes the stale copy frequent (old code: ~1 in 8 refused)
    with dask.config.set({"distributed.client.scheduler-info-interval": "5ms"}):
        with (
            LocalCluster(
                n_workers=2, threads_per_worker=1, resources={"CPU": 1}, processes=False
            ) as cluster,
            Client(cluster) as client,
        ):
            plans = [plan_resources(client, {"train": {"CPU": 1}}) for _ in range(300)]
    assert all(plan == {"train": {"CPU": 1}} for plan in plans)
