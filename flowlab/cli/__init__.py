"""The ``flowlab`` command: one click group; each command lives in its own module.

Example::

    flowlab serve --port 8080
"""

from __future__ import annotations

import click


@click.group()
@click.version_option(package_name="flowlab")
def main() -> None:
    """flowlab: typed ML workflows, runs and models."""


def _register() -> None:
    from flowlab.cli.serve import serve

    main.add_command(serve)


_register()
