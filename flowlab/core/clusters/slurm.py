"""Workers as Slurm jobs: ``flowlab cluster up --slurm``.

The scheduler is the persistent cluster's own (core/clusters/persistent.py: a detached
``dask scheduler`` that keeps runs); its workers are Slurm batch jobs that dask-jobqueue
writes and submits (``dask_jobqueue.slurm.SLURMJob``: one ``sbatch`` per worker, one
``scancel`` to stop it). Slurm schedules them; flowlab never does.

A small detached process, the *job keeper* (``python -m flowlab.core.clusters.slurm``), owns
the jobs: it submits ``jobs`` of them, asks ``squeue`` every few seconds which are still
pending or running, and submits a new job for each one that ended (``scancel``, its walltime,
a node failure), so the cluster keeps its size; the scheduler reruns the lost worker's
operators elsewhere. It writes what it holds to ``$FLOWLAB_HOME/cluster/slurm-jobs.json``
(``cluster status`` shows it) and, on SIGTERM (``cluster down``), cancels every job it
submitted and waits until ``squeue`` no longer lists them.

Each job's worker advertises flowlab's resources: ``CPU`` (``--cores``), ``MEMORY``
(``--memory``) and ``GPU`` (``--gpus``, requested from Slurm as ``--gres=gpu:G``).

Example::

    from flowlab.core.clusters import slurm
    options = slurm.JobOptions(jobs=2, cores=1, memory="2GB")
    options.job_directives()       # ['--mem=2G', ...] as the job script's #SBATCH lines
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from dask.utils import parse_bytes

#: how often the job keeper asks squeue about its jobs
POLL_SECONDS = 2.0
#: squeue states of a job that is (or will be) a worker; any other, or none, means it ended
LIVE_STATES = frozenset({"PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED"})
#: the worker jobs' name in squeue
JOB_NAME = "flowlab-worker"
#: how many replacements in a row may fail to submit before the keeper gives up
SUBMIT_FAILURES = 5


@dataclasses.dataclass(frozen=True)
class JobOptions:
    """What each worker job asks Slurm for, and how many jobs to keep.

    Example::

        JobOptions(jobs=4, cores=8, memory="32GB", gpus=1, partition="gpu", walltime="12:00:00")
    """

    jobs: int = 2
    cores: int = 1
    memory: str = "2GB"
    gpus: int = 0
    partition: str | None = None
    walltime: str | None = None
    account: str | None = None

    def __post_init__(self):
        if self.jobs < 1:
            raise ValueError(f"--jobs: expected at least 1, got {self.jobs}")
        if self.cores < 1:
            raise ValueError(f"--cores: expected at least 1, got {self.cores}")
        if self.gpus < 0:
            raise ValueError(f"--gpus: expected 0 or more, got {self.gpus}")
        try:
            size = parse_bytes(self.memory)
        except ValueError:
            raise ValueError(
                f"--memory: {self.memory!r} is not a size like 2GB or 512MiB"
            ) from None
        if size <= 0:
            raise ValueError(f"--memory: expected a size above zero, got {self.memory!r}")
        if self.walltime is not None and not _walltime_ok(self.walltime):
            raise ValueError(
                f"--walltime: {self.walltime!r} is not a Slurm time like 30, 1:00:00 or 2-00:00:00"
            )

    @property
    def resources(self) -> dict[str, float]:
        """What each worker advertises to flowlab's operators."""
        found = {"CPU": float(self.cores), "MEMORY": float(parse_bytes(self.memory))}
        if self.gpus:
            found["GPU"] = float(self.gpus)
        return found

    def job_directives(self) -> list[str]:
        """The ``#SBATCH`` options beyond those dask-jobqueue writes itself."""
        return [f"--gres=gpu:{self.gpus}"] if self.gpus else []

    def describe(self) -> str:
        parts = [f"{self.cores} core{'s' * (self.cores != 1)}", f"{self.memory} memory"]
        if self.gpus:
            parts.append(f"{self.gpus} GPU{'s' * (self.gpus != 1)}")
        if self.partition:
            parts.append(f"partition {self.partition}")
        if self.walltime:
            parts.append(f"walltime {self.walltime}")
        return ", ".join(parts)


def _walltime_ok(text: str) -> bool:
    import re

    return bool(re.fullmatch(r"(\d+-)?\d+(:\d{1,2}){0,2}", text.strip()))


