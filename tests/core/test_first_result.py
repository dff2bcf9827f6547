"""The first run in a fresh process: what writing its outputs needs is imported while the
local cluster starts, not after the last operator (skops for a MODEL took seconds there)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import json, sys, threading
    import flowlab
    from flowlab.library import data
    from tests.seed_iris import make_iris

    seen = {}

    def starting(stage, client):
        if stage == "starting":  # get_client is about to start the cluster (seconds)
            seen["threads"] = [t.name for t in threading.enumerate()]

    flowlab.cluster.on_local_cluster_start(starting)
    frame = data.iris()
    run = make_iris("logloss").launch(
        labeled_data=frame, unlabeled_data=frame.drop(columns=["species"]), cache=False
    )
    run.result(timeout=300)
    seen["skops"] = "skops.io" in sys.modules
    seen["status"] = run.status
    print(json.dumps(seen))
    """
)


def test_a_first_launch_imports_skops_for_its_model_while_the_local_cluster_starts(tmp_path):
    import os

    from tests.cli.conftest import ROOT

    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWLAB_")}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env={**env, "FLOWLAB_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["status"] == "succeeded"
    assert "flowlab-warm-types" in seen["threads"]
    assert seen["skops"]


def test_a_launch_on_a_running_cluster_starts_no_warming(client):
    import threading

    from tests.core.ops import add_twice

    before = {t.ident for t in threading.enumerate() if t.name == "flowlab-warm-types"}
    run = add_twice.launch(a=1, b=2)
    run.result(timeout=120)
    after = {t.ident for t in threading.enumerate() if t.name == "flowlab-warm-types"}
    assert after <= before
