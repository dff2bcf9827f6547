"""A dataset given by its catalog name stays that name through a resume and a rerun: the
records compare equal on it, and a variant's form offers the name (issue 26, item 3)."""

from __future__ import annotations

import uuid

import flowlab
from flowlab import Output, types

COLUMNS = [("x", types.INTEGER)]


@flowlab.operator(returns=types.Schema(total=types.INTEGER))
def total_then_maybe_fail(frame: types.DATASET, marker: str):
    import os

    if not os.path.exists(marker):
        raise RuntimeError("the marker file is missing")
    return {"total": int(frame["x"].sum())}


@flowlab.workflow(
    input_schema=types.Schema(data=types.DATASET(schema=COLUMNS), marker=types.TEXT),
    returns=types.Schema(total=types.INTEGER),
)
def totals(data, marker):
    return Output(total=total_then_maybe_fail(frame=data, marker=marker).total)


def test_resume_and_rerun_keep_the_datasets_catalog_name(client, tmp_path):
    import pandas as pd

    name = f"numbers_{uuid.uuid4().hex[:8]}"
    flowlab.datasets.register(name, pd.DataFrame({"x": [1, 2, 3]}))
    marker = tmp_path / "marker"
    failed = totals.launch(data=name, marker=str(marker))
    failed.wait(timeout=300)
    assert failed.status == "failed"
    marker.write_text("now it works")
    resumed = failed.resume()
    assert resumed.result(timeout=300).total == 6
    assert resumed.record["inputs"]["data"]["catalog"] == name
    rerun = resumed.rerun()
    rerun.result(timeout=300)
    assert rerun.record["inputs"]["data"]["catalog"] == name

    table = flowlab.compare([failed, resumed, rerun]).to_pandas()
    data_row = [row for row in table.index if "data" in str(row)]
    assert data_row, table.index.tolist()
    assert set(table.loc[data_row[0]].astype(str)) == {name}

    from flowlab.forms import FormModel

    variant = FormModel.for_run(resumed)
    assert variant.field("data").given == name
    assert variant.inputs()["data"] == name


def test_a_catalog_name_registered_again_since_is_resumed_from_the_recorded_file(client, tmp_path):
    """Reproducing the run wins over the name: a name now standing for other data gives the
    recorded file back, and the comparison shows the two differ."""
    import pandas as pd

    name = f"numbers_{uuid.uuid4().hex[:8]}"
    flowlab.datasets.register(name, pd.DataFrame({"x": [1, 2, 3]}))
    marker = tmp_path / "marker"
    failed = totals.launch(data=name, marker=str(marker))
    failed.wait(timeout=300)
    flowlab.datasets.register(name, pd.DataFrame({"x": [10, 20, 30]}))
    marker.write_text("now it works")
    resumed = failed.resume()
    assert resumed.result(timeout=300).total == 6
    assert resumed.record["inputs"]["data"]["$uri"] == failed.record["inputs"]["data"]["$uri"]
