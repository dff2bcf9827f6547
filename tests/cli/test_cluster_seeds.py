"""On a persistent cluster, whose workers live on between runs and draw meanwhile, the same
seed gives the same draws in every launch, from every launching process."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.cli.conftest import ROOT
from tests.core import seed_ops

# real servers, clusters and processes: on a busy machine they take minutes, not seconds
pytestmark = pytest.mark.timeout(900)

LAUNCH = (
    "import json\n"
    "from tests.core.seed_ops import four_at_once\n"
    "out = four_at_once.launch(count=100, seed=2024, cache=False).result(timeout=300)\n"
    "print(json.dumps({name: json.loads(out[name]) for name in 'abcd'}))\n"
)


def _launch(cli) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", LAUNCH],
        cwd=ROOT,
        env=cli.env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_launches_from_two_processes_draw_the_same_numbers(cli):
    first, second = _launch(cli), _launch(cli)
    assert first == second
    for drawn in first.values():
        assert drawn == seed_ops.expected_draws(drawn["seed"], 100)
