"""The Dask cluster flowlab runs on: a local one by default, any scheduler when told.

Order of choice: a client given to :func:`use_client`, then ``FLOWLAB_SCHEDULER``, then a
``distributed.Client`` the user already made, then the persistent cluster of ``flowlab cluster
up`` while it is up (``$FLOWLAB_HOME/cluster``), then a LocalCluster (processes) sized to this
machine — a LocalCUDACluster, one worker per GPU, when there are GPUs. Local workers
advertise the resources ``CPU``, ``MEMORY`` and ``GPU`` that operators ask for.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import dask
from dask.utils import format_bytes

# public as flowlab.cluster.kubernetes_cluster_spec and flowlab.cluster.worker_resources_flag
from flowlab.core.clusters.kubernetes import kubernetes_cluster_spec  # noqa: F401
from flowlab.core.clusters.worker_resources import worker_resources_flag  # noqa: F401
from flowlab.errors import ResourceUnavailable

_lock = threading.RLock()
_client = None
_cluster = None
_start_listeners: list = []

# A task whose resources no worker has would wait forever; the scheduler fails it instead.
dask.config.set({"distributed.scheduler.no-workers-timeout": "120s"})

# Siblings that read one parent's output are all placed on the worker holding it (Dask's
# decide_worker only considers workers that have the dependencies); only work stealing moves
# them to idle workers, and it looks every 1 s by default, so a sibling started up to a second
# late (measured: 0.6-1.8 s for two 2 s siblings on 2 workers; 0.04-0.16 s at 50 ms). Worker
# saturation and root-ish queuing do not apply (the siblings have a dependency and resource
# restrictions). A scheduler started in this process (flowlab's LocalCluster, or the user's
# own) reads this when it starts; for a remote scheduler set
# DASK_DISTRIBUTED__SCHEDULER__WORK_STEALING_INTERVAL=50ms where it runs.
STEALING_INTERVAL = "50ms"
if dask.config.get("distributed.scheduler.work-stealing-interval", None) in (None, "1s"):
    dask.config.set({"distributed.scheduler.work-stealing-interval": STEALING_INTERVAL})


def gpu_count() -> int:
    """Number of NVIDIA GPUs visible here (0 without a driver)."""
    try:
        import pynvml

        pynvml.nvmlInit()
        try:
            return int(pynvml.nvmlDeviceGetCount())
        finally:
            pynvml.nvmlShutdown()
    except Exception:
        return 0


def start_local_cluster(
    n_workers: int | None = None,
    threads_per_worker: int | None = None,
    gpus: int | None = None,
    scheduler_process: bool | None = None,
    **kwargs: Any,
):
    """Start a local cluster whose workers advertise CPU, MEMORY (and GPU) resources.

    The scheduler runs in a process of its own (``scheduler_process``, the default where the
    platform allows it): in the kernel's process it would share the GIL and the garbage
    collector with the kernel, and every task of a run waits on the scheduler (measured in
    benchmarks/overhead.py: flowlab's run bookkeeping slowed a 1000-operator chain by up to
    1.3x there, 1.04x with the scheduler apart). The scheduler stops with the cluster, or by
    itself when this process dies. ``kwargs`` go to each worker (``env=…``) or, for the
    in-process scheduler, to ``LocalCluster``. What an operator prints goes to its run's log,
    not to this process's stdout (``env={"FLOWLAB_ECHO_OPERATOR_OUTPUT": "1"}`` echoes it).

    Example::

        cluster = flowlab.cluster.start_local_cluster(n_workers=2)
    """
    import psutil

    from flowlab.core.worker.capture import ECHO_ENV

    # the workers inherit this process's stdout and stderr: in a kernel, what they print
    # lands in JupyterLab's Log Console, so an operator's output goes to its run's log only
    kwargs["env"] = {ECHO_ENV: "0", **(kwargs.get("env") or {})}
    cores = os.cpu_count() or 1
    total_memory = psutil.virtual_memory().total
    gpus = gpu_count() if gpus is None else gpus
    if gpus:
        from dask_cuda import LocalCUDACluster  # imported only when a GPU exists

        threads = threads_per_worker or max(1, cores // gpus)
        memory = total_memory // gpus
        return LocalCUDACluster(
            n_workers=gpus,
            threads_per_worker=threads,
            memory_limit=memory,
            resources={"CPU": threads, "GPU": 1, "MEMORY": memory},
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            **kwargs,
        )
    n_workers = n_workers or max(2, min(cores, 4))
    threads = threads_per_worker or max(1, cores // n_workers)
    memory = total_memory // n_workers
    resources = {"CPU": threads, "MEMORY": memory}
    if scheduler_process is None:
        scheduler_process = os.name == "posix"
    if scheduler_process:
        from flowlab.core.clusters.local_scheduler import scheduler_apart

        return scheduler_apart(n_workers, threads, memory, resources, **kwargs)
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=n_workers,
        threads_per_worker=threads,
        processes=True,
        memory_limit=memory,
        resources=resources,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
        **kwargs,
    )


def get_client():
    """The ``distributed.Client`` flowlab runs on, starting the default cluster if needed.

    Example::

        client = flowlab.cluster.get_client()
        client.dashboard_link
    """
    global _client, _cluster
    worker = this_worker()
    if worker is not None:
        # inside an operator (a workflow launched from one): the worker's own client, never a
        # new cluster (a worker process is daemonic and may not start one)
        from distributed import get_client as worker_client

        return worker_client()
    with _lock:
        if _client is not None and _client.status in ("running", "connecting", "newly-created"):
            return _client
        from distributed import Client

        from flowlab.core.clusters.persistent import connect, read_state, security_for

        address = os.environ.get("FLOWLAB_SCHEDULER")
        if address:
            # the persistent cluster's certificate when it names that cluster; else Dask's
            # configuration (distributed.comm.tls) secures it
            _client = Client(address, security=security_for(address))
            return _client
        try:
            from distributed import default_client

            _client = default_client()
            return _client
        except ValueError:
            pass
        state = read_state()
        if state:
            # a cluster on a public address speaks TLS only (core/clusters/persistent.py)
            _client = connect(state)
            return _client
        _tell("starting", None)
        _cluster = start_local_cluster()
        _client = Client(_cluster)
        _tell("started", _client)
        return _client


def starts_local_cluster() -> bool:
    """Whether :func:`get_client` would start flowlab's local cluster now (seconds): no
    client yet, no scheduler named, no default client, no persistent cluster up, not on a
    worker. The same order of choices as :func:`get_client`'s.

    Example::

        if flowlab.cluster.starts_local_cluster():
            print("the first run waits for the cluster")
    """
    if this_worker() is not None or os.environ.get("FLOWLAB_SCHEDULER"):
        return False
    if _client is not None and _client.status in ("running", "connecting", "newly-created"):
        return False
    try:
        from distributed import default_client

        default_client()
        return False
    except ValueError:
        pass
    from flowlab.core.clusters.persistent import read_state

    return read_state() is None


def on_local_cluster_start(callback) -> None:
    """Call ``callback(stage, client)`` when flowlab starts its local cluster: ``("starting",
    None)`` before (it takes seconds), ``("started", client)`` after. The notebook says
    "starting the local cluster…" at once with this.

    Example::

        flowlab.cluster.on_local_cluster_start(lambda stage, client: print(stage))
    """
    if callback not in _start_listeners:
        _start_listeners.append(callback)


def _tell(stage: str, client) -> None:
    for callback in list(_start_listeners):
        try:
            callback(stage, client)
        except Exception:  # a listener's failure must not stop the cluster
            pass


def this_worker():
    """The Dask worker running this code, or None outside a worker."""
    try:
        from distributed import get_worker

        return get_worker()
    except (ImportError, ValueError):
        return None


def use_client(client) -> None:
    """Run flowlab's workflows on this client's cluster from now on."""
    global _client
    with _lock:
        _client = client


def shutdown() -> None:
    """Close the client and the local cluster flowlab started (if it started one)."""
    global _client, _cluster
    with _lock:
        if _client is not None and _cluster is not None:
            _client.close()
            _cluster.close()
        _client = _cluster = None


def worker_resources(client) -> dict[str, dict[str, float]]:
    """Address -> the resources each worker advertises, asked of the scheduler now.

    Not ``client.scheduler_info()``: it answers the client's cached copy, which distributed's
    periodic update overwrites with one that has no workers in it (a launch was refused with
    "no workers are connected" while both workers were registered)."""
    if getattr(client, "asynchronous", False):
        workers = client.scheduler_info(n_workers=-1)["workers"]
    else:
        workers = client.sync(client.scheduler.identity, n_workers=-1)["workers"]
    return {addr: dict(info.get("resources") or {}) for addr, info in workers.items()}


#: how long a launch waits for a first worker to register (a cluster still starting)
RESOURCE_WAIT_SECONDS = 10.0


def plan_resources(client, requests: dict[str, dict[str, float]]) -> dict[str, dict]:
    """Check every node's request against the workers; return the annotations to use.

    A request no worker can meet raises ResourceUnavailable at once, listing what the
    workers offer. Resource names no worker declares (a cluster started without resources)
    are not annotated, except GPU, which a node cannot do without.
    """
    deadline = time.monotonic() + RESOURCE_WAIT_SECONDS
    while True:
        offers = worker_resources(client)
        plans, refused = _plans(offers, requests)
        if refused is None or offers or time.monotonic() > deadline:
            break
        time.sleep(0.2)  # no worker yet (a cluster starting): ask again before refusing
    if refused is not None:
        node, needed = refused
        raise ResourceUnavailable(
            f"operator '{node}' asks for {_describe(needed)}, which no worker offers. "
            f"Workers offer: {_describe_offers(offers)}. Ask for less in its Resources, "
            "or run on a cluster that has such workers (FLOWLAB_SCHEDULER).",
            operator=node,
        )
    return plans


def _plans(offers: dict, requests: dict) -> tuple[dict, tuple | None]:
    """The annotations of each node, and the first (node, needs) no worker meets."""
    declared = {name for res in offers.values() for name in res}
    plans = {}
    for node, wanted in requests.items():
        needed = {k: v for k, v in wanted.items() if k in declared or k == "GPU"}
        if not any(all(res.get(k, 0) >= v for k, v in needed.items()) for res in offers.values()):
            return plans, (node, needed)
        plans[node] = needed
    return plans, None


def _describe(resources: dict) -> str:
    parts = []
    for name, value in resources.items():
        shown = format_bytes(value) if name == "MEMORY" else f"{value:g}"
        parts.append(f"{name}={shown}")
    return ", ".join(parts) or "nothing"


def _describe_offers(offers: dict) -> str:
    if not offers:
        return "no workers are connected"
    return "; ".join(f"{addr} ({_describe(res)})" for addr, res in offers.items())
