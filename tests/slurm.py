"""A real single-node Slurm for the tests: munged, slurmctld and slurmd as processes a test
owns, configured in a temporary folder (its own ports, munge key and socket), so it never
touches a Slurm the machine may already run.

Debian's ``slurm-wlm`` and ``munge`` are installed with apt when missing (as ``make test`` does
for Chromium); without apt or root the tests that need Slurm skip, saying why.

Example::

    with SingleNodeSlurm(tmp_path) as slurm:
        subprocess.run(["sinfo"], env={**os.environ, **slurm.env})
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import psutil

from tests.polling import poll_for

PACKAGES = ["slurm-wlm", "munge"]
DAEMONS = ["munged", "mungekey", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "sinfo"]


def missing_reason() -> str | None:
    """Why Slurm cannot run here (after installing it with apt when it can), or None."""
    if all(shutil.which(d) for d in DAEMONS):
        return None if os.geteuid() == 0 else "slurmd runs jobs as their user: it needs root"
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return "slurm-wlm and munge are not installed, and apt-get as root is not available"
    done = _apt_install()
    if done.returncode != 0:  # a fresh machine's package lists may be stale
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, timeout=300)
        done = _apt_install()
    if done.returncode != 0 or not all(shutil.which(d) for d in DAEMONS):
        return f"apt-get install {' '.join(PACKAGES)} failed: {done.stderr.strip()[-300:]}"
    return None


def _apt_install() -> subprocess.CompletedProcess:
    return subprocess.run(
        ["apt-get", "install", "-y", "-qq", *PACKAGES],
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        capture_output=True,
        text=True,
        timeout=600,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _plugin_dir() -> str:
    for candidate in (
        "/usr/lib/x86_64-linux-gnu/slurm-wlm",
        "/usr/lib/aarch64-linux-gnu/slurm-wlm",
    ):
        if Path(candidate).is_dir():
            return candidate
    return "/usr/lib/slurm"


class SingleNodeSlurm:
    """munged + slurmctld + slurmd for one node (this machine), in ``folder``.

    ``env`` holds what a client needs (``SLURM_CONF``); ``stop()`` cancels every job and
    ends the three daemons.
    """

    def __init__(self, folder: Path, cpus: int = 4):
        self.folder = folder
        self.cpus = cpus
        self.procs: list[psutil.Popen] = []
        self.conf = folder / "slurm.conf"
        self.env = {"SLURM_CONF": str(self.conf)}

    def write_config(self) -> None:
        f = self.folder
        (f / "state").mkdir(parents=True, exist_ok=True)
        (f / "spool").mkdir(parents=True, exist_ok=True)
        memory_mb = min(psutil.virtual_memory().total // 2**20 - 1024, 16000)
        node = socket.gethostname()
        self.conf.write_text(
            f"""\
ClusterName=flowlabtest
SlurmctldHost={node}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={f}/munge.socket
CredType=cred/munge
StateSaveLocation={f}/state
SlurmdSpoolDir={f}/spool
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
SlurmctldPidFile={f}/slurmctld.pid
SlurmdPidFile={f}/slurmd.pid
SlurmctldLogFile={f}/slurmctld.log
SlurmdLogFile={f}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SlurmdParameters=config_overrides
ReturnToService=2
MpiDefault=none
KillWait=5
MinJobAge=60
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
PluginDir={_plugin_dir()}
NodeName={node} NodeAddr=127.0.0.1 CPUs={self.cpus} RealMemory={memory_mb} State=UNKNOWN
PartitionName=flowlab Nodes={node} Default=YES MaxTime=INFINITE State=UP
"""
        )

    def _start(self, *args: str, log: str) -> None:
        out = open(self.folder / log, "ab")  # noqa: SIM115 - the daemon writes to it until stop()
        self.procs.append(
            psutil.Popen(
                list(args),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **self.env},
            )
        )
        out.close()

    def start(self) -> SingleNodeSlurm:
        f = self.folder
        f.mkdir(parents=True, exist_ok=True)
        f.chmod(0o700)
        self.write_config()
        key = f / "munge.key"
        subprocess.run(["mungekey", "--create", "--keyfile", str(key)], check=True, timeout=60)
        key.chmod(0o600)
        self._start(
            "munged",
            "--foreground",
            "--force",
            f"--socket={f}/munge.socket",
            f"--key-file={key}",
            f"--pid-file={f}/munged.pid",
            f"--log-file={f}/munged.log",
            f"--seed-file={f}/munge.seed",
            log="munged.out",
        )
        poll_for(lambda: (f / "munge.socket").exists(), 30, what="munged's socket")
        self._start("slurmctld", "-D", "-i", "-f", str(self.conf), log="slurmctld.out")
        self._start("slurmd", "-D", "-f", str(self.conf), log="slurmd.out")
        poll_for(self._idle, 60, what="the Slurm node to be idle", every=0.5)
        return self

    def _idle(self) -> bool:
        for proc in self.procs:
            if proc.poll() is not None:
                raise AssertionError(
                    f"{proc.args[0]} exited ({proc.returncode}); see the logs in {self.folder}"
                )
        done = self.run("sinfo", "--noheader", "--format=%T")
        return done.returncode == 0 and done.stdout.strip() == "idle"

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        """A Slurm command (``squeue``, ``scancel``…) against this Slurm."""
        return subprocess.run(
            list(args),
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def live_jobs(self) -> list[str]:
        """Job ids squeue lists as pending or running (what `squeue` shows by default)."""
        done = self.run("squeue", "--noheader", "--format=%i")
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    def stop(self) -> None:
        """Cancel every job, wait until none is left (their processes gone with them), then
        stop slurmd, slurmctld and munged."""
        if all(proc.poll() is None for proc in self.procs):
            self.run("scancel", "--full", "--user=root")
            try:
                poll_for(lambda: not self.live_jobs(), 60, what="every Slurm job to end")
            except AssertionError:
                pass  # the daemons stop below; slurmd's end takes its jobs' processes
        for proc in reversed(self.procs):  # slurmd, slurmctld, then munged
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(30)
                except psutil.TimeoutExpired:
                    proc.kill()
                    proc.wait(10)

    def __enter__(self) -> SingleNodeSlurm:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
