"""DATASET: a table with declared columns; pandas, dask, or a parquet/CSV path or fsspec URI.

A pandas (or dask) Series is accepted where a one-column DATASET is declared, as a
one-column frame. A CSV path may carry read options: ``"wine.csv?sep=;"`` (see
:mod:`flowlab.types.tables`).
"""

from __future__ import annotations

import io
from typing import Any

from flowlab.errors import FlowTypeError
from flowlab.types.base import FlowType, given_text
from flowlab.types.containers import Schema
from flowlab.types.fingerprint import file_hash, frame_hash
from flowlab.types.registry import from_json, register_type, type_named
from flowlab.types.tables import (
    column_dtypes,
    read_table,
    register_name_resolver,
    resolve_name,
    split_read_options,
    with_read_options,
)

__all__ = [
    "DATASET",
    "Dataset",
    "column_dtypes",
    "dtype_fits",
    "read_table",
    "register_name_resolver",
    "resolve_name",
    "split_read_options",
    "type_of_dtype",
    "with_read_options",
]


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
        value = self._series_as_frame(value, where)
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
            if not column_type.fits_dtype(dtypes[column]):
                raise FlowTypeError(
                    f"{where}: column '{column}' should be {column_type.name} "
                    f"but is {dtypes[column]}"
                )

    def _series_as_frame(self, value, where: str):
        if not (hasattr(value, "to_frame") and hasattr(value, "dtype")):
            return value  # not a Series
        columns = list(self.schema) if self.schema is not None else []
        if len(columns) > 1:
            raise FlowTypeError(
                f"{where}: expected a table with columns {', '.join(columns)} (DATASET), "
                f"found a Series (one column, {value.name!r})"
            )
        if value.name is None:
            return value.to_frame(columns[0] if columns else "value")
        if columns and value.name != columns[0]:
            raise FlowTypeError(
                f"{where}: column '{columns[0]}' is missing; the Series is named {value.name!r}"
                f" (rename it, or declare column {value.name!r})"
            )
        return value.to_frame()

    def parse_text(self, text, where="value"):
        """A catalog name, a path or an fsspec URI (its columns are checked, nothing loaded)."""
        text = given_text(self, text, where, "a dataset name, path or URI")
        return None if text is None else self.validate(text, where)

    def load(self, value):
        if isinstance(value, str):
            return read_table(resolve_name(value))
        return value

    def content_hash(self, value):
        if isinstance(value, str):
            path, options = split_read_options(resolve_name(value))
            try:
                return file_hash(path, extra=options or None)
            except FileNotFoundError:
                pass  # validation says so, naming the input; the text is all there is to key
        if hasattr(value, "dtypes") and hasattr(value, "columns") and not hasattr(value, "dask"):
            try:
                return frame_hash(value)
            except TypeError:  # unhashable cells (lists): fall back to dask's tokenize
                pass
        return super().content_hash(value)

    def encode(self, value, artifacts, *, exact=False):
        if isinstance(value, str):  # a path or URI is recorded as that reference, not copied
            return {"$uri": value, "type": self.name}
        return super().encode(value, artifacts, exact=exact)

    def decode(self, data, artifacts):
        if isinstance(data, dict) and "$uri" in data:
            return data["$uri"]
        return super().decode(data, artifacts)

    def summary(self, value):
        try:
            rows = int(value.shape[0])
        except TypeError:  # a dask DataFrame has no known length
            rows = None
        return {"rows": rows, "columns": [str(c) for c in value.columns]}

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
            # a bare column type by its name (readable); one with options by its full JSON
            schema["x-columns"] = {
                k: t.name if t == _bare(t) else t.to_json() for k, t in self.schema.items()
            }
        return schema

    @classmethod
    def _from_json(cls, data, **common):
        columns = data.get("x-columns")
        schema = None
        if columns is not None:
            schema = tuple((k, from_json(t)) for k, t in columns.items())
        return cls(schema, **common)

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


def dtype_fits(dtype: Any, column_type: Any) -> bool:
    """Whether a column of ``dtype`` may be declared as ``column_type`` (a type or its name)."""
    from flowlab.types.registry import as_flow_type

    return as_flow_type(column_type).fits_dtype(dtype)


def type_of_dtype(dtype: Any) -> FlowType | None:
    """The flowlab column type a pandas dtype reads as (BOOL, INTEGER, DOUBLE, TEXT), or None."""
    from flowlab.types.scalars import BOOL, DOUBLE, INTEGER, TEXT

    for column_type in (BOOL, INTEGER, DOUBLE, TEXT):
        if column_type.fits_dtype(dtype):
            return column_type
    return None


def _bare(flow_type: FlowType) -> FlowType | None:
    try:
        return type_named(flow_type.name)
    except KeyError:
        return None


DATASET = register_type(Dataset())
