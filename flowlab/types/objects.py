"""FILE and ARRAY (xarray)."""

from __future__ import annotations

import os
from typing import Any

from flowlab.errors import FlowTypeError
from flowlab.types.base import FlowType, register_type


class File(FlowType):
    """A path or fsspec URI; ``must_exist`` checks it at validation time."""

    name = "FILE"

    def __init__(self, must_exist: bool = True, **kw: Any):
        super().__init__(**kw)
        self.must_exist = must_exist

    def validate(self, value, where="value"):
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        if not isinstance(value, str):
            raise self.fail(where, "a path or URI (FILE)", value)
        if self.must_exist:
            import fsspec

            fs, path = fsspec.core.url_to_fs(value)
            if not fs.exists(path):
                raise FlowTypeError(f"{where}: file '{value}' does not exist")
        return value

    def _json_schema(self):
        return {"type": "string", "format": "path"}


class Array(FlowType):
    """An ``xarray.DataArray`` (or Dataset), stored as netCDF."""

    name = "ARRAY"
    inline = False
    extension = "nc"
    by_reference = True

    def validate(self, value, where="value"):
        import xarray as xr

        if not isinstance(value, (xr.DataArray, xr.Dataset)):
            raise self.fail(where, "an xarray DataArray or Dataset (ARRAY)", value)
        return value

    def _json_schema(self):
        return {"type": "string", "format": "array"}

    def serialise(self, value) -> bytes:
        import xarray as xr

        if isinstance(value, xr.DataArray):
            name = value.name if value.name is not None else "__array__"
            dataset = value.to_dataset(name=name)
            dataset.attrs["flowlab_dataarray"] = name
            return dataset.to_netcdf()
        return value.to_netcdf()

    def deserialise(self, data: bytes):
        import xarray as xr

        loaded = xr.open_dataset(data).load()
        name = loaded.attrs.pop("flowlab_dataarray", None)
        if name is not None:
            array = loaded[name]
            return array.rename(None) if name == "__array__" else array
        return loaded


FILE = register_type(File())
ARRAY = register_type(Array())
