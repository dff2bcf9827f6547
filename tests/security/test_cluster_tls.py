"""`flowlab cluster up` on a non-loopback address speaks TLS only (mutual, with certificates made
for the cluster); `--insecure` keeps plain TCP and says what that risks; loopback is unchanged.

Each test starts a real cluster with the real `flowlab` command and stops it (`cluster down`).
"""

from __future__ import annotations

import stat
from pathlib import Path

import psutil
import pytest

from tests.cli.conftest import CLI, started_pids
from tests.polling import poll_for

# real servers, clusters and processes: on a busy machine they take minutes, not seconds
pytestmark = pytest.mark.timeout(900)

ONE_WORKER = ("--workers", "1", "--resources", "CPU=1,MEMORY=1GB")


def connect(address: str, security=None):
    """A Dask client of this test process (never the default one), or the error it got."""
    from distributed import Client

    return Client(address, timeout="10s", security=security, set_as_default=False)


def stop(cli: CLI) -> None:
    """`cluster down`, then wait until every process `up` started has exited."""
    if not cli.state_file().exists():
        return
    pids = started_pids(cli.state())
    down = cli("cluster", "down")
    assert down.returncode == 0, down.stderr
    poll_for(
        lambda: not [p for p in pids if psutil.pid_exists(p) and not _zombie(p)],
        timeout=30,
        what=f"processes {pids} to exit after cluster down",
    )


def _zombie(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.Error:
        return True


@pytest.fixture
def cli(tmp_path):
    runner = CLI(tmp_path)
    yield runner
    stop(runner)  # also when a check failed: no cluster outlives its test


def test_up_on_a_public_address_speaks_only_tls_and_flowlab_runs_through_it(cli, tmp_path):
    from distributed.security import Security

    up = cli("cluster", "up", "--host", "0.0.0.0", *ONE_WORKER)
    assert up.returncode == 0, up.stderr
    address = up.stdout.strip()
    assert address.startswith("tls://"), address
    state = cli.state()
    assert state["address"] == address and state["security"] == "tls"
    folder = tmp_path / "cluster" / "tls"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert set(state["tls"]) == {"ca_file", "cert", "key"}
    for path in state["tls"].values():
        assert Path(path).parent == folder
        assert stat.S_IMODE(Path(path).stat().st_mode) == 0o600, path
    assert "PRIVATE KEY" in Path(state["tls"]["key"]).read_text()
    assert not list(folder.glob("*ca*key*"))  # the CA's key is never written

    # plain TCP to the same port: the TLS listener drops it
    with pytest.raises(OSError):
        connect(address.replace("tls://", "tcp://"))
    # TLS with a certificate the cluster's CA did not sign: refused (mutual TLS)
    with pytest.raises(OSError):
        connect(address, Security.temporary())
    # the cluster's own client certificate: accepted
    with connect(address, _security(state)) as client:
        poll_for(
            lambda: len(client.scheduler_info(n_workers=-1)["workers"]) == 1,
            what="the cluster's worker to join over TLS",
        )

    # flowlab's own client (the CLI's get_client) and the run keeper beside the scheduler
    kept = cli("submit", "tests.cli.flows:adder", "--input", "a=1", "--wait")
    assert kept.returncode == 0, kept.stderr
    run_id = kept.stdout.split()[0]
    assert cli.json("show", run_id)["status"] == "succeeded", kept.stderr
    assert cli.record(run_id)["launcher"]["scheduler"] == address
    # an operator's own client (a map fanned out from a worker) gets the certificate too
    fanned = cli(
        "submit", "tests.sweeps.ops:fan", "--input", "n=3", "--input", "offset=1", "--wait"
    )
    assert fanned.returncode == 0, fanned.stderr
    assert cli.json("show", fanned.stdout.split()[0])["status"] == "succeeded"

    shown = cli("cluster", "status")
    assert shown.returncode == 0, shown.stderr
    assert "TLS, mutual" in shown.stdout and address in shown.stdout
    assert cli.json("cluster", "status")["security"] == "tls"

    stop(cli)
    assert not list(folder.iterdir())  # the certificates admitted to this cluster only


def test_insecure_keeps_plain_tcp_and_warns_naming_the_risk(cli, tmp_path):
    up = cli("cluster", "up", "--host", "0.0.0.0", "--insecure", *ONE_WORKER)
    assert up.returncode == 0, up.stderr
    assert "warning: --insecure" in up.stderr
    assert "unauthenticated, unencrypted" in up.stderr and "run any code" in up.stderr
    address = up.stdout.strip()
    assert address.startswith("tcp://"), address
    state = cli.state()
    assert state["security"] == "insecure" and state["tls"] is None
    assert not (tmp_path / "cluster" / "tls").exists()
    with connect(address) as client:  # anyone: no certificate asked
        poll_for(
            lambda: len(client.scheduler_info(n_workers=-1)["workers"]) == 1,
            what="the cluster's worker to join over plain TCP",
        )
    shown = cli("cluster", "status")
    assert shown.returncode == 0 and "NONE: plain TCP, no authentication" in shown.stdout


def test_loopback_stays_plain_tcp_without_certificates_or_warning(cli, tmp_path):
    up = cli("cluster", "up", "--insecure", *ONE_WORKER)  # --insecure changes nothing here
    assert up.returncode == 0, up.stderr
    assert "warning" not in up.stderr and "TLS" not in up.stderr
    assert up.stdout.strip().startswith("tcp://127.0.0.1:")
    assert cli.state()["security"] == "loopback"
    assert not (tmp_path / "cluster" / "tls").exists()
    assert cli.json("cluster", "status")["security"] == "loopback"


def _security(state: dict):
    from distributed.security import Security

    tls = state["tls"]
    return Security(
        tls_ca_file=tls["ca_file"],
        tls_client_cert=tls["cert"],
        tls_client_key=tls["key"],
        require_encryption=True,
    )
