"""A writer of the shared store cannot make a reader run code or read outside its places.

Each test plants what a colleague with write access to the store could plant (a model file
naming ``builtins.exec``, a catalog entry captured by value or naming a file, a checkpoint, an
artifact reference elsewhere) and checks that reading it refuses, naming it, and that the
planted code never ran (its marker file does not exist).
"""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import pytest

import flowlab
from flowlab.errors import Untrusted
from flowlab.types.model import MODEL, UntrustedModelTypes, trust_types
from tests.security import flows

# real servers, clusters and processes: on a busy machine they take minutes, not seconds
pytestmark = pytest.mark.timeout(900)

ROOT = Path(__file__).resolve().parents[2]


def _json_node(value) -> dict:
    return {
        "__class__": type(value).__name__,
        "__module__": "builtins",
        "__loader__": "JsonNode",
        "content": json.dumps(value),
        "is_json": True,
        "__id__": id(value) % 10**9,
    }


def _tuple_node(*items) -> dict:
    return {
        "__class__": "tuple",
        "__module__": "builtins",
        "__loader__": "TupleNode",
        "content": [_json_node(i) for i in items],
        "__id__": 7,
    }


def _code(marker: Path) -> str:
    return f"open({str(marker)!r}, 'w').write('ran')"


def gadget_exec(marker: Path) -> dict:
    """``builtins.exec(code)`` through skops' constructor-from-reduce node."""
    return {
        "__class__": "exec",
        "__module__": "builtins",
        "__loader__": "ConstructorFromReduceNode",
        "content": _tuple_node(_code(marker)),
        "__id__": 1,
    }


def gadget_os_system(marker: Path) -> dict:
    """``os.system("touch marker")``, the same node naming another module."""
    return {
        "__class__": "system",
        "__module__": "os",
        "__loader__": "ConstructorFromReduceNode",
        "content": _tuple_node(f"touch {marker}"),
        "__id__": 1,
    }


def gadget_partial(marker: Path) -> dict:
    """A ``functools.partial`` of ``builtins.exec``, as skops itself writes one."""
    import functools

    import skops.io as sio

    written = sio.dumps(functools.partial(exec, _code(marker)))
    return json.loads(zipfile.ZipFile(io.BytesIO(written)).read("schema.json"))


def gadget_eval(marker: Path) -> dict:
    return {**gadget_exec(marker), "__class__": "eval"}


GADGETS = [gadget_exec, gadget_os_system, gadget_partial, gadget_eval]


def test_a_malformed_model_file_is_a_clear_error():
    with pytest.raises(ValueError, match="not a model file flowlab wrote"):
        MODEL.deserialise(model_file({"__class__": "dict", "__loader__": "DictNode"}))


def model_file(schema: dict) -> bytes:
    """A MODEL artifact (meta.json + estimator.skops) whose skops schema is ``schema``."""
    skops = io.BytesIO()
    with zipfile.ZipFile(skops, "w") as z:
        z.writestr("schema.json", json.dumps({**schema, "protocol": 2, "_skops_version": "0.16.0"}))
    outer = io.BytesIO()
    meta = {"format": 1, "task": "classification", "features": [], "label": None}
    with zipfile.ZipFile(outer, "w") as z:
        z.writestr("meta.json", json.dumps({**meta, "library": "", "params": {}}))
        z.writestr("estimator.skops", skops.getvalue())
    return outer.getvalue()


@pytest.fixture
def marker(tmp_path):
    path = tmp_path / f"ran-{uuid.uuid4().hex[:6]}"
    yield path
    assert not path.exists(), "planted code ran"


@pytest.fixture(scope="module")
def tree_run(client):
    run = flows.tree_flow.launch(depth=2)
    run.result()
    return run


def plant_run(store, base_record: dict, **outputs) -> str:
    """A copy of ``base_record`` under a new id whose outputs are ``outputs``."""
    from flowlab.core.record.records import new_run_id

    record = json.loads(json.dumps(base_record))
    record["id"] = new_run_id()
    record["outputs"] = {**record.get("outputs", {}), **outputs}
    store.put_run(record)
    return record["id"]


