"""The persistent cluster: Dask's own ``dask scheduler`` and ``dask worker`` processes, detached.

``flowlab cluster up`` starts them and writes what it started to
``$FLOWLAB_HOME/cluster/cluster.json`` (address, pids with their start times, logs beside it);
while that file names a live scheduler, :func:`flowlab.cluster.get_client` connects to it, so
notebooks and the CLI share one cluster whose runs outlive the process that launched them.
``down`` stops exactly the processes ``up`` started, by pid (and start time, so a reused pid is
never touched), and nothing else.

On any address but loopback the cluster speaks TLS, Dask's own (``distributed.security``):
whoever reaches an unauthenticated scheduler can run code on every worker. ``up`` makes a
certificate authority for the cluster and one certificate (PEM files, mode 0600, in
``$FLOWLAB_HOME/cluster/tls``); the scheduler and workers require it of every peer (mutual
TLS), so only the owner of those files can connect. The CA's key is thrown away once it has
signed: nothing else can ever be signed by it. ``insecure=True`` keeps plain TCP.

Example::

    from flowlab.core.clusters import persistent
    state = persistent.up(workers=2, resources=["CPU=1,MEMORY=4GB"])
    state["address"]          # tcp://127.0.0.1:…
    persistent.down()
    persistent.up(workers=2, host="0.0.0.0")["address"]   # tls://10.0.0.5:…
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from flowlab.core.clusters.worker_resources import parse_resources
from flowlab.errors import FlowlabError


class ClusterStateError(FlowlabError, RuntimeError):
    """``cluster up`` when one is up, ``down``/``status`` when none is, or a start that failed."""


def cluster_dir() -> Path:
    """``$FLOWLAB_HOME/cluster``: the state file and the processes' logs."""
    from flowlab.store.config import home

    path = home() / "cluster"
    path.mkdir(parents=True, exist_ok=True)
    return path


def state_file() -> Path:
    return cluster_dir() / "cluster.json"


def read_state() -> dict | None:
    """What ``up`` recorded, or None when no cluster is up (a stale file is ignored)."""
    from flowlab.store.config import home

    path = home() / "cluster" / "cluster.json"
    try:
        state = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    if state.get("gateway"):  # the Gateway runs it; connecting says whether it still does
        return state
    if not _alive(state["scheduler"]):
        return None
    return state


def connect(state: dict, timeout: float | None = None):
    """A ``distributed.Client`` of the cluster ``state`` describes (through its Gateway when
    a Gateway runs it).

    Example::

        client = persistent.connect(persistent.read_state())
    """
    if state.get("gateway"):
        from flowlab.core.clusters import gateway

        return gateway.client(state["gateway"])
    from distributed import Client

    options = {"timeout": timeout} if timeout is not None else {}
    return Client(state["address"], security=client_security(state), **options)


def address() -> str | None:
    """The scheduler address of the persistent cluster while it is up, else None."""
    state = read_state()
    return state["address"] if state else None


def client_security(state: dict | None):
    """The ``distributed.security.Security`` a client of the cluster ``state`` describes
    needs: the cluster's CA and client certificate when it speaks TLS, None for plain TCP.

    Example::

        state = persistent.read_state()
        Client(state["address"], security=persistent.client_security(state))
    """
    tls = (state or {}).get("tls")
    if not tls:
        return None
    from distributed.security import Security

    return Security(
        tls_ca_file=tls["ca_file"],
        tls_client_cert=tls["cert"],
        tls_client_key=tls["key"],
        require_encryption=True,
    )


