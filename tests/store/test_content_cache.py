"""Cache keys by content on a real cluster: a file rewritten in place is read again; a CSV's read
options are part of its identity; a directory's files count."""

from __future__ import annotations

import pandas as pd

import flowlab
from flowlab import Output, types


def _write_rows(path, rows: int) -> None:
    pd.DataFrame({"x": range(rows)}).to_csv(path, index=False)


@flowlab.operator(returns=types.Schema(rows=types.INTEGER))
def count_rows(path: types.FILE):
    return {"rows": len(pd.read_csv(path))}


@flowlab.workflow(returns=types.Schema(rows=types.INTEGER))
def file_rows(path: types.FILE):
    return Output(rows=count_rows(path=path).rows)


@flowlab.operator(returns=types.Schema(files=types.INTEGER, rows=types.INTEGER))
def count_dir(folder: types.FILE):
    import os

    names = sorted(os.listdir(folder))
    rows = sum(len(pd.read_csv(os.path.join(folder, n))) for n in names)
    return {"files": len(names), "rows": rows}


@flowlab.operator(returns=types.Schema(rows=types.INTEGER, columns=types.INTEGER))
def shape_of(table: types.DATASET):
    return {"rows": len(table), "columns": len(table.columns)}


@flowlab.workflow(returns=types.Schema(rows=types.INTEGER, columns=types.INTEGER))
def table_shape(table: types.DATASET):
    out = shape_of(table=table)
    return Output(rows=out.rows, columns=out.columns)


def test_a_file_rewritten_in_place_is_recomputed_not_served_from_cache(client, tmp_path):
    path = tmp_path / "data.csv"
    _write_rows(path, 10)
    first = file_rows.launch(path=str(path))
    assert first.result(timeout=60).rows == 10
    again = file_rows.launch(path=str(path))
    assert again.result(timeout=60).rows == 10
    assert again.operators["count_rows"].state == "cached"
    _write_rows(path, 25)  # same path, new content
    rewritten = file_rows.launch(path=str(path))
    assert rewritten.result(timeout=60).rows == 25
    assert rewritten.operators["count_rows"].state == "succeeded"


def test_a_file_given_inside_the_workflow_body_is_keyed_by_content(client, tmp_path):
    path = tmp_path / "fixed.csv"

    @flowlab.workflow(returns=types.Schema(rows=types.INTEGER))
    def fixed_file():
        return Output(rows=count_rows(path=str(path)).rows)

    _write_rows(path, 10)
    assert fixed_file.launch().result(timeout=60).rows == 10
    _write_rows(path, 25)
    assert fixed_file.launch().result(timeout=60).rows == 25


def test_a_directory_is_keyed_by_the_files_under_it(client, tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    _write_rows(folder / "a.csv", 3)

    @flowlab.workflow(returns=types.Schema(files=types.INTEGER, rows=types.INTEGER))
    def folder_rows(folder: types.FILE):
        out = count_dir(folder=folder)
        return Output(files=out.files, rows=out.rows)

    assert folder_rows.launch(folder=str(folder)).result(timeout=60).rows == 3
    _write_rows(folder / "b.csv", 4)
    out = folder_rows.launch(folder=str(folder)).result(timeout=60)
    assert (out.files, out.rows) == (2, 7)
    _write_rows(folder / "a.csv", 5)  # a file under it rewritten
    assert folder_rows.launch(folder=str(folder)).result(timeout=60).rows == 9


def test_a_csv_with_read_options_runs_and_its_options_are_part_of_the_key(client, tmp_path):
    path = tmp_path / "wine.csv"
    path.write_text("a;b;quality\n1;2;5\n3;4;6\n")
    plain = table_shape.launch(table=str(path)).result(timeout=60)
    assert plain.columns == 1  # read with ',' the file is one column
    with_sep = table_shape.launch(table=f"{path}?sep=;")
    out = with_sep.result(timeout=60)
    assert (out.rows, out.columns) == (2, 3)
    assert with_sep.operators["shape_of"].state == "succeeded"
    assert with_sep.record["inputs"]["table"]["$uri"] == f"{path}?sep=;"


def test_a_rewritten_dataset_file_is_recomputed(client, tmp_path):
    path = tmp_path / "table.csv"
    _write_rows(path, 10)
    assert table_shape.launch(table=str(path)).result(timeout=60).rows == 10
    _write_rows(path, 25)
    assert table_shape.launch(table=str(path)).result(timeout=60).rows == 25