def planted_model_ref(data: bytes) -> dict:
    from flowlab.store import get_artifacts

    ref = get_artifacts().put(data, "model.zip")
    return {"$artifact": ref["uri"], "hash": ref["hash"], "size": ref["size"], "type": "MODEL"}


# -- models ------------------------------------------------------------------------------------
@pytest.mark.parametrize("gadget", GADGETS, ids=lambda g: g.__name__)
def test_a_model_file_naming_code_is_refused_and_nothing_runs(gadget, marker):
    with pytest.raises(UntrustedModelTypes, match="nothing in it was built"):
        MODEL.deserialise(model_file(gadget(marker)))


def test_reading_a_runs_planted_model_raises_and_runs_nothing(tree_run, store, marker):
    bad = planted_model_ref(model_file(gadget_exec(marker)))
    run_id = plant_run(store, store.get_run(tree_run.id), model=bad)
    with pytest.raises(Untrusted, match="builtins.exec"):
        flowlab.get_run(run_id).outputs.model  # noqa: B018 - reading it is the attack


def test_a_model_of_the_library_still_loads(tree_run):
    model = flowlab.get_run(tree_run.id).outputs.model
    assert model.estimator.get_depth() <= 2
    assert model.classes == ["setosa", "versicolor", "virginica"]


def test_library_boosters_round_trip_through_the_allow_list():
    import lightgbm
    import numpy as np
    import xgboost

    x = np.random.default_rng(0).random((80, 3))
    y = (x[:, 0] > 0.5).astype(int)
    for estimator in (
        lightgbm.LGBMClassifier(n_estimators=3, verbose=-1),
        xgboost.XGBClassifier(n_estimators=3),
    ):
        estimator.fit(x, y)
        loaded = MODEL.deserialise(MODEL.serialise(estimator)).estimator
        assert (loaded.predict(x) == estimator.predict(x)).all()


def test_types_that_call_code_can_never_be_trusted():
    for name in ("builtins.exec", "os.system", "functools.partial", "subprocess.Popen"):
        with pytest.raises(ValueError, match="can run code"):
            trust_types(name)


def test_a_type_outside_the_list_names_itself_and_how_to_trust_it():
    class Custom:
        pass

    from sklearn.dummy import DummyClassifier

    dummy = DummyClassifier().fit([[0], [1]], [0, 1])
    dummy.custom_ = Custom()
    data = MODEL.serialise(dummy)
    with pytest.raises(UntrustedModelTypes, match=r"Custom.*trust_types"):
        MODEL.deserialise(data)


# -- the workflow catalog ----------------------------------------------------------------------
def pickled_payload(marker: Path) -> str:
    import cloudpickle

    class Payload:
        def __reduce__(self):
            return (exec, (_code(marker),))

    return base64.b64encode(cloudpickle.dumps(Payload())).decode()


def plant_entry(store, name: str, **fields) -> dict:
    from flowlab.core.runs.workflow_catalog import KIND

    entry = {
        "name": name,
        "description": "planted",
        "inputs": {"depth": flowlab.types.INTEGER.json_schema()},
        "source": "def planted(): ...",
        "target": None,
        "pickled": None,
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
        "recorded": "2026-12-01T00:00:00+00:00",
        "reason": None,
        **fields,
    }
    store.put_entry(KIND, name, entry)
    return entry


def evil_file(tmp_path: Path, marker: Path) -> Path:
    path = tmp_path / "evil_flows.py"
    path.write_text(f"{_code(marker)}\n")
    return path


def test_a_planted_by_value_entry_is_refused_naming_the_workflow(store, marker):
    from flowlab.core.runs.workflow_catalog import UnsignedWorkflow, rebuild_workflow

    plant_entry(store, "planted_by_value", pickled=pickled_payload(marker))
    with pytest.raises(UnsignedWorkflow, match=r"'planted_by_value'.*not signed.*register\(\)"):
        rebuild_workflow("planted_by_value", store)


