"""Big data without the tax: data moves in memory, inputs are scattered, records stay small."""

from __future__ import annotations

import json
import os
import warnings

import numpy as np
import pandas as pd

import flowlab
from tests.core import ops


def _frame(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(size=(rows, 10)), columns=[f"c{i}" for i in range(10)])


def _artifact_files() -> set[str]:
    root = flowlab.store.get_artifacts().path
    found = set()
    for folder, _dirs, files in os.walk(root):
        if "checkpoints" not in folder:
            found.update(os.path.join(folder, f) for f in files)
    return found


def test_large_workflow_input_is_scattered_not_sent_in_the_graph(client):
    frame = _frame(200_000)  # 15 MiB: over Dask's 10 MB "large graph" warning
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = ops.frame_chain.launch(frame=frame, cache=False)
        value = run.result(timeout=120).value
    assert np.isclose(value, frame.to_numpy().sum() * 4)
    large = [str(w.message) for w in caught if "Sending large graph" in str(w.message)]
    assert large == []


def test_cache_off_writes_no_intermediate_artifacts(client):
    before = _artifact_files()
    run = ops.frame_chain.launch(frame=_frame(1000, seed=1), cache=False)
    run.result(timeout=120)
    # the input is recorded (reruns need it); no operator's DATASET is written
    new = _artifact_files() - before
    assert [os.path.basename(f) for f in new] == [
        run.record["inputs"]["frame"]["$artifact"].rsplit("/", 1)[-1]
    ]
    assert all(op.get("outputs") is None for op in run.record["operators"].values())


def test_cache_on_keeps_each_dataset_once_and_reuses_it(client):
    frame = _frame(1000, seed=2)
    first = ops.frame_chain.launch(frame=frame, by=3.0)
    first.result(timeout=120)
    kept = {n: op["outputs"] for n, op in first.record["operators"].items()}
    assert all("$artifact" in kept[n]["frame"] for n in ("scaled", "scaled_2"))
    again = ops.frame_chain.launch(frame=frame, by=3.0)
    assert np.isclose(again.result(timeout=120).value, first.outputs.value)
    assert {op.state for op in again.operators.values()} == {"cached"}


def test_a_large_inline_output_goes_to_an_artifact(client, store):
    run = ops.big_dict.launch(n=20_000)  # about 2 MB of JSON
    table = run.result(timeout=120).table
    assert len(table) == 20_000
    record = store.get_run(run.id)
    assert (
        record["outputs"]["table"]["$artifact"] and record["outputs"]["table"]["format"] == "json"
    )
    assert len(json.dumps(record)) < 100_000
    assert flowlab.get_run(run.id).outputs.table == table  # read back from the file
