"""Who launched it: every run records its user (FLOWLAB_USER, else the OS login), searchable."""

from __future__ import annotations

import getpass
import os
import uuid

import flowlab
from flowlab.store.config import current_user
from tests.core import ops
from tests.sweeps.ops import bowl


def _name() -> str:
    return f"ada-{uuid.uuid4().hex[:6]}"


def test_every_new_run_records_flowlab_user_and_is_found_by_it(client, monkeypatch):
    name = _name()
    monkeypatch.setenv("FLOWLAB_USER", name)
    run = ops.add_twice.launch(a=1, b=2)
    run.result(timeout=60)
    assert run.user == name
    assert flowlab.get_run(run.id).record["user"] == name
    assert flowlab.get_run(run.id).user == name
    assert flowlab.runs(f'user = "{name}"').ids == [run.id]
    assert run.id not in flowlab.runs(f'user != "{name}"').ids


def test_without_flowlab_user_a_run_records_the_os_login(client, monkeypatch):
    monkeypatch.delenv("FLOWLAB_USER", raising=False)
    run = ops.add_twice.launch(a=2, b=2)
    run.result(timeout=60)
    assert flowlab.get_run(run.id).user == getpass.getuser()


def test_a_run_launched_by_an_operator_is_its_parent_runs_users(client, monkeypatch):
    """The operator runs in a worker process started before FLOWLAB_USER was set here (on a
    shared cluster: anyone's); its child run is still the parent run's user's."""
    name = _name()
    monkeypatch.setenv("FLOWLAB_USER", name)
    run = ops.launcher.launch(a=5, cache=False)
    child = flowlab.get_run(run.result(timeout=120).child)
    assert child.parent == run.id and child.user == name
    assert set(flowlab.runs(f'user = "{name}"').ids) == {run.id, child.id}


def test_a_sweep_and_its_children_record_the_user(client, monkeypatch):
    name = _name()
    monkeypatch.setenv("FLOWLAB_USER", name)
    sweep = bowl.sweep(grid={"x": [1, 2]}).wait(timeout=120)
    assert flowlab.get_run(sweep.id).user == name
    assert {r.user for r in sweep.runs} == {name}
    assert len(flowlab.runs(f'user = "{name}"')) == 3


def test_with_no_login_name_the_user_is_the_uid(monkeypatch):
    """A container's uid with no passwd entry and no LOGNAME/USER: getpass fails there."""

    def no_name():
        raise KeyError(f"getpwuid(): uid not found: {os.getuid()}")

    monkeypatch.delenv("FLOWLAB_USER", raising=False)
    monkeypatch.setattr(getpass, "getuser", no_name)
    assert current_user() == str(os.getuid())
    monkeypatch.setenv("FLOWLAB_USER", "  ")  # blank: not a name
    assert current_user() == str(os.getuid())
