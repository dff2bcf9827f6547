"""Who launched it, on the command line: `flowlab runs --mine`, USER in `runs` and `queue`."""

from __future__ import annotations

import uuid

import pytest

from tests.cli.conftest import CLI

FLOWS = "tests.cli.flows"


def _as(cli: CLI, user: str) -> CLI:
    """The same `flowlab` (home, cluster) run by another user."""
    other = CLI(cli.home)
    other.env["FLOWLAB_USER"] = user
    return other


@pytest.fixture(scope="module")
def users(cli):
    """Two people sharing the cluster and the store: ada and bob (names unique to this run)."""
    tag = uuid.uuid4().hex[:6]
    return _as(cli, f"ada-{tag}"), _as(cli, f"bob-{tag}")


def _submitted(done) -> str:
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _user_column(output: str, run_id: str) -> str:
    """The USER cell of ``run_id``'s line in a `flowlab runs`/`queue` table."""
    header, *lines = output.splitlines()
    columns = header.split()
    assert "USER" in columns, header
    line = next(line for line in lines if line.startswith(run_id))
    return line.split()[columns.index("USER")]


def test_runs_mine_lists_only_my_runs_and_every_runs_output_says_who(users):
    ada, bob = users
    ada_name, bob_name = ada.env["FLOWLAB_USER"], bob.env["FLOWLAB_USER"]
    mine = _submitted(ada("submit", f"{FLOWS}:adder", "--input", "a=1", "--wait"))
    theirs = _submitted(bob("submit", f"{FLOWS}:adder", "--input", "a=2", "--wait"))
    assert [r["id"] for r in ada.json("runs", "--mine")] == [mine]
    assert [r["id"] for r in bob.json("runs", "--mine")] == [theirs]
    # --mine narrows the query, its order and limit kept
    found = ada.json("runs", "--mine", 'workflow = "adder" order by created desc limit 5')
    assert [r["id"] for r in found] == [mine]
    assert ada.json("runs", "--mine", "outputs.total = 3") == []
    everyone = {r["id"]: r["user"] for r in ada.json("runs", 'workflow = "adder"')}
    assert everyone[mine] == ada_name and everyone[theirs] == bob_name
    assert ada.json("show", theirs)["user"] == bob_name
    table = ada("runs", 'workflow = "adder"')
    assert table.returncode == 0, table.stderr
    assert _user_column(table.stdout, mine) == ada_name
    assert _user_column(table.stdout, theirs) == bob_name
    assert f"user      {bob_name}" in bob("show", theirs).stdout


def test_queue_shows_who_launched_each_run_and_mine(users):
    ada, bob = users
    ada_name = ada.env["FLOWLAB_USER"]
    run_id = _submitted(
        ada("submit", f"{FLOWS}:sleeper", "--input", "x=1", "--input", "seconds=60")
    )
    try:
        queued = bob.json("queue")
        assert next(r for r in queued if r["id"] == run_id)["user"] == ada_name
        table = bob("queue")
        assert table.returncode == 0, table.stderr
        assert _user_column(table.stdout, run_id) == ada_name
        assert run_id in [r["id"] for r in ada.json("queue", "--mine")]
        assert run_id not in [r["id"] for r in bob.json("queue", "--mine")]
    finally:
        cancelled = ada("cancel", run_id)
        assert cancelled.returncode == 0, cancelled.stderr


def test_runs_mine_with_a_bad_query_says_what_is_wrong(users):
    ada, _ = users
    done = ada("runs", "--mine", "user = 3")
    assert done.returncode == 2
    assert "user is text" in done.stderr