def test_a_planted_file_target_is_not_imported(store, marker, tmp_path):
    from flowlab.core.runs.workflow_catalog import UnsignedWorkflow, rebuild_workflow

    path = evil_file(tmp_path, marker)
    plant_entry(store, "planted_file", target=f"{path}:wf")
    with pytest.raises(UnsignedWorkflow, match="FLOWLAB_WORKFLOW_PATH"):
        rebuild_workflow("planted_file", store)


def test_a_file_under_the_readers_workflow_path_is_imported(store, tmp_path, monkeypatch):
    from flowlab.core.runs.workflow_catalog import rebuild_workflow

    (tmp_path / "mine.py").write_text(
        "from flowlab import workflow, Output, types\n"
        "@workflow(returns=types.Schema(x=types.INTEGER))\n"
        "def mine(x: int = 1):\n    return Output(x=x)\n"
    )
    plant_entry(store, "mine", target=f"{tmp_path / 'mine.py'}:mine")
    monkeypatch.setenv("FLOWLAB_WORKFLOW_PATH", str(tmp_path))
    assert rebuild_workflow("mine", store).name == "mine"


def test_an_entry_signed_with_another_key_is_refused(store, marker, monkeypatch):
    from flowlab.core.runs.workflow_catalog import (
        UnsignedWorkflow,
        entry_of,
        is_authentic,
        rebuild_workflow,
        signed,
    )

    monkeypatch.setenv("FLOWLAB_KEY", "someone-elses-key-" + uuid.uuid4().hex)
    forged = signed({**entry_of(flows.tree_flow), "name": "forged", "target": None})
    forged["pickled"] = pickled_payload(marker)  # changed after signing
    monkeypatch.delenv("FLOWLAB_KEY")
    store.put_entry("workflows", "forged", forged)
    assert not is_authentic(forged)
    with pytest.raises(UnsignedWorkflow):
        rebuild_workflow("forged", store)


def test_the_catalog_lists_a_planted_entry_as_not_rebuildable_without_running_it(store, marker):
    from flowlab.core.runs.workflow_catalog import workflow_catalog

    plant_entry(store, "planted_listed", pickled=pickled_payload(marker))
    listed = {e["name"]: e for e in workflow_catalog(store)}["planted_listed"]
    assert listed["rebuildable"] is False
    assert "not signed" in listed["reason"]


def test_a_form_for_a_planted_entry_is_built_from_its_json(store, marker):
    from flowlab.core.runs.workflow_catalog import stored_workflow
    from flowlab.forms import FormModel

    plant_entry(store, "planted_form", pickled=pickled_payload(marker))
    form = FormModel(stored_workflow("planted_form", store))
    form.set("depth", "3")
    assert form.valid and form.inputs() == {"depth": 3}
    with pytest.raises(Untrusted):
        form.launch()


def test_rerun_of_a_run_whose_entry_was_replaced_refuses(tree_run, store, marker):
    record = json.loads(json.dumps(store.get_run(tree_run.id)))
    record["workflow"] = "replaced_flow"
    run_id = plant_run(store, record)
    plant_entry(store, "replaced_flow", pickled=pickled_payload(marker))
    with pytest.raises(Untrusted, match="replaced_flow"):
        flowlab.get_run(run_id).rerun(depth=3)


def test_a_workflow_recorded_in_this_home_is_rebuilt(store, client):
    from flowlab.core.runs.workflow_catalog import is_authentic, rebuild_workflow, record_workflow

    entry = record_workflow(flows.tree_flow, store)
    assert is_authentic(entry)
    assert rebuild_workflow(entry, store).name == "tree_flow"


