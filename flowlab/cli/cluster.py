"""``flowlab cluster up | status | down``: a persistent Dask cluster under $FLOWLAB_HOME/cluster."""

from __future__ import annotations

from pathlib import Path

import click
from dask.utils import format_bytes

from flowlab.cli.output import emit_json, fail, table, usage


@click.group()
def cluster() -> None:
    """Start, inspect and stop the persistent cluster (Dask scheduler + workers)."""


@cluster.command()
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1))
@click.option(
    "--resources",
    multiple=True,
    help='What each worker advertises, like "CPU=1,MEMORY=4GB,GPU=1"; once for every '
    "worker, or once per worker.",
)
@click.option("--threads", default=1, show_default=True, type=click.IntRange(1))
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Any but loopback gets TLS (mutual, with certificates made "
    "for the cluster in $FLOWLAB_HOME/cluster/tls) unless --insecure.",
)
@click.option("--port", default=0, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--insecure",
    is_flag=True,
    help="Plain TCP on a non-loopback --host: anyone who can reach it can run code as you.",
)
@click.option(
    "--slurm",
    is_flag=True,
    help="Workers are Slurm jobs (sbatch through dask-jobqueue), kept at --jobs: a job that "
    "ends is replaced. --workers and --resources do not apply.",
)
@click.option(
    "--gateway",
    metavar="URL",
    default=None,
    help="Ask this Dask Gateway for the cluster (credentials from Dask's gateway.auth "
    "configuration); --jobs workers, --cores/--memory/--gpus as its worker_* options.",
)
@click.option(
    "--gateway-option",
    "gateway_options",
    multiple=True,
    metavar="NAME=VALUE",
    help="With --gateway: one of the Gateway's cluster options.",
)
@click.option(
    "--jobs",
    default=2,
    show_default=True,
    type=int,
    help="With --slurm: worker jobs; with --gateway: workers.",
)
@click.option("--cores", default=1, show_default=True, type=int, help="With --slurm: per job.")
@click.option("--memory", default="2GB", show_default=True, help="With --slurm: per job.")
@click.option("--gpus", default=0, show_default=True, type=int, help="With --slurm: per job.")
@click.option("--partition", default=None, help="With --slurm: the Slurm partition.")
@click.option("--walltime", default=None, help="With --slurm: each job's time limit.")
@click.option("--account", default=None, help="With --slurm: the Slurm account to charge.")
@click.option(
    "--timeout",
    default=60.0,
    show_default=True,
    type=click.FloatRange(1),
    help="Seconds to wait for the workers (--slurm: jobs still pending then join later).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the state as JSON.")
def up(
    workers,
    resources,
    threads,
    host,
    port,
    insecure,
    slurm,
    gateway,
    gateway_options,
    jobs,
    cores,
    memory,
    gpus,
    partition,
    walltime,
    account,
    timeout,
    as_json,
):
    """Start a detached scheduler and workers; print the address once they accept work.

    \b
    flowlab cluster up --host 0.0.0.0     # TLS: only holders of the cluster's certificate
    flowlab cluster up --slurm --jobs 2 --cores 1 --memory 2GB
    """
    from flowlab.core.clusters.gateway import GatewayError
    from flowlab.core.clusters.persistent import ClusterStateError, is_loopback
    from flowlab.core.clusters.persistent import up as start

    options = None
    given = click.get_current_context()

    def explicit(name: str) -> bool:
        return given.get_parameter_source(name).name != "DEFAULT"

    if gateway is not None:
        if slurm:
            usage("--gateway and --slurm: choose one")
        for name in ("workers", "resources", "threads", "host", "port", "partition", "walltime"):
            if explicit(name):
                usage(f"--{name} does not apply with --gateway: the Gateway places the cluster")
        spec = _gateway_spec(gateway, gateway_options, jobs, cores, memory, gpus, explicit)
        try:
            state = start(jobs, timeout=timeout, gateway=spec)
        except ValueError as exc:
            usage(str(exc))
        except (ClusterStateError, GatewayError) as exc:
            fail(str(exc))
        click.echo(f"Gateway cluster {state['gateway']['cluster']} at {gateway}", err=True)
        _report(state, as_json, f"{jobs} workers are still starting; they join when the Gateway")
        return
    if gateway_options:
        usage("--gateway-option applies only with --gateway")
    if slurm:
        from flowlab.core.clusters.slurm import JobOptions

        for name in ("workers", "resources", "threads"):
            if explicit(name):
                usage(
                    f"--{name} does not apply with --slurm: use --jobs, --cores, --memory, --gpus"
                )
        try:
            options = JobOptions(jobs, cores, memory, gpus, partition, walltime, account)
        except ValueError as exc:
            usage(str(exc))
        from flowlab.core.clusters.slurm import other_nodes

        elsewhere = other_nodes() if is_loopback(host) else []
        if elsewhere:
            click.echo(
                f"warning: the scheduler listens on {host}, which jobs on Slurm's other nodes "
                f"({', '.join(elsewhere[:3])}{', …' if len(elsewhere) > 3 else ''}) cannot "
                "reach: their workers never join. Use --host 0.0.0.0 (TLS, docs/scaling-out.md).",
                err=True,
            )
    else:
        for name in ("jobs", "cores", "memory", "gpus", "partition", "walltime", "account"):
            if explicit(name):
                usage(f"--{name} applies only with --slurm or --gateway")

    if insecure and not is_loopback(host):
        click.echo(
            f"warning: --insecure: the scheduler and workers on {host or 'every address'} "
            "take unauthenticated, unencrypted connections: anyone who can reach them can "
            "run any code as this user on every worker and read all data. Use it only on a "
            "network where you trust everyone; without --insecure they use TLS.",
            err=True,
        )
    try:
        state = start(
            workers,
            list(resources),
            threads=threads,
            host=host,
            port=port,
            insecure=insecure,
            timeout=timeout,
            slurm=options,
        )
    except ValueError as exc:
        usage(str(exc))
    except ClusterStateError as exc:
        fail(str(exc))
    if state["tls"]:
        folder = Path(state["tls"]["ca_file"]).parent
        click.echo(
            f"TLS: only clients with the cluster's certificate connect; flowlab here finds it "
            f"in {folder} (another machine needs those three files, see docs/scaling-out.md)",
            err=True,
        )
    pending = None
    if state.get("slurm"):
        jobs_line = ", ".join(state["slurm"]["jobs"]) or "none yet"
        click.echo(f"Slurm worker jobs: {jobs_line} ({options.describe()} each)", err=True)
        pending = f"{options.jobs} jobs still wait in Slurm's queue; their workers join when Slurm"
    _report(state, as_json, pending)