def security_for(scheduler: str | None):
    """:func:`client_security` of the persistent cluster when ``scheduler`` is its address
    (``FLOWLAB_SCHEDULER`` may name it too), else None: Dask's configuration decides.

    Example::

        Client(address, security=persistent.security_for(address))
    """
    state = read_state() if scheduler else None
    if state is None or state["address"] != scheduler:
        return None
    return client_security(state)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only: ``localhost``, 127.0.0.0/8, ::1.
    An empty host listens everywhere, so it is not.

    Example::

        is_loopback("127.0.0.1"), is_loopback("0.0.0.0")   # (True, False)
    """
    name = host.strip().strip("[]")
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def up(
    workers: int = 2,
    resources: list[str] | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    threads: int = 1,
    timeout: float = 60.0,
    insecure: bool = False,
    slurm=None,
    gateway: dict | None = None,
) -> dict:
    """Start a scheduler and ``workers`` workers, detached; return once they accept work.

    ``resources`` holds one text per worker, or one for all (``"CPU=1,MEMORY=4GB"``);
    without it each worker advertises ``CPU=threads`` and its share of this machine's memory.
    A ``host`` other than loopback gets TLS (see the module's docstring) unless ``insecure``.
    The state's ``security`` says which: ``"loopback"``, ``"tls"`` or ``"insecure"``.

    ``slurm`` (a :class:`flowlab.core.clusters.slurm.JobOptions`) makes the workers Slurm
    jobs instead (core/clusters/slurm.py); ``workers`` and ``resources`` are then unused. It
    returns once they joined, or after ``timeout`` with the jobs still pending in Slurm's
    queue (the state's ``pending`` counts them): they join when Slurm starts them.

    ``gateway`` (``{"address": URL, "options": {...}}``) asks that Dask Gateway for the
    cluster instead (core/clusters/gateway.py), with ``workers`` workers.
    """
    existing = read_state()
    if existing:
        raise ClusterStateError(
            f"a cluster is already up at {existing['address']} (started "
            f"{existing['started']}, state in {state_file()}); run `flowlab cluster down` first"
        )
    if gateway is not None:
        return _up_on_gateway(gateway, workers, timeout)
    if slurm is not None:
        from flowlab.core.clusters import slurm as slurm_jobs

        reason = slurm_jobs.unavailable()
        if reason:
            raise ClusterStateError(reason)
        workers = slurm.jobs
        specs = [slurm.resources] * workers
    else:
        specs = _worker_resources(workers, resources, threads)
    folder = cluster_dir()
    scheduler_file = folder / "scheduler.json"
    scheduler_file.unlink(missing_ok=True)
    security = "loopback" if is_loopback(host) else "insecure" if insecure else "tls"
    tls = make_certificates(folder / "tls", host) if security == "tls" else None
    flags, env = _tls_arguments(tls)
    started: dict[str, Any] = {"workers": []}
    try:
        started["scheduler"] = _spawn(
            [
                "scheduler",
                "--host",
                host,
                "--port",
                str(port),
                "--dashboard-address",
                f"{host}:0",
                "--scheduler-file",
                str(scheduler_file),
                *flags,
            ],
            folder / "scheduler.log",
            env,
        )
        info = _wait_for_file(scheduler_file, started["scheduler"], timeout, folder)
        addr = info["address"]
        if slurm is not None:
            slurm_jobs.write_keeper_config(addr, slurm, folder, tls)
            started["keeper"] = _spawn_python(
                ["-m", slurm_jobs.__name__, str(folder)], folder / "slurm-keeper.log", env
            )
        for i, res in enumerate(specs if slurm is None else ()):
            command = [
                "worker",
                addr,
                "--host",
                host,
                "--nthreads",
                str(threads),
                "--name",
                f"flowlab-{i}",
                "--local-directory",
                str(folder / f"worker-{i}"),
                "--dashboard-address",
                f"{host}:0",
                "--resources",
                " ".join(f"{k}={v:g}" for k, v in res.items()),
            ]
            if "MEMORY" in res:
                command += ["--memory-limit", str(int(res["MEMORY"]))]
            command += flags
            started["workers"].append(_spawn(command, folder / f"worker-{i}.log", env))
        pending = _wait_for_workers(addr, workers, timeout, started, folder, tls)
    except BaseException:
        _stop_slurm(started, folder)
        _stop(started)
        raise
    state = {
        "address": addr,
        "security": security,
        "tls": tls,
        "dashboard": _dashboard(info, host),
        "started": _now(),
        "workers": specs,
        "scheduler": started["scheduler"],
        "worker_processes": started["workers"],
        "logs": str(folder),
    }
    if slurm is not None:
        import dataclasses

        state["slurm"] = {
            "options": dataclasses.asdict(slurm),
            "keeper": started["keeper"],
            "jobs": [job["job_id"] for job in slurm_jobs.read_jobs(folder)],
        }
        state["pending"] = pending
    state_file().write_text(json.dumps(state, indent=2))
    return state


def _up_on_gateway(gateway: dict, workers: int, timeout: float) -> dict:
    from flowlab.core.clusters import gateway as gateways

    if workers < 1:
        raise ValueError(f"--jobs: expected at least 1, got {workers}")
    recorded = gateways.start(gateway["address"], workers, gateway.get("options") or {}, timeout)
    state = {
        "address": recorded["scheduler"],
        "security": "gateway",
        "tls": None,
        "dashboard": recorded["dashboard"],
        "started": _now(),
        "workers": [],
        "scheduler": None,
        "worker_processes": [],
        "logs": str(cluster_dir()),
        "gateway": recorded,
        "pending": recorded["pending"],
    }
    state_file().write_text(json.dumps(state, indent=2))
    return state


def down(timeout: float = 30.0) -> dict:
    """Stop every process ``up`` started (workers, then the scheduler) and wait for each."""
    path = state_file()
    try:
        state = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        raise ClusterStateError(
            f"no cluster is up (no {path}); start one with `flowlab cluster up`"
        ) from None
    if state.get("gateway"):
        from flowlab.core.clusters import gateway

        gateway.stop(state["gateway"])
        path.unlink(missing_ok=True)
        return state
    left = _stop_slurm(state.get("slurm") or {}, cluster_dir())
    left += _stop({"scheduler": state["scheduler"], "workers": state["worker_processes"]}, timeout)
    path.unlink(missing_ok=True)
    for path in (state.get("tls") or {}).values():  # they admit to this cluster: gone with it
        Path(path).unlink(missing_ok=True)
    if left:
        raise ClusterStateError(
            f"processes or Slurm jobs {', '.join(map(str, left))} did not end within {timeout:g} s"
        )
    return state


#: how long ``down`` gives the Slurm job keeper to cancel its jobs and see them gone
SLURM_STOP_SECONDS = 90.0


def _stop_slurm(started: dict, folder: Path) -> list:
    """Stop the Slurm job keeper (it cancels its jobs), then cancel any job it left (a keeper
    that was killed); return the jobs squeue still lists as live."""
    keeper = started.get("keeper")
    if keeper is None:
        return []
    from flowlab.core.clusters import slurm

    left: list = _stop({"workers": [keeper]}, SLURM_STOP_SECONDS)
    jobs = [job["job_id"] for job in slurm.read_jobs(folder)] + list(started.get("jobs") or [])
    jobs = slurm.live(sorted(set(jobs)))
    if jobs:
        slurm.cancel(jobs)
        deadline = time.monotonic() + SLURM_STOP_SECONDS
        while jobs and time.monotonic() < deadline:
            time.sleep(0.5)
            jobs = slurm.live(jobs)
    return left + jobs


def status(timeout: float = 10.0) -> dict:
    """The cluster's workers: resources, memory, threads, tasks running and waiting."""
    state = read_state()
    if state is None:
        raise ClusterStateError(
            f"no cluster is up (no live scheduler in {state_file()}); start one with "
            "`flowlab cluster up`"
        )
    with connect(state, timeout) as client:
        info = client.scheduler_info(n_workers=-1)
        processing = client.processing()
    workers = []
    for addr, w in sorted(info["workers"].items(), key=lambda kv: kv[1].get("name", "")):
        metrics = w.get("metrics") or {}
        workers.append(
            {
                "address": addr,
                "name": w.get("name"),
                "threads": w.get("nthreads"),
                "resources": dict(w.get("resources") or {}),
                "memory": metrics.get("memory"),
                "memory_limit": w.get("memory_limit"),
                "running": len(processing.get(addr, ())),
            }
        )
    found = {
        "address": state["address"],
        "security": state.get("security") or _security_before_tls(state["address"]),
        "tls": state.get("tls"),
        "dashboard": state.get("dashboard"),
        "started": state["started"],
        "logs": state["logs"],
        "workers": workers,
        "engine": "slurm" if state.get("slurm") else "gateway" if state.get("gateway") else "local",
    }
    if state.get("gateway"):
        found["gateway"] = {k: state["gateway"][k] for k in ("address", "cluster", "options")}
    if state.get("slurm"):
        found["jobs"] = _slurm_jobs(workers)
    return found


def _slurm_jobs(workers: list[dict]) -> list[dict]:
    """The worker jobs the Slurm job keeper holds, with their state in squeue now and the
    worker each one is (None while it is pending); each worker gets its ``job_id``."""
    from flowlab.core.clusters import slurm

    jobs = slurm.read_jobs(cluster_dir())
    try:
        states = slurm.queue_states([job["job_id"] for job in jobs])
    except (OSError, RuntimeError, subprocess.SubprocessError):
        states = {}
    by_name = {w["name"]: w for w in workers}
    for job in jobs:
        job["state"] = states.get(job["job_id"], job.get("state"))
        worker = by_name.get(job["name"])
        job["worker"] = worker["address"] if worker else None
        if worker:
            worker["job_id"] = job["job_id"]
    return jobs


def _security_before_tls(address: str) -> str:
    """What a state written before TLS existed means: plain TCP, on loopback or not."""
    host = address.split("://")[-1].rsplit(":", 1)[0]
    return "loopback" if is_loopback(host) else "insecure"


# -- TLS ------------------------------------------------------------------------------------------
#: how long the cluster's certificates are valid; a new ``up`` makes new ones
CERTIFICATE_DAYS = 365


def make_certificates(folder: Path, host: str = "") -> dict[str, str]:
    """A new CA and one certificate it signed (for the scheduler, the workers and clients
    alike), written to ``folder`` (mode 0700) as PEM files of mode 0600; returns their paths
    as ``{"ca_file", "cert", "key"}``. The CA's key is never written: once it has signed,
    nothing else can be signed by it.

    Example::

        make_certificates(cluster_dir() / "tls", "0.0.0.0")["cert"]   # …/tls/cluster.pem
    """
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    except ImportError:  # a flowlab dependency, but an environment may have lost it
        raise ClusterStateError(
            "--host: a cluster on a non-loopback address uses TLS, and making its "
            "certificates needs the `cryptography` package: `pip install cryptography` "
            "(or --insecure for plain TCP)"
        ) from None

    now = dt.datetime.now(tz=dt.UTC)
    start, end = now - dt.timedelta(minutes=5), now + dt.timedelta(days=CERTIFICATE_DAYS)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "flowlab cluster CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName("localhost"), x509.DNSName(socket.gethostname())]
    try:  # Dask checks no host names (its docs: a dedicated CA, IP addresses); others may
        ip = ipaddress.ip_address(host.strip("[]"))
        if not ip.is_unspecified:
            names.append(x509.IPAddress(ip))
    except ValueError:
        pass
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "flowlab cluster")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(
            # one certificate serves both ends of every connection (mutual TLS)
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)  # mkdir's mode is not applied to a folder that was there
    paths = {"ca_file": folder / "ca.pem", "cert": folder / "cluster.pem"}
    paths["key"] = folder / "cluster-key.pem"
    _write_private(paths["ca_file"], ca.public_bytes(serialization.Encoding.PEM))
    _write_private(paths["cert"], cert.public_bytes(serialization.Encoding.PEM))
    _write_private(
        paths["key"],
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    return {name: str(path) for name, path in paths.items()}


def _key_usage(cert_sign: bool):
    from cryptography import x509

    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to a new file only this user can read (never through a planted link)."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _tls_arguments(tls: dict | None) -> tuple[list[str], dict[str, str] | None]:
    """The ``dask scheduler``/``dask worker`` flags for ``tls``, and their environment.

    The flags secure the scheduler's and workers' own connections; the environment (Dask's
    configuration) gives the same certificate to every client those processes make: the run
    keeper the scheduler starts (core/runs/run_keeper_process.py) and an operator's client to
    its worker's scheduler (a workflow launched from an operator).
    """
    if tls is None:
        return [], None
    flags = ["--protocol", "tls", "--tls-ca-file", tls["ca_file"]]
    flags += ["--tls-cert", tls["cert"], "--tls-key", tls["key"]]
    env = {
        "DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION": "True",
        "DASK_DISTRIBUTED__COMM__TLS__CA_FILE": tls["ca_file"],
    }
    for role in ("SCHEDULER", "WORKER", "CLIENT"):
        env[f"DASK_DISTRIBUTED__COMM__TLS__{role}__CERT"] = tls["cert"]
        env[f"DASK_DISTRIBUTED__COMM__TLS__{role}__KEY"] = tls["key"]
    return flags, env


# -- processes --------------------------------------------------------------------------------------
def _worker_resources(workers: int, resources: list[str] | None, threads: int) -> list[dict]:
    if workers < 1:
        raise ValueError(f"--workers: expected at least 1, got {workers}")
    resources = list(resources or [])
    if len(resources) not in (0, 1, workers):
        raise ValueError(
            f"--resources given {len(resources)} times for {workers} workers: give it once "
            "(every worker) or once per worker"
        )
    if not resources:
        import psutil

        memory = psutil.virtual_memory().total // workers
        return [{"CPU": float(threads), "MEMORY": float(memory)} for _ in range(workers)]
    parsed = [parse_resources(text) for text in resources]
    return parsed * workers if len(parsed) == 1 else parsed


def _spawn(args: list[str], log: Path, env: dict[str, str] | None = None) -> dict:
    """One detached ``dask`` process (its own session: a closed terminal does not stop it),
    with ``env`` added to this process's environment."""
    return _spawn_python(["-m", "dask", *args], log, env)


def _spawn_python(args: list[str], log: Path, env: dict[str, str] | None = None) -> dict:
    """One detached process of this Python (see :func:`_spawn`)."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, *args],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            env={**os.environ, **env} if env else None,
        )
    return {"pid": proc.pid, "create_time": _create_time(proc.pid), "log": str(log)}


def _create_time(pid: int) -> float | None:
    import psutil

    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def _alive(proc: dict) -> bool:
    """The process we started is still running (a reused pid is another process)."""
    import psutil

    try:
        p = psutil.Process(proc["pid"])
        if p.status() == psutil.STATUS_ZOMBIE:
            return False
        return proc.get("create_time") is None or abs(p.create_time() - proc["create_time"]) < 1
    except psutil.Error:
        return False


def _family(proc: dict) -> list:
    """The process and its children (a worker's nanny runs the worker as its child)."""
    import psutil

    if not _alive(proc):
        return []
    try:
        p = psutil.Process(proc["pid"])
        return [p, *p.children(recursive=True)]
    except psutil.Error:
        return []


def _stop(started: dict, timeout: float = 30.0) -> list[int]:
    """SIGTERM workers, then the scheduler; SIGKILL what is left after ``timeout``."""
    import psutil

    left: list[int] = []
    groups = [
        started.get("workers") or [],
        [started["scheduler"]] if "scheduler" in started else [],
    ]
    for group in groups:
        family = [p for proc in group for p in _family(proc)]
        for p in family:
            try:
                p.send_signal(signal.SIGTERM)
            except psutil.Error:
                pass
        _, alive = psutil.wait_procs(family, timeout=timeout)
        for p in alive:
            try:
                p.kill()
            except psutil.Error:
                pass
        _, alive = psutil.wait_procs(alive, timeout=5)
        left += [p.pid for p in alive]
    return left


def _wait_for_file(path: Path, proc: dict, timeout: float, folder: Path) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            try:
                return json.loads(path.read_text())
            except json.JSONDecodeError:
                pass  # being written
        if not _alive(proc):
            raise ClusterStateError(
                f"the scheduler exited while starting; see {folder / 'scheduler.log'}:\n"
                + _tail(folder / "scheduler.log")
            )
        time.sleep(0.1)
    raise ClusterStateError(f"the scheduler did not start within {timeout:g} s; see its log")


def _wait_for_workers(
    addr: str, n: int, timeout: float, started: dict, folder: Path, tls: dict | None
) -> int:
    """Wait until ``n`` workers joined; return how many Slurm jobs are still pending when
    ``timeout`` ran out (a busy Slurm queue is no failure), 0 once all joined."""
    from distributed import Client

    deadline = time.monotonic() + timeout
    security = client_security({"tls": tls})
    with Client(addr, timeout=timeout, security=security) as client:
        while (joined := len(client.scheduler_info(n_workers=-1)["workers"])) < n:
            for i, proc in enumerate(started["workers"]):
                if not _alive(proc):
                    log = folder / f"worker-{i}.log"
                    raise ClusterStateError(
                        f"worker {i} exited while starting; see {log}:\n" + _tail(log)
                    )
            keeper = started.get("keeper")
            if keeper and not _alive(keeper):
                log = Path(keeper["log"])
                raise ClusterStateError(
                    _tail(log, 1).removeprefix("the job keeper stopped: ")
                    + f" (the Slurm job keeper's log: {log})"
                )
            if time.monotonic() > deadline:
                if keeper:
                    return n - joined
                raise ClusterStateError(
                    f"{n} workers did not connect within {timeout:g} s; see the logs in {folder}"
                )
            time.sleep(0.1)
    return 0


def _tail(path: Path, lines: int = 8) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _dashboard(info: dict, host: str) -> str | None:
    port = (info.get("services") or {}).get("dashboard")
    return f"http://{host}:{port}/status" if port else None


def _now() -> str:
    from flowlab.core.record.records import now_iso

    return now_iso()


def pids(state: dict) -> list[int]:
    """Every pid ``up`` started (scheduler and worker nannies)."""
    scheduler = [state["scheduler"]["pid"]] if state.get("scheduler") else []
    return [*scheduler, *(p["pid"] for p in state["worker_processes"])]
