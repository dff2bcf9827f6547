"""`make demo` runs the seed's iris workflow end to end."""

from __future__ import annotations

import os
import subprocess
import sys


def test_demo_prints_run_operators_logloss_and_predictions(tmp_path):
    env = {**os.environ, "FLOWLAB_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "flowlab.demo"],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "succeeded" in out and "logloss:" in out and "accuracy:" in out
    for name in (
        "SplitDatasetOperator",
        "TrainDecisionTreeOperator",
        "ComputeMetricsOperator",
        "PredictOperator",
    ):
        assert name in out
    assert "species" in out.split("first predicted rows:")[1]
    assert list((tmp_path / "runs").glob("*.json"))
    # nothing from Dask or anyone else on stderr: no warnings at the end of the demo
    assert done.stderr.strip() == "", done.stderr
