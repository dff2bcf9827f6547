"""Table files behind a DATASET: catalog names, read options, column types without loading.

A DATASET path or URI may carry CSV read options after a ``?``, as a query string::

    "wine.csv?sep=;"                    # pandas.read_csv(..., sep=";")
    "s3://bucket/t.csv?sep=;&decimal=,"

Options are passed to ``pandas.read_csv`` (values ``none``/``true``/``false`` and integers are
converted). They are part of the dataset's identity, so of its cache key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flowlab.errors import FlowTypeError

TABLE_SUFFIXES = (".parquet", ".pq", ".csv", ".tsv", ".txt", ".csv.gz", ".csv.zip", ".csv.bz2")

_NAME_RESOLVERS: list[Callable[[str], str | None]] = []


def register_name_resolver(resolver: Callable[[str], str | None]) -> None:
    """Let DATASET accept names (the dataset catalog registers one): name -> URI or None."""
    if resolver not in _NAME_RESOLVERS:
        _NAME_RESOLVERS.append(resolver)


def resolve_name(value: str) -> str:
    """A catalog name's URI; any other string (a path, a URI) is returned as it is."""
    path, _ = split_read_options(value)
    if "/" in path or "\\" in path or path.endswith(TABLE_SUFFIXES):
        return value
    for resolver in _NAME_RESOLVERS:
        uri = resolver(value)
        if uri is not None:
            return uri
    return value


def split_read_options(uri: str) -> tuple[str, dict]:
    """``("t.csv", {"sep": ";"})`` for ``"t.csv?sep=;"``; a URI without options is unchanged."""
    path, mark, query = uri.rpartition("?")
    if not mark or not path.endswith(TABLE_SUFFIXES) or "=" not in query:
        return uri, {}
    return path, {k: _option_value(v) for k, v in parse_qsl(query, keep_blank_values=True)}


def with_read_options(uri: str, options: dict | None) -> str:
    """``uri`` carrying ``options`` (merged over those it already has), in a canonical order."""
    path, current = split_read_options(uri)
    merged = {**current, **(options or {})}
    if not merged:
        return path
    text = {
        k: "none" if v is None else str(v).lower() if isinstance(v, bool) else v
        for k, v in sorted(merged.items())
    }
    return f"{path}?{urlencode(text, safe=';,|')}"


def _option_value(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("none", "null"):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    if text.lstrip("-").isdigit():
        return int(text)
    return text


def column_dtypes(value: Any, where: str) -> dict | None:
    """Column name -> dtype for a DataFrame (pandas or dask) or a table file, without loading it."""
    if hasattr(value, "dtypes") and hasattr(value, "columns"):
        return dict(value.dtypes.items())
    if isinstance(value, str):
        return _file_dtypes(resolve_name(value), where)
    return None


def _file_dtypes(uri: str, where: str) -> dict:
    import fsspec
    import pandas as pd

    path, options = split_read_options(uri)
    try:
        if _is_parquet(path):
            import pyarrow.parquet as pq

            with fsspec.open(path, "rb") as f:
                return dict(pq.read_schema(f).empty_table().to_pandas().dtypes.items())
        with fsspec.open(path, "rb") as f:
            return dict(pd.read_csv(f, nrows=1000, **options).dtypes.items())
    except FileNotFoundError:
        hint = "" if "/" in path or "." in path else " (nor a dataset registered under that name)"
        raise FlowTypeError(f"{where}: file '{path}' does not exist{hint}") from None
    except TypeError as e:
        raise FlowTypeError(
            f"{where}: read options {options} of '{path}' are not pandas.read_csv options: {e}"
        ) from e
    except Exception as e:
        raise FlowTypeError(f"{where}: cannot read table '{uri}': {e}") from e


def read_table(uri: str):
    """Read a parquet or CSV file (any fsspec URI, read options after ``?``) into pandas."""
    import fsspec
    import pandas as pd

    path, options = split_read_options(uri)
    with fsspec.open(path, "rb") as f:
        if _is_parquet(path):
            return pd.read_parquet(f)
        return pd.read_csv(f, **options)


def _is_parquet(path: str) -> bool:
    return path.endswith((".parquet", ".pq", "/"))
