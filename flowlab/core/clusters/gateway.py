"""A Dask Gateway's cluster as flowlab's persistent cluster: ``flowlab cluster up --gateway URL``.

The Gateway (``dask-gateway-server``, run by whoever runs the team's machines: Kubernetes,
Hadoop/YARN, Slurm/PBS or plain processes behind it) starts the scheduler and workers and
proxies every connection over TLS; flowlab only asks it for a cluster (``dask_gateway``'s
client), scales it, records its name in ``$FLOWLAB_HOME/cluster/cluster.json`` and, on
``cluster down``, asks the Gateway to stop it. The cluster is made with
``shutdown_on_close=False``, so it and the runs its scheduler keeps outlive the process that
launched them.

Credentials are the Gateway's, from Dask's configuration (``gateway.auth.type`` and
``gateway.auth.kwargs``, or ``DASK_GATEWAY__AUTH__…`` variables; JupyterHub's token where the
Gateway sits behind a hub); flowlab never writes them anywhere.

``--cores``, ``--memory`` (GiB) and ``--gpus`` become the Gateway's cluster options
``worker_cores``, ``worker_memory`` and ``worker_gpus`` when its administrator exposes them
(docs/scaling-out.md shows a server configuration that does, and that makes each worker
advertise flowlab's resources); ``--gateway-option NAME=VALUE`` sets any other option.

Example::

    from flowlab.core.clusters import gateway
    recorded = gateway.start("https://gateway.example.org", workers=2, options={})
    client = gateway.client(recorded)
    gateway.stop(recorded)
"""

from __future__ import annotations

from typing import Any

from flowlab.errors import FlowlabError


class GatewayError(FlowlabError, RuntimeError):
    """The Gateway could not be reached, refused the credentials, or refused an option."""


#: flowlab's flags and the cluster options they become on a Gateway that offers them
FLAG_OPTIONS = {"--cores": "worker_cores", "--memory": "worker_memory", "--gpus": "worker_gpus"}


def _gateway(address: str, proxy_address: str | None = None):
    from dask_gateway import Gateway

    return Gateway(address=address, proxy_address=proxy_address)


def _close(gw) -> None:
    """Close a ``Gateway`` once. Its ``__del__`` closes it again and, its loop stopped by then,
    prints a traceback at exit; without its loop runner ``__del__`` leaves it alone."""
    try:
        gw.close()
    finally:
        gw.__dict__.pop("_loop_runner", None)


def _explain(exc: BaseException, address: str) -> GatewayError:
    """A one-line reason for a failure talking to the Gateway at ``address``."""
    text = str(exc).strip() or type(exc).__name__
    status = getattr(exc, "status", None)
    if status in (401, 403) or "401" in text[:40] or "Unauthorized" in text:
        return GatewayError(
            f"--gateway: the Gateway at {address} refused the credentials (HTTP "
            f"{status or 401}): set Dask's gateway.auth.type and gateway.auth.kwargs (or "
            "DASK_GATEWAY__AUTH__TYPE and DASK_GATEWAY__AUTH__KWARGS__…), see "
            "docs/scaling-out.md"
        )
    if isinstance(exc, OSError) or "Cannot connect" in text or "Connect call failed" in text:
        return GatewayError(f"--gateway: cannot reach the Gateway at {address}: {text}")
    return GatewayError(f"--gateway {address}: {text}")


def options_for(address: str, flags: dict[str, Any], extra: dict[str, str]) -> dict:
    """The cluster options to ask for: ``flags`` (flowlab's flag -> value, only those given)
    as the Gateway's ``worker_*`` options, then ``extra`` by name; GatewayError naming the
    flag or option the Gateway does not offer, with those it does."""
    gw = _gateway(address)
    try:
        offered = gw.cluster_options(use_local_defaults=False)
    except Exception as exc:
        raise _explain(exc, address) from None
    finally:
        _close(gw)
    names = sorted(offered)
    chosen: dict[str, Any] = {}
    for flag, value in flags.items():
        name = FLAG_OPTIONS[flag]
        if name not in offered:
            raise GatewayError(
                f"{flag}: the Gateway at {address} has no cluster option {name!r}; it offers "
                f"{', '.join(names) or 'none'} (--gateway-option NAME=VALUE sets them)"
            )
        chosen[name] = value
    for name, value in extra.items():
        if name not in offered:
            raise GatewayError(
                f"--gateway-option {name}: the Gateway at {address} offers "
                f"{', '.join(names) or 'no options'}"
            )
        chosen[name] = _typed(offered, name, value)
    for name, value in chosen.items():
        try:
            setattr(offered, name, value)
        except (ValueError, TypeError) as exc:
            flag = next((f for f, o in FLAG_OPTIONS.items() if o == name), None)
            raise GatewayError(
                f"{flag or '--gateway-option ' + name}: {exc}".replace("\n", " ")
            ) from None
    return chosen


