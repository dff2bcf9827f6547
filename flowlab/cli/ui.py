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
    from flowlab.dashboard.server import LOOPBACK, make_server

    store_env(store_url)
    server, url, token = make_server(host=host, port=port, token=token)
    server.start()
    if host not in LOOPBACK:
        click.echo(f"serving on {host} (beyond loopback): every request needs the token", err=True)
    click.echo(f"flowlab dashboard: {url}")
    sys.stdout.flush()
    if not no_show:
        import webbrowser

        webbrowser.open(url.replace(f"//{url.split('/')[2].split(':')[0]}:", "//127.0.0.1:"))
    try:
        server.io_loop.start()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
