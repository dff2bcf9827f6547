"""The legitimate team flow keeps working: two people (two FLOWLAB_HOMEs) share one PostgreSQL
store, one artifact location and the team's key, and rerun each other's notebook workflows;
a third with another key reads the runs but never runs their code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

# real servers, clusters and processes: on a busy machine they take minutes, not seconds
pytestmark = pytest.mark.timeout(900)

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_URL = os.environ.get("FLOWLAB_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")

AUTHOR = textwrap.dedent(
    """
    import json, flowlab
    from flowlab import Output, operator, types, workflow

    @operator(returns=types.Schema(y=types.INTEGER))
    def triple(x: int):
        return Output(y=3 * x)

    @workflow(returns=types.Schema(y=types.INTEGER))
    def team_flow(x: int = 1):
        return Output(y=triple(x=x).y)

    if __name__ == "__main__":  # the local cluster's workers start by importing this file
        run = team_flow.launch(x=2)
        print(json.dumps({"id": run.id, "y": run.result()["y"]}))
    """
)

READER = textwrap.dedent(
    """
    import json, sys, flowlab

    if __name__ == "__main__":
        try:
            new = flowlab.get_run(sys.argv[1]).rerun(x=5)
            print(json.dumps({"y": new.result()["y"], "parent": new.record.get("parent")}))
        except flowlab.errors.Untrusted as e:
            print(json.dumps({"refused": str(e)}))
    """
)


@pytest.fixture
def team(tmp_path):
    """The environment of each member: their own home, the shared store, artifacts and key."""
    import sqlalchemy as sa

    from flowlab.store.sql_store import engine_url

    engine = sa.create_engine(engine_url(POSTGRES_URL))
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
    except Exception as e:  # only where no server answers
        pytest.skip(f"no PostgreSQL server answers at {POSTGRES_URL}: {e}")
    schema = f"flowlab_team_{uuid.uuid4().hex[:10]}"
    shared = {
        "FLOWLAB_STORE": f"{POSTGRES_URL}?schema={schema}",
        "FLOWLAB_ARTIFACTS": str(tmp_path / "bucket"),
        "FLOWLAB_KEY": "team-key-" + uuid.uuid4().hex,
    }

    def member(name: str, **extra: str) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWLAB_")}
        env.update(shared, FLOWLAB_HOME=str(tmp_path / name), PYTHONPATH=str(ROOT), **extra)
        return env

    yield member
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def run_script(tmp_path: Path, name: str, text: str, env: dict, *args: str) -> dict:
    script = tmp_path / f"{name}.py"
    script.write_text(text)
    done = subprocess.run(
        [sys.executable, str(script), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_team_members_with_the_key_rerun_each_others_notebook_workflows(team, tmp_path):
    launched = run_script(tmp_path, "alice", AUTHOR, team("alice"))
    assert launched["y"] == 6
    rerun = run_script(tmp_path, "bob", READER, team("bob"), launched["id"])
    assert rerun == {"y": 15, "parent": launched["id"]}


def test_a_reader_with_another_key_reads_but_never_runs_the_code(team, tmp_path):
    launched = run_script(tmp_path, "alice", AUTHOR, team("alice"))
    outsider = team("mallory", FLOWLAB_KEY="another-key")
    answer = run_script(tmp_path, "mallory", READER, outsider, launched["id"])
    assert "team_flow" in answer["refused"] and "not signed" in answer["refused"]
