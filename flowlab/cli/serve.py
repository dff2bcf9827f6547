"""``flowlab serve``: the prediction service for every model in the registry."""

from __future__ import annotations

import sys

import click

from flowlab.cli.output import LISTEN_ERRORS, fail
from flowlab.serving.server import LOOPBACK


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(1), help="Server processes."
)
@click.option(
    "--token",
    default=None,
    envvar="FLOWLAB_SERVE_TOKEN",
    help="Require 'Authorization: Bearer TOKEN' (generated when serving beyond loopback).",
)
@click.option(
    "--body-limit",
    default=10 * 1024 * 1024,
    show_default=True,
    type=click.IntRange(1),
    help="Largest request body in bytes (larger ones get 413).",
)
@click.option(
    "--max-instances",
    default=10_000,
    envvar="FLOWLAB_SERVE_MAX_INSTANCES",
    show_default=True,
    type=click.IntRange(1),
    help="Most instances in one request (more get 413).",
)
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="NAME",
    help="Also answer requests whose Host is NAME (a load balancer's or DNS name; *.domain "
    "for a domain; * for any). Loopback names, --host and, on 0.0.0.0, this machine's names "
    "and addresses always are. Repeatable.",
)
@click.option("--print-dockerfile", is_flag=True, help="Print a Dockerfile for this service.")
def serve(host, port, workers, token, body_limit, max_instances, allow_hosts, print_dockerfile):
    """Serve the registry's models over HTTP (KServe v1: POST /v1/models/NAME:predict)."""
    if print_dockerfile:
        from importlib.resources import files

        click.echo(files("flowlab.serving").joinpath("Dockerfile").read_text(), nl=False)
        return
    from flowlab.serving.server import allowed_hosts
    from flowlab.serving.server import serve as run_server

    try:  # a bad name is refused here, before any worker starts
        allowed_hosts("127.0.0.1", allow_hosts)  # the names given, no lookups
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--allow-host") from None
    if host not in LOOPBACK and not token:
        click.echo(f"serving on {host} (beyond loopback): a token is required", err=True)

    def announce(line: str) -> None:  # read at once by whoever started us: flushed
        click.echo(line)
        sys.stdout.flush()

    try:
        run_server(
            host=host,
            port=port,
            workers=workers,
            token=token,
            body_limit=body_limit,
            max_instances=max_instances,
            allow_hosts=allow_hosts,
            announce=announce,
        )
    except OSError as exc:
        if exc.errno not in LISTEN_ERRORS:
            raise
        fail(exc.strerror or str(exc))
