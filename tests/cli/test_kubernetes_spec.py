"""Kubernetes (docs/scaling-out.md): the DaskCluster that flowlab.cluster.kubernetes_cluster_spec
makes carries flowlab's resources and the store's settings, the Dask operator's own schema
accepts it, and a worker started as its pods start one registers with the resources.

There is no Kubernetes here: the operator's code builds the worker pod from the spec, and the
pod's command runs as a real process against a real scheduler on 127.0.0.1."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import dask_kubernetes
import jsonschema
import pytest
import yaml
from dask_kubernetes.operator.controller.controller import build_worker_deployment_spec
from distributed import Client, LocalCluster

import flowlab
from tests.polling import poll_for

PG = "postgresql://flowlab@db.example/flowlab"
S3 = "s3://team-bucket/flowlab"
CRD = (
    Path(dask_kubernetes.__file__).parent
    / "operator/deployment/helm/dask-kubernetes-operator/crds/daskcluster.yaml"
)


def spec_of(**options) -> dict:
    given = {"store": PG, "artifacts": S3, **options}
    return flowlab.cluster.kubernetes_cluster_spec("flowlab", "registry.example/flowlab:1", **given)


def containers(spec: dict) -> dict[str, dict]:
    """The scheduler's and the worker's container, by name."""
    return {part: spec["spec"][part]["spec"]["containers"][0] for part in ("scheduler", "worker")}


def env_of(container: dict) -> dict:
    return {item["name"]: item.get("value", item.get("valueFrom")) for item in container["env"]}


def test_worker_arguments_advertise_cpu_memory_and_gpu():
    worker = containers(spec_of(cores=4, memory="16GB", gpus=1))["worker"]
    args = worker["args"]
    assert args[:2] == ["dask", "worker"]
    assert args[args.index("--resources") + 1] == "CPU=4,MEMORY=1.6e+10,GPU=1"
    assert args[args.index("--nthreads") + 1] == "4"
    assert args[args.index("--memory-limit") + 1] == "16000000000"


def test_worker_pods_request_and_limit_what_the_workers_advertise():
    with_gpu = containers(spec_of(cores=4, memory="16GB", gpus=2))["worker"]["resources"]
    expected = {"cpu": "4", "memory": "16000000000", "nvidia.com/gpu": "2"}
    assert with_gpu == {"requests": expected, "limits": expected}
    without = containers(spec_of(cores=0.5, memory=2**30))["worker"]["resources"]
    assert without["limits"] == without["requests"] == {"cpu": "0.5", "memory": str(2**30)}
    assert "resources" not in containers(spec_of(gpus=1))["scheduler"]  # no GPU for it


def test_scheduler_and_workers_get_the_store_artifacts_and_extra_environment():
    secret_key = {"valueFrom": {"secretKeyRef": {"name": "flowlab-key", "key": "key"}}}
    spec = spec_of(env={"FLOWLAB_USER": "ada", "FLOWLAB_KEY": secret_key})
    for name, container in containers(spec).items():
        env = env_of(container)
        assert env["FLOWLAB_STORE"] == PG, name
        assert env["FLOWLAB_ARTIFACTS"] == S3, name
        assert env["FLOWLAB_USER"] == "ada", name
        assert env["FLOWLAB_KEY"] == secret_key["valueFrom"], name
    scheduler_env = env_of(containers(spec)["scheduler"])
    assert scheduler_env["DASK_DISTRIBUTED__SCHEDULER__WORK_STEALING_INTERVAL"] == "50ms"


def test_store_and_artifacts_default_to_this_process_settings(monkeypatch):
    monkeypatch.setenv("FLOWLAB_STORE", PG)
    monkeypatch.setenv("FLOWLAB_ARTIFACTS", S3)
    spec = flowlab.cluster.kubernetes_cluster_spec("flowlab", "registry.example/flowlab:1")
    for container in containers(spec).values():
        assert {"FLOWLAB_STORE": PG, "FLOWLAB_ARTIFACTS": S3}.items() <= env_of(container).items()


def test_store_secret_sets_the_store_from_a_secret_key_ref_and_no_url():
    spec = spec_of(store=None, store_secret=("flowlab-store", "url"))
    for container in containers(spec).values():
        (store,) = [item for item in container["env"] if item["name"] == "FLOWLAB_STORE"]
        assert store == {
            "name": "FLOWLAB_STORE",
            "valueFrom": {"secretKeyRef": {"name": "flowlab-store", "key": "url"}},
        }
    assert "postgresql" not in yaml.safe_dump(spec)


def test_store_and_store_secret_together_are_refused():
    with pytest.raises(ValueError, match="store=.* and store_secret=.*: give one"):
        spec_of(store_secret=("flowlab-store", "url"))


@pytest.mark.parametrize(
    "store", [None, "tinydb:///home/me/.flowlab", "sqlite:///runs.db", "/home/me/runs"]
)
def test_a_store_on_this_machine_is_refused_naming_the_store_argument(store):
    # None: FLOWLAB_STORE is unset (tests/conftest.py), so the default TinyDB under FLOWLAB_HOME
    with pytest.raises(ValueError, match=r"^store=.*pods cannot reach; give store= a PostgreSQL"):
        spec_of(store=store)


def test_unset_artifacts_is_refused_naming_the_artifacts_argument():
    with pytest.raises(ValueError, match=r"^artifacts: FLOWLAB_ARTIFACTS is not set.*artifacts="):
        spec_of(artifacts=None)


def test_a_password_in_the_store_url_warns_and_is_never_shown():
    with pytest.warns(UserWarning, match="store_secret=") as warned:
        spec = spec_of(store="postgresql://flowlab:s3cret@db.example/flowlab")
    assert "s3cret" not in str(warned[0].message)
    assert env_of(containers(spec)["worker"])["FLOWLAB_STORE"].endswith(
        ":s3cret@db.example/flowlab"
    )
    with pytest.raises(ValueError) as refused:
        spec_of(store="sqlite://flowlab:s3cret@/runs.db")
    assert "s3cret" not in str(refused.value)


def test_whole_gpus_only():
    with pytest.raises(ValueError, match=r"gpus=0.5: Kubernetes schedules whole GPUs"):
        spec_of(gpus=0.5)


def test_a_missing_dask_kubernetes_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask_kubernetes.operator", None)
    with pytest.raises(ImportError, match=r"pip install 'flowlab\[kubernetes\]'"):
        spec_of()


def test_the_spec_is_a_daskcluster_the_operators_schema_accepts():
    spec = spec_of(workers=5, gpus=1, store=None, store_secret=("flowlab-store", "url"))
    crd = yaml.safe_load(CRD.read_text())
    (version,) = crd["spec"]["versions"]
    assert spec["apiVersion"] == f"{crd['spec']['group']}/{version['name']}"
    assert spec["kind"] == crd["spec"]["names"]["kind"] == "DaskCluster"
    assert spec["metadata"]["name"] == "flowlab"
    assert spec["spec"]["worker"]["replicas"] == 5
    schema = version["schema"]["openAPIV3Schema"]
    jsonschema.validate(yaml.safe_load(yaml.safe_dump(spec)), schema)  # as kubectl sends it
    broken = spec_of()
    broken["spec"]["worker"]["spec"]["containers"][0]["env"][0]["value"] = 8786
    with pytest.raises(jsonschema.ValidationError):  # the schema does check what we make
        jsonschema.validate(broken, schema)


def test_the_scheduler_command_exists():
    args = containers(spec_of())["scheduler"]["args"]
    assert args[:2] == ["dask", "scheduler"]
    done = subprocess.run(
        [str(Path(sys.executable).with_name("dask")), *args[1:], "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def pod_command(spec: dict, scheduler_address: str) -> tuple[list[str], dict]:
    """The worker pod's command and environment as the operator builds the pod and the kubelet
    starts it ($(NAME) from the pod's env), its scheduler being ``scheduler_address``."""
    deployment = build_worker_deployment_spec(
        "flowlab-default", "default", "flowlab", "abc12", spec["spec"]["worker"]["spec"], {}, {}
    )
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    env = {item["name"]: item["value"] for item in container["env"]}
    env["DASK_SCHEDULER_ADDRESS"] = scheduler_address  # the operator's is the cluster's Service
    args = [re.sub(r"\$\((\w+)\)", lambda m: env[m.group(1)], arg) for arg in container["args"]]
    # the pod's fixed dashboard port could be taken on this machine
    args[args.index("--dashboard-address") + 1] = "127.0.0.1:0"
    return args, env


def test_a_worker_started_as_the_pod_starts_it_registers_with_flowlabs_resources():
    spec = spec_of(cores=1, memory="1GB")
    with (
        LocalCluster(n_workers=0, host="127.0.0.1", dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        args, env = pod_command(spec, cluster.scheduler_address)
        assert args[:2] == ["dask", "worker"]
        worker = subprocess.Popen(
            # listening on loopback only, where the pod listens on its own address
            [str(Path(sys.executable).with_name("dask")), *args[1:], "--host", "127.0.0.1"],
            env={**os.environ, **env},
        )
        try:
            joined = poll_for(
                lambda: list(cluster.scheduler.workers.values()),
                what="the pod's worker to join the scheduler",
            )
            (state,) = joined
            assert state.resources == {"CPU": 1, "MEMORY": 1e9}
            assert state.name == "flowlab-default-worker-abc12"
            assert state.nthreads == 1
            assert state.memory_limit == 10**9
            (store,) = client.run(lambda: os.environ["FLOWLAB_STORE"]).values()
            assert store == PG
        finally:
            worker.terminate()
            worker.wait(timeout=60)
