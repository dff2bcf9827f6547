"""The shadow predicts in a child process of the service: off the request path, dropped and
counted when it falls behind, replaced when it dies, gone when the service goes."""

from __future__ import annotations

import os
import signal
import uuid

import psutil
import pytest

import flowlab
from tests.polling import poll_for
from tests.serving.conftest import Server
from tests.serving.test_service import _following, instances, predict


@pytest.fixture
def shadowed(iris_versions):
    """A fresh model: version 1 answers, version 2 shadows it."""
    shallow, deep = iris_versions["runs"]
    name = f"iris-{uuid.uuid4().hex[:8]}"
    shallow.deploy(name), deep.deploy(name)
    flowlab.models.alias(name, "production", 1)
    flowlab.models.shadow(name, 2)
    return name


def shadow_state(server, name) -> dict:
    return server.client.get(f"/v1/models/{name}").json()["serving"]["shadow_process"]


def shadow_pid(server, name) -> int:
    """The pid of the server's shadow process, once it has one."""
    return poll_for(lambda: shadow_state(server, name)["pid"], what="the shadow process")


def report(name):
    """The shadow report's row of version 2 (zeros until the service wrote one)."""
    frame = flowlab.models.shadow_report(name).to_pandas().set_index("version")
    if 2 not in frame.index:
        return dict.fromkeys(("mirrored", "compared", "dropped", "shadow_errors"), 0)
    return frame.loc[2]


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_shadow_predictions_run_in_a_child_process_of_the_server(server, shadowed, iris_versions):
    _following(server, shadowed, iris_versions)
    pid = shadow_pid(server, shadowed)
    assert pid != server.process.pid
    assert psutil.Process(pid).ppid() == server.process.pid
    for row in instances(40):
        assert predict(server, shadowed, {"instances": [row]}).status_code == 200
    poll_for(lambda: report(shadowed)["compared"] >= 40, 30, what="40 compared requests")
    figures = report(shadowed)
    assert figures["mirrored"] == figures["compared"] == 40
    assert figures["dropped"] == 0 and figures["shadow_errors"] == 0
    assert shadow_state(server, shadowed)["pid"] == pid  # one child serves every batch


def test_a_killed_shadow_process_is_reported_and_replaced_and_callers_never_notice(
    server, shadowed, iris_versions
):
    _following(server, shadowed, iris_versions)
    pid = shadow_pid(server, shadowed)
    os.kill(pid, signal.SIGKILL)
    rows = instances(30)

    def replaced() -> bool:
        for row in rows:  # every answer comes from the primary, whatever the shadow does
            answer = predict(server, shadowed, {"instances": [row]})
            assert answer.status_code == 200 and answer.headers["X-Flowlab-Version"] == "1"
        state = shadow_state(server, shadowed)
        return state["pid"] not in (None, pid) and any(f"pid {pid}" in e for e in state["errors"])

    poll_for(replaced, 60, what=f"the shadow process {pid} to be reported and replaced")
    compared = report(shadowed)["compared"]
    for row in rows:
        predict(server, shadowed, {"instances": [row]})
    poll_for(
        lambda: report(shadowed)["compared"] >= compared + len(rows),
        30,
        what="the new shadow process to compare",
    )


def test_mirrors_the_shadow_cannot_keep_up_with_are_dropped_and_counted(shadowed):
    server = Server(env={"FLOWLAB_SHADOW_QUEUE": "20"})
    try:
        pid = shadow_pid(server, shadowed)
        os.kill(pid, signal.SIGSTOP)  # a shadow slower than any request
        try:
            rows = instances(150)
            for row in rows:
                answer = predict(server, shadowed, {"instances": [row]})
                assert answer.status_code == 200 and answer.headers["X-Flowlab-Version"] == "1"
        finally:
            os.kill(pid, signal.SIGCONT)
        poll_for(lambda: report(shadowed)["mirrored"] == 150, 60, what="150 mirrored requests")
        figures = report(shadowed)
        assert figures["dropped"] > 0 and figures["compared"] >= 20
        assert figures["dropped"] + figures["compared"] == 150
        assert figures["shadow_errors"] == 0
        metrics = server.client.get("/metrics").text
        assert f'flowlab_shadow_dropped_total{{model="{shadowed}",version="2"}}' in metrics
    finally:
        server.stop()


@pytest.mark.parametrize("how", ["terminated", "killed"])
def test_the_servers_exit_leaves_no_shadow_process(shadowed, how):
    server = Server()
    try:
        pid = shadow_pid(server, shadowed)
        if how == "killed":
            server.process.kill()
        else:
            server.process.terminate()
        server.process.wait(timeout=60)
        poll_for(lambda: gone(pid), 30, what=f"the shadow process {pid} to exit")
    finally:
        server.stop()
