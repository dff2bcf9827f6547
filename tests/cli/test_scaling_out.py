"""Scaling out on existing engines: what docs/scaling-out.md relies on, tested here."""

from __future__ import annotations

import pytest
from distributed import Client, Nanny, Scheduler, SpecCluster

import flowlab
from tests.cli import flows


def test_slurm_job_script_makes_workers_advertise_flowlabs_resources():
    jobqueue = pytest.importorskip("dask_jobqueue")
    cluster = jobqueue.SLURMCluster(
        cores=8,
        memory="32GB",
        processes=1,
        queue="gpu",
        walltime="72:00:00",
        job_extra_directives=["--gres=gpu:1"],
        worker_extra_args=flowlab.cluster.worker_resources_flag(8, "32GB", gpus=1),
        scheduler_options={"host": "127.0.0.1", "dashboard_address": ":0"},
    )
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    assert "#SBATCH --gres=gpu:1" in script
    assert "--resources CPU=8,MEMORY=3.2e+10,GPU=1" in script


def test_a_cluster_made_from_a_spec_runs_a_workflow_on_workers_with_resources():
    spec = {
        "cpu": {"cls": Nanny, "options": {"nthreads": 1, "resources": {"CPU": 1}}},
        "gpu": {"cls": Nanny, "options": {"nthreads": 1, "resources": {"CPU": 1, "GPU": 1}}},
    }
    scheduler = {"cls": Scheduler, "options": {"host": "127.0.0.1", "dashboard_address": ":0"}}
    with SpecCluster(scheduler=scheduler, workers=spec) as cluster, Client(cluster) as client:
        client.wait_for_workers(2)
        run = flows.gpu_flow.launch(x=1, client=client)
        assert run.result(timeout=120).where == "gpu"
        assert run.operators["on_gpu"].worker == next(
            a for a, w in client.scheduler_info()["workers"].items() if w["name"] == "gpu"
        )
