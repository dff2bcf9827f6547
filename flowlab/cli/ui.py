"""``flowlab ui``: the experiment dashboard in the browser."""

from __future__ import annotations

import sys

import click


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=0, type=click.IntRange(0, 65535), help="Port (default: a free one)."
)
@click.option(
    "--token",
    default=None,
    envvar="FLOWLAB_UI_TOKEN",
    help="Token every request must carry (generated when serving beyond 127.0.0.1).",
)
@click.option("--store", "store_url", default=None, help="Run store URL (default: FLOWLAB_STORE).")
@click.option("--no-show", is_flag=True, help="Do not open a browser tab.")
def ui(host, port, token, store_url, no_show):
    """Serve the dashboard (runs, run, compare, sweeps, launch) and print its URL."""
    from flowlab.dashboard.app import store_env
    from flowlab.dashboard.server import LOOPBACK, serve

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

    serve(host=host, port=port, token=token, announce=announce)
