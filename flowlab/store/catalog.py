"""The dataset catalog: names for datasets, with their URI, schema, row count and hash.

Launch forms offer the catalog's datasets whose schema fits a DATASET input, and any DATASET
input accepts a catalog name in place of a path. The catalog lives in the configured run store
(entries of kind ``datasets``): a team sharing a PostgreSQL or SQLite store shares its
datasets, and ``flowlab.store.migrate`` carries them along.

Example::

    import flowlab
    flowlab.datasets.register("iris_labeled", flowlab.library.data.iris())
    flowlab.datasets.load("iris_labeled").shape          # (150, 5)
    flowlab.datasets.matching(iris.input_schema["labeled_data"])
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import fsspec

from flowlab.errors import FlowlabError
from flowlab.types.dataset import (
    DATASET,
    Dataset,
    column_dtypes,
    read_table,
    register_name_resolver,
    split_read_options,
    type_of_dtype,
    with_read_options,
)

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


class DatasetNotFound(FlowlabError, KeyError):
    """No dataset of that name in the catalog."""


KIND = "datasets"


def _store():
    from flowlab.store import get_store

    return get_store()


def register(
    name: str,
    data: Any,
    description: str = "",
    overwrite: bool = True,
    read_options: dict | None = None,
) -> dict:
    """Register a DataFrame (stored as parquet in the artifacts) or a path/URI under ``name``.

    ``read_options`` are ``pandas.read_csv`` options for a CSV file (``{"sep": ";"}``); they
    are kept with the URI (``wine.csv?sep=;``) and are part of the dataset's hash.

    Example::

        flowlab.datasets.register("wine", "winequality-red.csv", read_options={"sep": ";"})
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(
            f"dataset name {name!r}: use letters, digits, '_', '-' or '.', "
            "starting with a letter (it must not look like a path)"
        )
    if isinstance(data, str):
        uri = with_read_options(absolute_uri(data), read_options)
        dtypes = column_dtypes(uri, f"dataset '{name}'")
        path, options = split_read_options(uri)
        with fsspec.open(path, "rb") as f:
            content = f.read()
        extra = repr(sorted(options.items())).encode() if options else b""
        digest = hashlib.sha256(content + extra).hexdigest()
        rows = len(read_table(uri))
    elif hasattr(data, "columns") and hasattr(data, "dtypes"):
        from flowlab.store import get_artifacts

        frame = data.compute() if hasattr(data, "compute") else data
        ref = get_artifacts().put(DATASET.serialise(frame), "parquet")
        uri, digest, rows = ref["uri"], ref["hash"].removeprefix("sha256:"), len(frame)
        dtypes = dict(frame.dtypes.items())
    else:
        raise TypeError(
            f"dataset '{name}': expected a DataFrame or a path/URI, found {type(data).__name__}"
        )
    entry = {
        "name": name,
        "uri": uri,
        "schema": {str(k): _type_name(v) for k, v in dtypes.items()},
        "rows": rows,
        "hash": f"sha256:{digest}",
        "description": description,
    }

    def change(current: dict | None) -> dict:
        if current is not None and not overwrite:
            raise ValueError(f"dataset '{name}' is already registered; pass overwrite=True")
        return entry

    return _store().update_entry(KIND, name, change)


def absolute_uri(path: str) -> str:
    """A local path made absolute (``churn.csv`` -> ``/home/me/work/churn.csv``), so the entry
    works from any directory; a URI with a protocol (``s3://…``, ``file://…``) is kept.

    Example::

        absolute_uri("data/churn.csv")
    """
    import os

    if "://" in path or "::" in path:
        return path
    return os.path.abspath(os.path.expanduser(path))


def get(name: str) -> dict:
    """The catalog entry of ``name``: uri, schema, rows, hash, description."""
    entry = _store().get_entry(KIND, name)
    if entry is None:
        raise DatasetNotFound(
            f"no dataset named {name!r} in the catalog; registered: "
            f"{', '.join(e['name'] for e in list_datasets()) or 'none'}"
        )
    return dict(entry)


def load(name: str):
    """The dataset as a pandas DataFrame."""
    return read_table(get(name)["uri"])


def list_datasets() -> list[dict]:
    """Every catalog entry, by name."""
    return _store().list_entries(KIND)


def matching(dataset_type: Dataset | None = None) -> list[tuple[dict, str | None]]:
    """Every catalog entry with None if it fits ``dataset_type``, else the reason it does not."""
    entries = list_datasets()
    if dataset_type is None or dataset_type.schema is None:
        return [(e, None) for e in entries]
    return [(e, dataset_type.fits(e["uri"])) for e in entries]


def _resolve(name: str) -> str | None:
    try:
        return get(name)["uri"]
    except DatasetNotFound:
        return None


def _type_name(dtype) -> str:
    column_type = type_of_dtype(dtype)
    return column_type.name if column_type is not None else str(dtype)


register_name_resolver(_resolve)