def _report(state: dict, as_json: bool, pending: str | None) -> None:
    """What ``up`` prints: how many workers have not joined yet (``pending`` says of how many
    and who starts them), then the state as JSON or the scheduler's address."""
    if pending and state.get("pending"):
        click.echo(
            f"{state['pending']} of {pending} starts them (`flowlab cluster status`)", err=True
        )
    if as_json:
        emit_json(state)
    else:
        click.echo(state["address"])


def _gateway_spec(address, texts, jobs, cores, memory, gpus, explicit) -> dict:
    """``persistent.up``'s ``gateway`` argument from the flags (usage errors name the flag)."""
    from dask.utils import parse_bytes

    from flowlab.core.clusters.gateway import GatewayError, options_for

    if jobs < 1:
        usage(f"--jobs: expected at least 1, got {jobs}")
    flags = {}
    if explicit("cores"):
        flags["--cores"] = cores
    if explicit("memory"):
        try:
            flags["--memory"] = parse_bytes(memory) / 2**30  # the Gateway's options count GiB
        except ValueError:
            usage(f"--memory: {memory!r} is not a size like 2GB or 512MiB")
    if explicit("gpus"):
        flags["--gpus"] = gpus
    extra = {}
    for text in texts:
        name, sep, value = text.partition("=")
        if not sep or not name.strip():
            usage(f"--gateway-option {text!r}: expected NAME=VALUE")
        extra[name.strip()] = value.strip()
    try:
        return {"address": address, "options": options_for(address, flags, extra)}
    except GatewayError as exc:
        fail(str(exc))


@cluster.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def status(as_json):
    """Workers, their resources, memory and running tasks (like sinfo)."""
    from flowlab.core.clusters.gateway import GatewayError
    from flowlab.core.clusters.persistent import ClusterStateError
    from flowlab.core.clusters.persistent import status as read

    try:
        info = read()
    except (ClusterStateError, GatewayError) as exc:
        fail(str(exc))
    if as_json:
        emit_json(info)
        return
    click.echo(
        f"scheduler {info['address']}  dashboard {info['dashboard']}  up since {info['started']}"
    )
    click.echo(f"security  {_security_line(info)}")
    rows = [
        {
            **w,
            "memory": format_bytes(w["memory"]) if w["memory"] is not None else None,
            "memory_limit": format_bytes(w["memory_limit"]) if w["memory_limit"] else None,
            "resources": {
                k: format_bytes(v) if k == "MEMORY" else f"{v:g}" for k, v in w["resources"].items()
            },
        }
        for w in info["workers"]
    ]
    columns = ["name", "address", "threads", "resources", "memory", "memory_limit", "running"]
    if info.get("engine") == "slurm":
        columns.insert(1, "job_id")
    table(rows, columns)
    if info.get("engine") == "slurm":
        waiting = [job for job in info["jobs"] if job["worker"] is None]
        if waiting:
            click.echo("")
            click.echo("Slurm jobs without a worker yet:")
            table(waiting, ["name", "job_id", "state", "submitted"])


def _security_line(info: dict) -> str:
    """How clients reach the scheduler, in words (``cluster status``)."""
    if info["security"] == "tls":
        return f"TLS, mutual (certificates in {Path(info['tls']['ca_file']).parent})"
    if info["security"] == "gateway":
        gateway = info["gateway"]
        return f"the Dask Gateway at {gateway['address']}: its TLS (cluster {gateway['cluster']})"
    if info["security"] == "insecure":
        return "NONE: plain TCP, no authentication (started with --insecure)"
    return "plain TCP on loopback (this machine only)"


@cluster.command()
def down():
    """Stop exactly the processes `up` started (and scancel its Slurm jobs); return once
    they have exited."""
    from flowlab.core.clusters.gateway import GatewayError
    from flowlab.core.clusters.persistent import ClusterStateError
    from flowlab.core.clusters.persistent import down as stop

    try:
        state = stop()
    except (ClusterStateError, GatewayError) as exc:
        fail(str(exc))
    click.echo(f"stopped {state['address']}")
