"""The seed's iris workflow launched from two fresh processes is fully cached the second time.

Before, ``ComputeMetricsOperator.version`` hashed the ``repr`` of a frozenset it reads, whose
order depends on the interpreter's hash seed: every new process ran it again (and a team
sharing a store never shared that result). The two processes here get different
``PYTHONHASHSEED`` values, as two fresh interpreters do.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(900)

REPO = Path(__file__).resolve().parents[2]
LAUNCH = """
import json
from flowlab.library import data
from tests.seed_iris import make_iris

iris = make_iris("logloss")
df = data.iris()
run = iris.launch(labeled_data=df, unlabeled_data=df.drop(columns="species"), seed=7)
run.wait()
print(json.dumps({"id": run.id, "status": run.status,
                  "cache": {name: op.cache for name, op in run.operators.items()}}))
"""


def _launch(home: Path, hash_seed: str) -> dict:
    env = {
        **os.environ,
        "FLOWLAB_HOME": str(home),
        "PYTHONHASHSEED": hash_seed,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-c", LAUNCH],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_iris_workflow_is_fully_cached_when_launched_again_from_a_fresh_process(tmp_path):
    first = _launch(tmp_path, "1")
    second = _launch(tmp_path, "2024")
    assert first["status"] == second["status"] == "succeeded"
    assert {c["status"] for c in first["cache"].values()} == {"miss"}
    assert all(c["changed"] == ["new"] for c in first["cache"].values()), first["cache"]
    assert second["cache"] and all(
        c["status"] == "hit" and c["from_run"] == first["id"] for c in second["cache"].values()
    ), second["cache"]
