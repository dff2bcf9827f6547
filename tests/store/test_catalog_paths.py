"""A dataset registered by a relative path works from any directory (its URI is absolute)."""

from __future__ import annotations

import os

import flowlab


def test_relative_csv_path_is_stored_absolute_and_loads_elsewhere(
    iris_frame, tmp_path, monkeypatch
):
    data_dir = tmp_path / "project"
    data_dir.mkdir()
    iris_frame.to_csv(data_dir / "churn.csv", index=False)
    monkeypatch.chdir(data_dir)
    entry = flowlab.datasets.register("churn_relative", "churn.csv")
    assert entry["uri"] == str(data_dir / "churn.csv") and os.path.isabs(entry["uri"])
    monkeypatch.chdir(tmp_path)  # another directory: the name still finds the file
    assert flowlab.datasets.get("churn_relative")["uri"] == str(data_dir / "churn.csv")
    assert flowlab.datasets.load("churn_relative").shape == iris_frame.shape


def test_uris_with_a_protocol_are_kept_as_given(iris_frame, tmp_path):
    path = tmp_path / "flowers.csv"
    iris_frame.to_csv(path, index=False)
    entry = flowlab.datasets.register("flowers_uri", f"file://{path}")
    assert entry["uri"] == f"file://{path}"
