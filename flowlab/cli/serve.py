"""``flowlab serve``: the prediction service for every model in the registry."""

from __future__ import annotations

import click

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
@click.option("--print-dockerfile", is_flag=True, help="Print a Dockerfile for this service.")
def serve(host, port, workers, token, body_limit, print_dockerfile):
    """Serve the registry's models over HTTP (KServe v1: POST /v1/models/NAME:predict)."""
    if print_dockerfile:
        from importlib.resources import files

        click.echo(files("flowlab.serving").joinpath("Dockerfile").read_text(), nl=False)
        return
    from flowlab.serving.server import serve as run_server

    if host not in LOOPBACK and not token:
        click.echo(f"serving on {host} (beyond loopback): a token is required", err=True)
    run_server(
        host=host,
        port=port,
        workers=workers,
        token=token,
        body_limit=body_limit,
        announce=lambda line: click.echo(line),
    )
