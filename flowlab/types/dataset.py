"""DATASET: a table with declared columns; pandas, dask, or a parquet/CSV path or fsspec URI."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from flowlab.errors import FlowTypeError
from flowlab.types.base import FlowType, register_type
from flowlab.types.containers import Schema


class Dataset(FlowType):
    """``DATASET(schema=(("petal_width", INTEGER), ("species", TEXT)))``.

    Validation reads only the columns and their types (a path is not loaded); extra columns
    are allowed, missing or mistyped ones raise a TypeError naming the column and the place.
    """

    name = "DATASET"
    inline = False
    extension = "parquet"
    by_reference = True

    def __init__(self, schema: Any = None, **kw: Any):
        super().__init__(**kw)
        self.schema = Schema(schema) if schema is not None else None

    def __call__(self, schema: Any = None, **options: Any) -> FlowType:
        new = super().__call__(**options)
        if schema is not None:
            new.schema = Schema(schema)
        return new

    def validate(self, value, where="value"):
        dtypes = column_dtypes(value, where)
        if dtypes is None:
            raise self.fail(
                where, "a pandas or dask DataFrame, or a parquet/CSV path (DATASET)", value
            )
        if self.schema is not None:
            self._check_columns(dtypes, where)
        return value

    def _check_columns(self, dtypes: dict, where: str) -> None:
        for column, column_type in self.schema.items():
            if column not in dtypes:
                have = ", ".join(map(str, dtypes)) or "no columns"
                raise FlowTypeError(
                    f"{where}: column '{column}' ({column_type.name}) is missing;"
                    f" the dataset has {have}"
                )
            if not dtype_fits(dtypes[column], column_type.name):
                raise FlowTypeError(
                    f"{where}: column '{column}' should be {column_type.name} "
                    f"but is {dtypes[column]}"
                )

    def load(self, value):
        if isinstance(value, str):
            return read_table(resolve_name(value))
        return value

    def fits(self, value) -> str | None:
        """None when ``value`` satisfies this type, else the reason (used by dataset pickers)."""
        try:
            self.validate(value, "dataset")
        except FlowTypeError as e:
            return str(e).removeprefix("dataset: ")
        return None

    def _json_schema(self):
        schema: dict = {"type": "string", "format": "dataset"}
        if self.schema is not None:
            schema["x-columns"] = {k: t.name for k, t in self.schema.items()}
        return schema

    def serialise(self, value) -> bytes:
        frame = self.load(value)
        if hasattr(frame, "compute"):
            frame = frame.compute()
        buffer = io.BytesIO()
        frame.to_parquet(buffer)
        return buffer.getvalue()

    def deserialise(self, data: bytes):
        import pandas as pd

        return pd.read_parquet(io.BytesIO(data))


_NAME_RESOLVERS: list[Callable[[str], str | None]] = []


def register_name_resolver(resolver: Callable[[str], str | None]) -> None:
    """Let DATASET accept names (the dataset catalog registers one): name -> URI or None."""
    if resolver not in _NAME_RESOLVERS:
        _NAME_RESOLVERS.append(resolver)


def resolve_name(value: str) -> str:
    """A catalog name's URI; any other string (a path, a URI) is returned as it is."""
    if "/" in value or "\\" in value or value.endswith((".parquet", ".pq", ".csv")):
        return value
    for resolver in _NAME_RESOLVERS:
        uri = resolver(value)
        if uri is not None:
            return uri
    return value


def column_dtypes(value: Any, where: str) -> dict | None:
    """Column name -> dtype for a DataFrame (pandas or dask) or a table file, without loading it."""
    if hasattr(value, "dtypes") and hasattr(value, "columns"):
        return dict(value.dtypes.items())
    if isinstance(value, str):
        return _file_dtypes(resolve_name(value), where)
    return None


def _file_dtypes(path: str, where: str) -> dict:
    import fsspec
    import pandas as pd

    try:
        if path.endswith((".parquet", ".pq")) or path.endswith("/"):
            import pyarrow.parquet as pq

            with fsspec.open(path, "rb") as f:
                return dict(pq.read_schema(f).empty_table().to_pandas().dtypes.items())
        with fsspec.open(path, "rb") as f:
            return dict(pd.read_csv(f, nrows=1000).dtypes.items())
    except FileNotFoundError:
        hint = "" if "/" in path or "." in path else " (nor a dataset registered under that name)"
        raise FlowTypeError(f"{where}: file '{path}' does not exist{hint}") from None
    except Exception as e:
        raise FlowTypeError(f"{where}: cannot read table '{path}': {e}") from e


def read_table(path: str):
    """Read a parquet or CSV file (any fsspec URI) into pandas."""
    import fsspec
    import pandas as pd

    with fsspec.open(path, "rb") as f:
        if path.endswith((".parquet", ".pq")):
            return pd.read_parquet(f)
        return pd.read_csv(f)


def dtype_fits(dtype: Any, type_name: str) -> bool:
    from pandas.api import types as pdt

    if type_name == "INTEGER":
        return pdt.is_integer_dtype(dtype) and not pdt.is_bool_dtype(dtype)
    if type_name == "DOUBLE":
        return pdt.is_numeric_dtype(dtype) and not pdt.is_bool_dtype(dtype)
    if type_name == "BOOL":
        return pdt.is_bool_dtype(dtype)
    if type_name in ("TEXT", "ENUM"):
        return (
            pdt.is_string_dtype(dtype)
            or pdt.is_object_dtype(dtype)
            or isinstance(dtype, pdt.CategoricalDtype)
        )
    return True


DATASET = register_type(Dataset())
