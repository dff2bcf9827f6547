"""FILE (a path, a directory or an fsspec URI, keyed by content) and ARRAY (xarray)."""

from __future__ import annotations

import json
import os
from typing import Any

from flowlab.errors import FlowTypeError
from flowlab.types.base import FlowType, given_text, text_error
from flowlab.types.fingerprint import file_hash
from flowlab.types.registry import register_type


class File(FlowType):
    """A path, directory or fsspec URI; ``must_exist`` checks it at validation time.

    Cache keys see its content, not only its path (see :mod:`flowlab.types.fingerprint`):
    a file rewritten in place makes the operators that read it run again.
    """

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

    def parse_text(self, text, where="value"):
        """A path or URI; empty text is an error, never the current directory."""
        text = given_text(self, text, where, "a path or URI")
        return None if text is None else self.validate(os.path.expanduser(text), where)

    def _json_schema(self):
        schema: dict = {"type": "string", "format": "path"}
        if not self.must_exist:
            schema["x-must-exist"] = False
        return schema

    @classmethod
    def _from_json(cls, data, **common):
        return cls(must_exist=data.get("x-must-exist", True), **common)

    def content_hash(self, value):
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        if isinstance(value, str):
            try:
                return file_hash(value)
            except FileNotFoundError:
                pass  # not there (must_exist=False): the path is all there is to key
        return super().content_hash(value)


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

    def parse_text(self, text, where="value"):
        """A JSON list (``[[1, 2], [3, 4]]``) or the path/URI of a netCDF file."""
        import xarray as xr

        text = given_text(self, text, where, "a JSON list or a netCDF path")
        if text is None:
            return None
        if text.startswith("["):
            try:
                return xr.DataArray(json.loads(text))
            except ValueError as e:
                raise text_error(self, where, "a JSON list of numbers", text, str(e)) from None
        return self.validate(self.deserialise(read_bytes(self, text, where)), where)

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


def read_bytes(flow_type: FlowType, path: str, where: str) -> bytes:
    """The content of a file named in text (MODEL and ARRAY files), or an error naming it."""
    import fsspec

    try:
        with fsspec.open(os.path.expanduser(path), "rb") as f:
            return f.read()
    except (OSError, ValueError) as e:
        reason = "does not exist" if isinstance(e, FileNotFoundError) else f"cannot be read: {e}"
        raise FlowTypeError(
            f"{where}: expected the path of a {flow_type.name} file, '{path}' {reason}"
        ) from None


FILE = register_type(File())
ARRAY = register_type(Array())
