"""``flowlab ui``: the experiment dashboard in the browser."""

from __future__ import annotations

import os
import sys

import click

from flowlab.cli.output import LISTEN_ERRORS, fail


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=0, type=click.IntRange(0, 65535), help="Port (default: a free one)."
)
@click.option(
    "--token",
    default=None,
    envvar="FLOWLAB_UI_TOKEN",
    help="Token every request must carry, on 127.0.0.1 too (generated when serving beyond "
    "127.0.0.1); FLOWLAB_UI_TOKEN gives it without showing it to other users in `ps`.",
)
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    envvar="FLOWLAB_UI_ALLOW_HOST",
    help="Another name the dashboard answers to in the Host header (a proxy's); repeatable. "
    "Other names are refused, against DNS rebinding.",
)
@click.option(
    "--store",
    "store_url",
    default=None,
    help="Run store URL (default: FLOWLAB_STORE, the place for one with a password: other "
    "users can read a command line).",
)
@click.option("--no-show", is_flag=True, help="Do not open a browser tab.")
def ui(host, port, token, allow_hosts, store_url, no_show):
    """Serve the dashboard (runs, run, compare, sweeps, launch) and print its URL."""
    from flowlab.dashboard.app import store_env
    from flowlab.dashboard.server import LOOPBACK, serve

    # read: what this process starts (`flowlab cancel`, runs' processes) need not carry it
    os.environ.pop("FLOWLAB_UI_TOKEN", None)
    store_env(store_url)
    if host not in LOOPBACK:
        click.echo(f"serving on {host} (beyond loopback): every request needs the token", err=True)

    def announce(line: str) -> None:
        click.echo(line)
        sys.stdout.flush()  # read at once by whoever started us (the JupyterLab command)
        if not no_show:
            import webbrowser

            url = line.split(": ", 1)[1]
            webbrowser.open(url.replace(f"//{url.split('/')[2].split(':')[0]}:", "//127.0.0.1:"))

    try:
        serve(host=host, port=port, token=token, announce=announce, allowed_hosts=allow_hosts)
    except OSError as exc:
        if exc.errno not in LISTEN_ERRORS:
            raise
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
