"""`flowlab cluster up --gateway URL`: a cluster from a real Dask Gateway (tests/gateway.py:
dask-gateway-server, local backend, password auth), driven by the real `flowlab` command."""

from __future__ import annotations

import pytest

from tests.cli.conftest import CLI, assert_all_gone
from tests.gateway import GatewayServer

FLOWS = "tests.cli.flows"
# clusters started and stopped, jobs replaced: minutes on a busy machine
pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    with GatewayServer(tmp_path_factory.mktemp("gateway")) as server:
        yield server


def gateway_cli(home, gateway: GatewayServer) -> CLI:
    cli = CLI(home)
    cli.env.update(gateway.client_env)
    return cli


def gateway_clusters(gateway: GatewayServer) -> list[str]:
    """The clusters the Gateway runs for its user, asked of the Gateway itself."""
    import dask
    from dask_gateway import BasicAuth, Gateway

    with dask.config.set({"gateway.http-client.proxy": False}):
        gw = Gateway(gateway.url, auth=BasicAuth(gateway.user, gateway.password))
        return [report.name for report in gw.list_clusters()]  # closed when collected


def test_up_gateway_keeps_a_run_after_its_launcher_exits_and_down_stops_the_cluster(
    tmp_path, gateway
):
    cli = gateway_cli(tmp_path, gateway)
    up = cli("cluster", "up", "--gateway", gateway.url, "--jobs", "2", "--memory", "1GiB")
    assert up.returncode == 0, up.stderr
    try:
        state = cli.state()
        name = state["gateway"]["cluster"]
        assert up.stdout.strip() == f"gateway://127.0.0.1:{gateway.proxy_port}/{name}"
        assert name in gateway_clusters(gateway)
        assert gateway.password not in cli.state_file().read_text()  # never written down
        status = cli.json("cluster", "status")
        assert status["engine"] == "gateway" and status["gateway"]["cluster"] == name
        assert [w["resources"] for w in status["workers"]] == [{"CPU": 1, "MEMORY": 2**30}] * 2

        submitted = cli("submit", f"{FLOWS}:sleeper", "--input", "x=7", "--input", "seconds=2")
        assert submitted.returncode == 0, submitted.stderr  # the launching process has exited
        shown = cli.wait_for(submitted.stdout.split()[0])
        assert shown["status"] == "succeeded" and shown["outputs"] == {"first": 7, "second": 7}
        launcher = cli.record(shown["id"])["launcher"]  # the run keeper, beside the scheduler
        assert launcher["scheduler"].startswith("tls://127.0.0.1:")

        down = cli("cluster", "down")
        assert down.returncode == 0, down.stderr
        assert name not in gateway_clusters(gateway)
        assert not cli.state_file().exists()
        assert_all_gone([launcher["pid"]], timeout=60)
    finally:
        if cli.state_file().exists():
            cli("cluster", "down")


def test_credentials_the_gateway_refuses_exit_1_saying_where_to_set_them(tmp_path, gateway):
    cli = gateway_cli(tmp_path, gateway)
    cli.env["DASK_GATEWAY__AUTH__KWARGS__PASSWORD"] = "not-the-password"
    done = cli("cluster", "up", "--gateway", gateway.url)
    assert done.returncode == 1
    assert "refused the credentials (HTTP 401)" in done.stderr
    assert "gateway.auth.type" in done.stderr
    assert "not-the-password" not in done.stderr + done.stdout
    assert not cli.state_file().exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ("--gateway-option", "colour=red"),
            "offers worker_cores, worker_gpus, worker_memory",
        ),
        (("--gpus", "9"), "--gpus: worker_gpus must be <= 4"),
        (("--gateway-option", "worker_cores=many"), "worker_cores='many': expected an integer"),
    ],
)
def test_an_option_the_gateway_refuses_is_named(tmp_path, gateway, args, message):
    cli = gateway_cli(tmp_path, gateway)
    done = cli("cluster", "up", "--gateway", gateway.url, *args)
    assert done.returncode == 1 and message in done.stderr, done.stderr
    assert not cli.state_file().exists()


def test_an_unreachable_gateway_exits_1_naming_it(tmp_path):
    done = CLI(tmp_path)("cluster", "up", "--gateway", "http://127.0.0.1:9")
    assert done.returncode == 1
    assert "cannot reach the Gateway at http://127.0.0.1:9" in done.stderr


def test_local_flags_with_gateway_exit_2(tmp_path):
    done = CLI(tmp_path)("cluster", "up", "--gateway", "http://127.0.0.1:9", "--workers", "3")
    assert done.returncode == 2
    assert "--workers does not apply with --gateway" in done.stderr
