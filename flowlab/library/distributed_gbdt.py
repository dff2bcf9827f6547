"""LightGBM trained across the workers of a Dask cluster, the same model every time for the
same data, seed and cluster shape (number of workers, threads of each).

Why not ``lightgbm.dask``: it assembles its training parts in tasks the scheduler may place on
any worker (all on one, now and then), and reads their places back from ``Client.who_has``,
which lists the keys in the order of a Python set of strings, random in every process. That
order decides each worker's rank in LightGBM's network (and with it which worker's rows choose
which feature's bins) and the order of a worker's rows, so a fixed seed gave a different model
from one run to the next. Here the ranks are fixed: the workers sorted by address, rank ``r``
training on partitions ``r, r+n, r+2n, …`` (``n`` ranks) in partition order, on a port it holds
from the moment it is chosen until LightGBM listens on it.
"""

from __future__ import annotations

import contextlib
import socket
from urllib.parse import urlparse

#: how long a training waits for a worker when the scheduler reports none
NO_WORKERS_WAIT_SECONDS = 10.0

#: LightGBM's network settings of one training, unset in the model it returns: a refit of
#: that model would wait for peers that are gone
NETWORK = ("machines", "local_listen_port", "num_machines")


@contextlib.contextmanager
def cluster_client():
    """The Dask client to train with: the worker's own inside an operator, else flowlab's."""
    from distributed import get_worker, worker_client

    try:
        get_worker()
    except ValueError:
        from flowlab.core.clusters.cluster import get_client

        yield get_client()
        return
    with worker_client() as client:
        yield client


def fit_on_cluster(
    client, model_class, params: dict, frame, features: list[str], target: str, owner: str
):
    """Fit ``model_class`` (a LightGBM scikit-learn estimator) on the dask DataFrame ``frame``
    across the workers of ``client``'s cluster, data parallel; ``params["n_jobs"]`` of None
    means each worker's threads; ``owner`` (the operator) is named in errors.

    Returns the fitted local estimator and the number of workers that trained. Its trees are
    the same from one training to the next; the parameters LightGBM saves with them still name
    this training's ports (``machines``).

    Example::

        with cluster_client() as client:
            model, workers = fit_on_cluster(client, lgb.LGBMRegressor, {}, frame, ["x"], "y",
                                            owner="TrainGBDTOperator")
    """
    info = client.scheduler_info(n_workers=-1)["workers"]
    if not info:
        with contextlib.suppress(TimeoutError):  # a worker may be (re)starting
            client.wait_for_workers(1, timeout=NO_WORKERS_WAIT_SECONDS)
        info = client.scheduler_info(n_workers=-1)["workers"]
    if not info:
        from flowlab.errors import ResourceUnavailable

        raise ResourceUnavailable(
            f"operator '{owner}': the scheduler reports no workers to train the dask DataFrame "
            "on; start some (flowlab cluster up --workers N) and launch again"
        )
    shards = _shards(client, frame, sorted(info), owner)
    ports = {w: _pinned(client, w, HeldPort, pure=False) for w in shards}
    numbers = client.gather([_pinned(client, w, _port_of, p) for w, p in ports.items()])
    machines = ",".join(f"{urlparse(w).hostname}:{n}" for w, n in zip(shards, numbers, strict=True))
    fits = [
        _pinned(
            client,
            worker,
            _fit_rank,
            model_class,
            {**params, "n_jobs": params.get("n_jobs") or info[worker]["nthreads"]},
            shard,
            ports[worker],
            features,
            target,
            network=dict(machines=machines, local_listen_port=number, num_machines=len(shards)),
            keep=rank == 0,
            pure=False,
        )
        for rank, ((worker, shard), number) in enumerate(zip(shards.items(), numbers, strict=True))
    ]
    return client.gather(fits)[0], len(shards)


def _pinned(client, worker: str, fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` on ``worker`` and nowhere else."""
    return client.submit(fn, *args, workers=[worker], allow_other_workers=False, **kwargs)


def _shards(client, frame, workers: list[str], owner: str) -> dict:
    """``{worker: future of its rows}`` in rank order, ranks without rows left out.

    The partitions compute wherever the scheduler likes; each rank's rows are then put
    together on its worker, in partition order, so no scheduling decision reaches the model.
    """
    parts = client.compute(list(frame.to_delayed()))
    ranks = min(len(workers), len(parts))
    shards = {
        w: _pinned(client, w, _concat_rows, parts[r::ranks]) for r, w in enumerate(workers[:ranks])
    }
    sizes = client.gather([_pinned(client, w, len, s) for w, s in shards.items()])
    kept = {w: s for (w, s), size in zip(shards.items(), sizes, strict=True) if size}
    if not kept:
        raise ValueError(
            f"input 'dataset' of operator '{owner}': the dask DataFrame has no rows to train on "
            f"in its {len(parts)} partitions; give it some rows"
        )
    return kept


def _concat_rows(parts: list):
    import pandas as pd

    return pd.concat(parts) if len(parts) > 1 else parts[0]


class HeldPort:
    """A free port on this worker, held (bound, not listening) until LightGBM takes it, so no
    other process takes it meanwhile."""

    def __init__(self):
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("", 0))
        self.number = self.socket.getsockname()[1]

    def release(self) -> None:
        self.socket.close()


def _port_of(port: HeldPort) -> int:
    return port.number


def _fit_rank(model_class, params, shard, port: HeldPort, features, target, network, keep):
    """One rank's part of the training; the model from the rank that ``keep``s it (every
    rank ends with the same trees)."""
    port.release()
    model = model_class(**params, **network, tree_learner="data")
    model.fit(shard[features], shard[target])
    return model.set_params(**dict.fromkeys(NETWORK)) if keep else None
