"""notebooks/04_deploy.ipynb runs top to bottom against a real ``flowlab serve``; the Dockerfile
and the KServe manifest describe that same command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from tests.notebook.test_notebooks import execute, outputs_text

ROOT = Path(__file__).resolve().parents[2]


def test_04_deploy_predicts_splits_shadows_and_rolls_back(client, monkeypatch, tmp_path):
    monkeypatch.setenv("FLOWLAB_SCHEDULER", client.scheduler.address)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    notebook = execute(ROOT / "notebooks" / "04_deploy.ipynb", tmp_path)
    text = outputs_text(notebook)
    assert "flowlab serving on http://127.0.0.1:" in text
    assert "400 instance 0: field 'petal_height' (INTEGER) is missing" in text
    assert "requests per version:" in text
    assert "flowlab-shadow-report" in text and "100 mirrored requests" in text
    versions = [line.split(": ")[1] for line in text.splitlines() if line.startswith("after roll")]
    assert len(versions) == 2 and versions[0] != versions[1]
    assert "server stopped" in text


def test_print_dockerfile_is_the_shipped_one():
    printed = subprocess.run(
        [sys.executable, "-m", "flowlab.cli", "serve", "--print-dockerfile"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert printed == (ROOT / "deploy" / "Dockerfile").read_text()
    assert '"flowlab.cli", "serve", "--host", "0.0.0.0"' in printed


def test_kserve_manifest_runs_flowlab_serve_as_a_custom_predictor():
    manifest = yaml.safe_load((ROOT / "deploy" / "kserve-inferenceservice.yaml").read_text())
    assert manifest["kind"] == "InferenceService"
    container = manifest["spec"]["predictor"]["containers"][0]
    assert container["args"][:4] == ["python", "-m", "flowlab.cli", "serve"]
    args = container["args"]
    allowed = [a for k, a in zip(args, args[1:], strict=False) if k == "--allow-host"]
    assert "*.svc.cluster.local" in allowed  # KServe's Host names get past the Host check
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert {e["name"] for e in container["env"]} >= {"FLOWLAB_STORE", "FLOWLAB_SERVE_TOKEN"}