def unavailable() -> str | None:
    """Why this machine cannot submit Slurm jobs (no ``sbatch`` on PATH), or None."""
    missing = [c for c in ("sbatch", "squeue", "scancel") if shutil.which(c) is None]
    if missing:
        return (
            f"--slurm: {', '.join(missing)} not found on PATH: run `flowlab cluster up "
            "--slurm` on a machine that can submit Slurm jobs (a login node)"
        )
    return None


def other_nodes() -> list[str]:
    """Slurm's nodes other than this machine (``sinfo``), the ones a scheduler on loopback
    cannot be reached from; empty when sinfo says nothing."""
    import socket

    try:
        done = subprocess.run(
            ["sinfo", "--noheader", "--format=%n"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return []
    here = {socket.gethostname(), socket.getfqdn(), "localhost"}
    names = {n.strip() for n in done.stdout.split()} if done.returncode == 0 else set()
    return sorted(n for n in names if n and n not in here and n.split(".")[0] not in here)


def jobs_file(folder: Path) -> Path:
    return folder / "slurm-jobs.json"


def read_jobs(folder: Path) -> list[dict]:
    """The jobs the keeper holds now: ``{"name", "job_id", "state", "submitted"}`` each."""
    try:
        return json.loads(jobs_file(folder).read_text())["jobs"]
    except (FileNotFoundError, json.JSONDecodeError, KeyError):
        return []


def queue_states(job_ids: list[str] | None = None) -> dict[str, str]:
    """Job id -> state for this user's jobs that ``squeue`` lists (ended jobs it still
    lists too, as CANCELLED, COMPLETED, TIMEOUT…); ``job_ids`` limits it to those."""
    args = ["squeue", "--noheader", "--format=%i %T", "--states=all"]
    if job_ids is not None:
        if not job_ids:
            return {}
        args.append("--jobs=" + ",".join(job_ids))
    else:
        args.append("--me")
    done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        if "Invalid job id" in done.stderr:  # every one of them purged: none is listed
            return {}
        raise RuntimeError(f"squeue failed: {done.stderr.strip() or done.stdout.strip()}")
    states = {}
    for line in done.stdout.splitlines():
        job_id, _, state = line.strip().partition(" ")
        if job_id:
            states[job_id] = state.strip()
    return states


def live(job_ids: list[str]) -> list[str]:
    """Those of ``job_ids`` that are still pending or running."""
    states = queue_states(job_ids)
    return [j for j in job_ids if states.get(j) in LIVE_STATES]


def cancel(job_ids: list[str]) -> None:
    """``scancel`` these jobs (one that already ended is no error)."""
    if job_ids:
        subprocess.run(["scancel", *job_ids], capture_output=True, text=True, timeout=60)


def write_keeper_config(address: str, options: JobOptions, folder: Path, tls: dict | None):
    """What the job keeper (``python -m flowlab.core.clusters.slurm FOLDER``) reads."""
    jobs_file(folder).unlink(missing_ok=True)
    config = {"address": address, "options": dataclasses.asdict(options), "tls": tls}
    (folder / "slurm-options.json").write_text(json.dumps(config))


# -- the job keeper process -------------------------------------------------------------------------
class JobKeeper:
    """Keeps ``options.jobs`` worker jobs pending or running for the scheduler at ``address``."""

    def __init__(self, address: str, options: JobOptions, folder: Path, tls: dict | None = None):
        self.address = address
        self.options = options
        self.folder = folder
        self.security, self.protocol = _worker_security(tls)
        self.jobs: dict[str, object] = {}  # worker name -> SLURMJob
        self.submitted: dict[str, str] = {}  # worker name -> when
        self.counter = 0
        self.accepted_any = False  # a job was ever accepted
        self.stopping = asyncio.Event()

    def _new_job(self):
        from dask_jobqueue.slurm import SLURMJob

        from flowlab.core.clusters.worker_resources import worker_resources_flag

        name = f"slurm-{self.counter}"
        self.counter += 1
        opts = self.options
        job = SLURMJob(
            scheduler=self.address,
            name=name,
            cores=opts.cores,
            memory=opts.memory,
            processes=1,
            queue=opts.partition,
            account=opts.account,
            walltime=opts.walltime or None,
            job_name=JOB_NAME,
            job_extra_directives=opts.job_directives(),
            worker_extra_args=worker_resources_flag(opts.cores, opts.memory, opts.gpus),
            local_directory=str(self.folder / "workers"),
            log_directory=str(self.folder / "slurm-logs"),
            python=sys.executable,
            security=self.security,
            protocol=self.protocol,
            death_timeout=120,
        )
        return name, job

    async def submit(self) -> None:
        from flowlab.core.record.records import now_iso

        name, job = self._new_job()
        with job.job_file() as script:
            out = await job._submit_job(script)
        job.job_id = job._job_id_from_submit_output(out)
        self.jobs[name] = job
        self.submitted[name] = now_iso()
        self.accepted_any = True
        print(f"submitted {name} as Slurm job {job.job_id}", flush=True)

    def write(self, states: dict[str, str]) -> None:
        record = {
            "address": self.address,
            "jobs": [
                {
                    "name": name,
                    "job_id": job.job_id,
                    "state": states.get(job.job_id, "PENDING"),
                    "submitted": self.submitted[name],
                }
                for name, job in self.jobs.items()
            ],
        }
        path = jobs_file(self.folder)
        temp = path.with_suffix(".tmp")
        temp.write_text(json.dumps(record, indent=2))
        os.replace(temp, path)

    async def keep(self) -> None:
        failures = 0
        while not self.stopping.is_set():
            states = await asyncio.to_thread(queue_states, [j.job_id for j in self.jobs.values()])
            for name, job in list(self.jobs.items()):
                if states.get(job.job_id) not in LIVE_STATES:
                    print(
                        f"Slurm job {job.job_id} ({name}) ended "
                        f"({states.get(job.job_id, 'no longer listed')}): replacing it",
                        flush=True,
                    )
                    del self.jobs[name]
            while len(self.jobs) < self.options.jobs and not self.stopping.is_set():
                try:
                    await self.submit()
                    failures = 0
                except Exception as exc:  # sbatch refused: say why, and try again
                    failures += 1
                    reason = _sbatch_reason(exc)
                    print(
                        f"sbatch refused a worker job ({failures}/{SUBMIT_FAILURES}): {reason}",
                        flush=True,
                    )
                    if failures >= SUBMIT_FAILURES or not self.accepted_any:
                        # the very first job refused: the options are wrong, not Slurm
                        raise SubmitError(f"sbatch refused the worker job: {reason}") from None
                    break
            self.write(states)
            try:
                await asyncio.wait_for(self.stopping.wait(), POLL_SECONDS)
            except TimeoutError:
                pass

    async def cancel_all(self, timeout: float = 60.0) -> list[str]:
        """scancel every job held; wait until squeue lists none of them as live."""
        ids = [job.job_id for job in self.jobs.values()]
        await asyncio.to_thread(cancel, ids)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        left = ids
        while left and loop.time() < deadline:
            left = await asyncio.to_thread(live, left)
            if left:
                await asyncio.sleep(0.5)
        self.jobs.clear()
        self.write({})
        return left


class SubmitError(RuntimeError):
    """sbatch refused a worker job."""


def _sbatch_reason(exc: Exception) -> str:
    """sbatch's own error lines out of dask-jobqueue's exception, else the exception."""
    lines = [line.strip() for line in str(exc).splitlines() if "error:" in line]
    return " ".join(lines) or str(exc)


def _worker_security(tls: dict | None):
    """The workers' ``Security`` and protocol on a TLS cluster (the cluster's certificate,
    on the shared file system); None, None on plain TCP."""
    if not tls:
        return None, None
    from distributed.security import Security

    security = Security(
        tls_ca_file=tls["ca_file"],
        tls_worker_cert=tls["cert"],
        tls_worker_key=tls["key"],
        require_encryption=True,
    )
    return security, "tls"


async def _main(folder: Path) -> int:
    config = json.loads((folder / "slurm-options.json").read_text())
    keeper = JobKeeper(
        config["address"], JobOptions(**config["options"]), folder, config.get("tls")
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, keeper.stopping.set)
    status = 0
    try:
        await keeper.keep()
    except Exception as exc:
        print(f"the job keeper stopped: {exc}", flush=True)  # up shows this line
        status = 1
    finally:
        left = await keeper.cancel_all()
        if left:
            print(f"Slurm jobs {', '.join(left)} still listed after scancel", flush=True)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(asyncio.run(_main(Path(sys.argv[1]))))
