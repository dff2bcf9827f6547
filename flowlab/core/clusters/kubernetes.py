"""A Dask Kubernetes operator ``DaskCluster`` whose workers advertise flowlab's resources and
whose pods reach flowlab's store: the spec for ``kubectl apply -f`` or ``KubeCluster``.

Example::

    spec = kubernetes_cluster_spec("flowlab", "registry.example/flowlab:1.0", workers=4,
                                   cores=4, memory="16GB",
                                   store="postgresql://flowlab@db.example/flowlab",
                                   artifacts="s3://team-bucket/flowlab")
"""

from __future__ import annotations

import os
import re
import warnings

from dask.utils import parse_bytes

from flowlab.core.clusters.worker_resources import worker_resources_flag
from flowlab.store import config

#: store URL schemes whose data lives in a file on this machine, out of the pods' reach
_LOCAL_STORES = re.compile(r"(?i)^(tinydb|sqlite(\+\w+)?|file)://")
_STEALING_INTERVAL = "DASK_DISTRIBUTED__SCHEDULER__WORK_STEALING_INTERVAL"


def kubernetes_cluster_spec(
    name: str,
    image: str,
    workers: int = 2,
    cores: float = 1,
    memory: int | str = "4GB",
    gpus: int = 0,
    store: str | None = None,
    artifacts: str | None = None,
    env: dict[str, str] | None = None,
    store_secret: tuple[str, str] | None = None,
) -> dict:
    """A ``DaskCluster`` resource (the Dask Kubernetes operator's) for flowlab, as a dict.

    ``workers`` pods of ``image`` (which has flowlab installed) each run one ``dask worker``
    with ``cores`` threads and a ``memory`` limit, advertising ``CPU``, ``MEMORY`` and ``GPU``
    so that operators' ``Resources`` place them; the pod requests and limits the same
    (``nvidia.com/gpu`` when ``gpus``). The scheduler looks for idle workers every 50 ms, as
    flowlab's own do. Scheduler and worker pods get ``FLOWLAB_STORE``
    (``store``, by default this process's FLOWLAB_STORE), ``FLOWLAB_ARTIFACTS`` (``artifacts``,
    by default FLOWLAB_ARTIFACTS) and ``env`` (a value may be a dict such as
    ``{"valueFrom": {"secretKeyRef": …}}``). The store must be one the pods reach
    (PostgreSQL): a TinyDB or SQLite file of this machine is refused.

    The spec carries the store URL as given, and anyone who may read the ``DaskCluster`` reads
    it: keep a URL with a password in a Kubernetes Secret and name it instead,
    ``store_secret=(secret_name, key)``, which sets ``FLOWLAB_STORE`` from
    ``valueFrom.secretKeyRef``::

        kubectl create secret generic flowlab-store \\
            --from-literal=url='postgresql://flowlab:PASSWORD@db.example/flowlab'

    Example::

        spec = kubernetes_cluster_spec("flowlab", "registry.example/flowlab:1.0", workers=4,
                                       cores=4, memory="16GB", gpus=1,
                                       store_secret=("flowlab-store", "url"),
                                       artifacts="s3://team-bucket/flowlab")
        cluster = KubeCluster(custom_cluster_spec=spec)   # or: yaml.safe_dump(spec) | kubectl apply -f -
    """
    try:
        from dask_kubernetes.operator import make_cluster_spec
    except ImportError:
        raise ImportError(
            "kubernetes_cluster_spec needs dask-kubernetes: pip install 'flowlab[kubernetes]'"
        ) from None
    if gpus != int(gpus) or gpus < 0:
        raise ValueError(
            f"gpus={gpus!r}: Kubernetes schedules whole GPUs (nvidia.com/gpu); give 0, 1, 2, …"
        )
    memory_bytes = parse_bytes(memory) if isinstance(memory, str) else int(memory)
    pod_env = {**_store_env(store, store_secret), **_artifacts_env(artifacts), **(env or {})}

    spec = make_cluster_spec(
        name=name, image=image, n_workers=workers, worker_command="dask worker"
    )
    scheduler = spec["spec"]["scheduler"]["spec"]["containers"][0]
    # `dask-scheduler`, make_cluster_spec's command, is gone from distributed's console scripts
    scheduler["args"] = ["dask", "scheduler", *scheduler["args"][1:]]
    worker = spec["spec"]["worker"]["spec"]["containers"][0]
    worker["args"] += [
        *worker_resources_flag(cores, memory_bytes, gpus),
        "--nthreads",
        str(max(1, round(cores))),
        "--memory-limit",
        str(memory_bytes),
    ]
    quantities = {"cpu": f"{cores:g}", "memory": str(memory_bytes)}
    if gpus:
        quantities["nvidia.com/gpu"] = str(int(gpus))
    worker["resources"] = {"requests": dict(quantities), "limits": dict(quantities)}
    del scheduler["resources"]  # the scheduler needs no GPU; its pod takes what it uses
    # flowlab's own schedulers look for idle workers every 50 ms (docs/scaling-out.md)
    scheduler["env"] = _env_list({_STEALING_INTERVAL: "50ms", **pod_env})
    worker["env"] = _env_list(pod_env)
    return spec


def _env_list(env: dict) -> list[dict]:
    return [
        {"name": key, **value} if isinstance(value, dict) else {"name": key, "value": str(value)}
        for key, value in env.items()
    ]


def _store_env(store: str | None, store_secret: tuple[str, str] | None) -> dict:
    """``FLOWLAB_STORE`` for the pods: the URL, or a reference to the Secret holding it."""
    if store_secret is not None:
        if store is not None:
            raise ValueError(
                f"store={config.redacted(store)!r} and store_secret={store_secret!r}: give one; "
                "store_secret names the Kubernetes Secret that holds the store's URL"
            )
        secret, key = store_secret
        return {"FLOWLAB_STORE": {"valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}}
    url = store if store is not None else config.store_url()
    if _LOCAL_STORES.match(url) or "://" not in url:
        raise ValueError(
            f"store={config.redacted(url)!r}"
            + ("" if store is not None else " (FLOWLAB_STORE, or its default)")
            + ": a file on this machine, which the pods cannot reach; give store= a PostgreSQL "
            "URL (postgresql://user@host/db) or any store URL the pods reach"
        )
    if config.redacted(url) != url:
        warnings.warn(
            f"store {config.redacted(url)!r}: its password goes into the DaskCluster resource, "
            "readable by anyone who may read it; keep the URL in a Kubernetes Secret and pass "
            "store_secret=(secret_name, key) instead",
            UserWarning,
            stacklevel=3,
        )
    return {"FLOWLAB_STORE": url}


def _artifacts_env(artifacts: str | None) -> dict:
    """``FLOWLAB_ARTIFACTS`` for the pods: ``artifacts``, else the one this process is set to.

    A path is kept (a volume mounted at the same path in the pods and here); the default,
    FLOWLAB_HOME/artifacts of this machine, is not: workers would keep artifacts nobody reads.
    """
    if artifacts is None and not os.environ.get("FLOWLAB_ARTIFACTS"):
        raise ValueError(
            "artifacts: FLOWLAB_ARTIFACTS is not set, so artifacts would stay in each pod; give "
            "artifacts= an fsspec URL every pod and this machine reach (s3://bucket/flowlab, "
            "gs://…, a shared volume's path)"
        )
    return {"FLOWLAB_ARTIFACTS": artifacts if artifacts is not None else config.artifacts_url()}