def test_the_key_file_is_private_and_a_readable_one_is_refused(tmp_path, monkeypatch):
    from flowlab.errors import SigningKeyError
    from flowlab.store.signing import key_path, sign

    monkeypatch.setenv("FLOWLAB_HOME", str(tmp_path))
    monkeypatch.delenv("FLOWLAB_KEY", raising=False)
    sign(b"x")
    assert oct(key_path().stat().st_mode & 0o777) == oct(0o600)
    key_path().chmod(0o644)
    with pytest.raises(SigningKeyError, match="chmod 600"):
        sign(b"x")


# -- checkpoints -------------------------------------------------------------------------------
def test_a_planted_checkpoint_is_ignored_never_unpickled(client, marker):
    run = flows.checkpoint_flow.launch(marker=str(marker))
    assert run.result()["state"] == "'fresh'"


# -- artifact references -----------------------------------------------------------------------
def test_an_artifact_reference_outside_the_artifact_location_is_refused(tree_run, store, tmp_path):
    elsewhere = tmp_path / "other-home" / "runs" / "X.json"
    elsewhere.parent.mkdir(parents=True)
    elsewhere.write_text('{"secret": 1}')
    for uri in (str(elsewhere), f"{os.environ['FLOWLAB_HOME']}/artifacts/../runs/x.json"):
        planted = {"$artifact": uri, "hash": "", "type": "ANY", "format": "json"}
        run_id = plant_run(store, store.get_run(tree_run.id), rows=planted)
        with pytest.raises(Untrusted, match="outside the artifact location"):
            flowlab.get_run(run_id).outputs.rows  # noqa: B018


# -- the dashboard and the Jupyter server read the same store ----------------------------------
@pytest.fixture(scope="module")
def dashboard(client):
    from tests.jupyter_app import free_port
    from tests.polling import poll_for

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "flowlab", "ui", "--no-show", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []

    def said_url() -> bool:
        line = process.stdout.readline()
        lines.append(line)
        return "flowlab dashboard:" in line or process.poll() is not None

    poll_for(said_url, timeout=180, what="the dashboard to print its URL")
    assert process.poll() is None, "".join(lines)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=60)


def test_opening_the_launch_page_of_a_planted_entry_runs_none_of_its_code(
    dashboard, store, marker, tmp_path
):
    import httpx

    plant_entry(store, "planted_page", pickled=pickled_payload(marker))
    plant_entry(store, "planted_page_file", target=f"{evil_file(tmp_path, marker)}:wf")
    for name in ("planted_page", "planted_page_file"):
        answer = httpx.get(f"{dashboard}/launch?workflow={name}", timeout=120)
        assert answer.status_code == 200


def test_the_run_page_of_a_planted_model_runs_none_of_its_code(dashboard, tree_run, store, marker):
    import httpx

    bad = planted_model_ref(model_file(gadget_exec(marker)))
    run_id = plant_run(store, store.get_run(tree_run.id), model=bad)
    answer = httpx.get(f"{dashboard}/run?id={run_id}", timeout=120)
    assert answer.status_code == 200


def test_the_jupyter_api_reads_a_planted_model_and_catalog_without_running_them(
    tree_run, store, marker, tmp_path
):
    import httpx

    from tests.jupyter_app import running_jupyter

    bad = planted_model_ref(model_file(gadget_exec(marker)))
    run_id = plant_run(store, store.get_run(tree_run.id), model=bad)
    plant_entry(store, "planted_rest", pickled=pickled_payload(marker))
    (tmp_path / "server").mkdir()
    with running_jupyter("server", tmp_path / "server") as server:
        headers = {"Authorization": f"token {server['token']}"}
        detail = httpx.get(
            f"{server['url']}/flowlab/api/runs/{run_id}", headers=headers, timeout=120
        )
        assert detail.status_code == 200, detail.text
        assert "builtins.exec" in detail.json()["html"]
        listed = httpx.get(
            f"{server['url']}/flowlab/api/workflows", headers=headers, timeout=120
        ).json()
        planted = next(w for w in listed if w["name"] == "planted_rest")
        assert planted["rebuildable"] is False
