"""``flowlab datasets list | register``: the dataset catalog."""

from __future__ import annotations

import click

from flowlab.cli.output import emit_json, fail, table, usage


@click.group()
def datasets() -> None:
    """The dataset catalog: names operators' DATASET inputs accept."""


@datasets.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def list_(as_json):
    """Every registered dataset: name, rows, columns, URI."""
    from flowlab.store import catalog

    entries = catalog.list_datasets()
    if as_json:
        emit_json(entries)
        return
    table(
        [{**e, "columns": ",".join(e.get("schema") or {})} for e in entries],
        ["name", "rows", "columns", "uri"],
    )


@datasets.command()
@click.argument("name")
@click.argument("path_or_uri")
@click.option("--description", default="", help="What the dataset is.")
@click.option(
    "--read-option",
    "options",
    multiple=True,
    metavar="KEY=VALUE",
    help="A pandas.read_csv option (sep=;).",
)
def register(name, path_or_uri, description, options):
    """Register PATH_OR_URI (a file, directory or fsspec URL) under NAME."""
    from flowlab.store import catalog

    read_options = {}
    for text in options:
        key, sep, value = text.partition("=")
        if not sep:
            usage(f"--read-option {text!r}: expected KEY=VALUE")
        read_options[key] = value
    try:
        entry = catalog.register(
            name, path_or_uri, description=description, read_options=read_options or None
        )
    except (ValueError, TypeError) as exc:
        usage(str(exc))
    except (FileNotFoundError, OSError) as exc:
        fail(f"dataset '{name}': cannot read {path_or_uri!r}: {exc}", 2)
    click.echo(f"{entry['name']}: {entry['rows']} rows, columns {', '.join(entry['schema'])}")