def _typed(offered, name: str, text: str):
    """``text`` as the option's type (its current value's: int, float, bool or str)."""
    current = offered[name]
    try:
        if isinstance(current, bool):
            return text.strip().lower() in ("1", "true", "yes", "on")
        if isinstance(current, int):
            return int(text)
        if isinstance(current, float):
            return float(text)
    except ValueError:
        kind = "an integer" if isinstance(current, int) else "a number"
        raise GatewayError(f"--gateway-option {name}={text!r}: expected {kind}") from None
    return text


def start(address: str, workers: int, options: dict, timeout: float = 120.0) -> dict:
    """Ask the Gateway at ``address`` for a cluster with ``options``, scale it to ``workers``
    and wait up to ``timeout`` for them; return what to record (no credentials)."""
    gw = _gateway(address)
    try:
        cluster = gw.new_cluster(shutdown_on_close=False, **options)
    except Exception as exc:
        _close(gw)
        raise _explain(exc, address) from None
    try:
        cluster.scale(workers)
        client = cluster.get_client(set_as_default=False)
        pending = 0
        try:
            client.wait_for_workers(workers, timeout=timeout)
        except TimeoutError:
            pending = workers - len(client.scheduler_info(n_workers=-1)["workers"])
        recorded = {
            "address": address,
            "proxy_address": gw.proxy_address,
            "cluster": cluster.name,
            "scheduler": cluster.scheduler_address,
            "dashboard": cluster.dashboard_link,
            "options": {k: v for k, v in options.items()},
            "pending": pending,
        }
        client.close()
        cluster.close()  # the connection; shutdown_on_close=False keeps the cluster
        return recorded
    except BaseException:
        gw.stop_cluster(cluster.name)
        raise
    finally:
        _close(gw)


def connect(recorded: dict):
    """The ``GatewayCluster`` :func:`start` recorded; GatewayError when it is gone."""
    try:
        gw = _gateway(recorded["address"], recorded.get("proxy_address"))
        return gw.connect(recorded["cluster"], shutdown_on_close=False)
    except Exception as exc:
        if "not found" in str(exc).lower() or isinstance(exc, ValueError):
            raise GatewayError(
                f"the Gateway cluster {recorded['cluster']} at {recorded['address']} is no "
                "longer running; `flowlab cluster down` forgets it"
            ) from None
        raise _explain(exc, recorded["address"]) from None


def client(recorded: dict):
    """A ``distributed.Client`` of the recorded Gateway cluster (through the Gateway's TLS
    proxy, with the cluster's certificate the Gateway hands out).

    By address, not ``GatewayCluster.get_client()``: a client bound to a cluster object reads
    as a cluster of this process, whose runs this process follows; a Gateway's cluster keeps
    its runs itself (core/engine/cluster_runs.py), like any persistent cluster."""
    from distributed import Client

    cluster = connect(recorded)
    client = Client(cluster.scheduler_address, security=cluster.security, set_as_default=False)
    cluster.close()  # the connection only: the cluster was made with shutdown_on_close=False
    return client


def stop(recorded: dict) -> None:
    """Ask the Gateway to stop the recorded cluster (one already stopped is no error)."""
    gw = _gateway(recorded["address"], recorded.get("proxy_address"))
    try:
        gw.stop_cluster(recorded["cluster"])
    except Exception as exc:
        raise _explain(exc, recorded["address"]) from None
    finally:
        _close(gw)
