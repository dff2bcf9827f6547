"""The ``flowlab`` command: one click group; each command lives in its own module.

Example::

    flowlab serve --port 8080
    flowlab ui
    flowlab cluster up --workers 2
    flowlab submit mypkg.flows:iris --input max_depth=8 --wait
"""

from __future__ import annotations

import click


@click.group()
@click.version_option(package_name="flowlab")
def main() -> None:
    """flowlab: typed ML workflows, runs and models."""


def _register() -> None:
    from flowlab.cli.cluster import cluster
    from flowlab.cli.datasets import datasets
    from flowlab.cli.runs import cancel, logs, queue, runs, show
    from flowlab.cli.serve import serve
    from flowlab.cli.submit import rerun, resume, submit, workflows
    from flowlab.cli.ui import ui

    for command in (cluster, submit, rerun, resume, workflows, queue, runs, show, logs, cancel):
        main.add_command(command)
    main.add_command(datasets)
    main.add_command(serve)
    main.add_command(ui)


_register()
