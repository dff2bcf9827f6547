"""Input shapes users have: a Series for a one-column DATASET, CSV files that need read options."""

from __future__ import annotations

import pandas as pd
import pytest

import flowlab
from flowlab import types
from flowlab.errors import FlowTypeError

WINE = "fixed acidity;volatile acidity;quality\n7.4;0.70;5\n7.8;0.88;5\n11.2;0.28;6\n"


@pytest.fixture
def wine_csv(tmp_path):
    path = tmp_path / "winequality-red.csv"
    path.write_text(WINE)
    return str(path)


def test_a_series_is_accepted_as_a_one_column_frame():
    y_train = pd.Series([1.5, 2.5], name="price")
    declared = types.DATASET(schema={"price": types.DOUBLE})
    frame = declared.validate(y_train, "input 'y_train'")
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == ["price"]
    unnamed = declared.validate(pd.Series([1.0]), "input 'y_train'")
    assert list(unnamed.columns) == ["price"]
    assert list(types.DATASET.validate(pd.Series([1], name="y"), "x").columns) == ["y"]


def test_a_series_where_two_columns_are_declared_is_refused_naming_them():
    declared = types.DATASET(schema={"a": types.DOUBLE, "b": types.DOUBLE})
    with pytest.raises(FlowTypeError, match="input 'xy': expected a table with columns a, b"):
        declared.validate(pd.Series([1.0], name="a"), "input 'xy'")
    one = types.DATASET(schema={"price": types.DOUBLE})
    with pytest.raises(FlowTypeError, match="column 'price' is missing; the Series is named 'p'"):
        one.validate(pd.Series([1.0], name="p"), "input 'y'")


def test_csv_read_options_after_a_question_mark(wine_csv):
    declared = types.DATASET(schema={"fixed acidity": types.DOUBLE, "quality": types.INTEGER})
    with pytest.raises(FlowTypeError, match="column 'fixed acidity' .* is missing"):
        declared.validate(wine_csv, "input 'wine'")  # read with ',' it is one column
    declared.validate(wine_csv + "?sep=;", "input 'wine'")
    frame = declared.load(wine_csv + "?sep=;")
    assert frame.shape == (3, 3) and frame["quality"].tolist() == [5, 5, 6]


def test_unknown_read_options_are_refused_naming_them(wine_csv):
    with pytest.raises(FlowTypeError, match=r"read options \{'separator': ';'\} .* read_csv"):
        types.DATASET.validate(wine_csv + "?separator=;", "input 'wine'")


def test_read_options_are_part_of_the_content_hash(wine_csv):
    plain = types.DATASET.content_hash(wine_csv)
    with_sep = types.DATASET.content_hash(wine_csv + "?sep=;")
    assert plain != with_sep
    assert with_sep == types.DATASET.content_hash(wine_csv + "?sep=%3B")


def test_catalog_registers_read_options(wine_csv):
    entry = flowlab.datasets.register("wine_test", wine_csv, read_options={"sep": ";"})
    assert entry["uri"] == wine_csv + "?sep=;"
    assert entry["schema"] == {
        "fixed acidity": "DOUBLE",
        "volatile acidity": "DOUBLE",
        "quality": "INTEGER",
    }
    assert flowlab.datasets.load("wine_test").shape == (3, 3)
    declared = types.DATASET(schema={"quality": types.INTEGER})
    assert declared.load("wine_test")["quality"].tolist() == [5, 5, 6]
    plain = flowlab.datasets.register("wine_plain_test", wine_csv)
    assert plain["hash"] != entry["hash"]


def test_remote_objects_are_keyed_by_size_mtime_and_etag_without_reading_them():
    """A non-local fsspec store reporting an ETag (as S3, GCS and HTTP do) is fingerprinted
    from ``info``: the key follows the ETag, and the bytes are not downloaded."""
    import fsspec
    from fsspec.implementations.memory import MemoryFileSystem

    class ObjectStore(MemoryFileSystem):
        protocol = "objstoretest"
        root_marker = "/"
        store: dict = {}
        pseudo_dirs = [""]
        etags: dict = {}
        reads: list = []

        @classmethod
        def _strip_protocol(cls, path):
            return "/" + str(path).removeprefix("objstoretest://").lstrip("/")

        def info(self, path, **kwargs):
            info = super().info(path, **kwargs)
            if info["type"] == "file":
                info["ETag"] = self.etags.get(self._strip_protocol(path), "0")
            return info

        def _open(self, path, mode="rb", **kwargs):
            if "r" in mode:
                self.reads.append(path)
            return super()._open(path, mode, **kwargs)

    fsspec.register_implementation("objstoretest", ObjectStore, clobber=True)
    fs = ObjectStore()
    fs.pipe("/bucket/t.csv", b"x\n1\n")
    ObjectStore.etags["/bucket/t.csv"] = "v1"
    first = types.FILE.content_hash("objstoretest://bucket/t.csv")
    assert types.FILE.content_hash("objstoretest://bucket/t.csv") == first
    fs.pipe("/bucket/t.csv", b"x\n1\n2\n")
    ObjectStore.etags["/bucket/t.csv"] = "v2"  # the store gives a rewritten object a new ETag
    second = types.FILE.content_hash("objstoretest://bucket/t.csv")
    assert second != first
    fs.pipe("/bucket/t.csv", b"other bytes, same ETag")
    assert types.FILE.content_hash("objstoretest://bucket/t.csv") != second  # the size counts
    assert ObjectStore.reads == []
