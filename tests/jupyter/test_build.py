"""The committed JupyterLab extension (flowlab/labextension) is built from extension/ as it is,
and a rebuild that needs Node.js says so plainly when Node.js is missing."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def hatch_build():
    spec = importlib.util.spec_from_file_location("hatch_build", REPO / "hatch_build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_labextension_is_built_from_the_current_sources():
    stamp = REPO / "flowlab" / "labextension" / "source-hash.txt"
    assert stamp.read_text().strip() == hatch_build().source_hash(REPO), (
        "extension/ changed since flowlab/labextension was built: run `make labextension` "
        "(or pip install -e .) and commit flowlab/labextension"
    )
    built = json_of(REPO / "flowlab" / "labextension" / "package.json")
    assert built["name"] == "flowlab" and built["jupyterlab"]["_build"]["load"]


def test_extension_names_no_run_status_or_operator_state():
    """Statuses, which are final and their colours come from /flowlab/api/states and the run's
    JSON: a second list in TypeScript or CSS would miss the next new state (as it missed
    ``pruned``)."""
    from flowlab.core.record.records import OPERATOR_STATES, RUN_STATUSES

    sources = [*(REPO / "extension" / "src").glob("*.ts"), REPO / "extension/style/base.css"]
    for path in sources:
        text = path.read_text()
        for state in {*OPERATOR_STATES, *RUN_STATUSES}:
            assert f"'{state}'" not in text and f'"{state}"' not in text, (
                f"{path.relative_to(REPO)} names the state {state!r}: read it from the server"
            )


def json_of(path: Path) -> dict:
    import json

    return json.loads(path.read_text())


def test_changed_sources_without_node_fail_naming_what_to_install(tmp_path, monkeypatch):
    module = hatch_build()
    root = tmp_path / "repo"
    shutil.copytree(
        REPO / "extension",
        root / "extension",
        ignore=shutil.ignore_patterns("node_modules", "lib", ".yarn"),
    )
    shutil.copytree(REPO / "flowlab" / "labextension", root / "flowlab" / "labextension")
    (root / "extension" / "src" / "dom.ts").write_text("// changed\n", encoding="utf-8")
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(RuntimeError, match=r"older than its sources.*Node\.js >= 20"):
        module.ensure_labextension(root, log=lambda _m: None)
    # nothing was removed: the built assets are still there
    assert (root / "flowlab" / "labextension" / "package.json").exists()


def test_unchanged_sources_need_no_node(tmp_path, monkeypatch):
    module = hatch_build()
    root = tmp_path / "repo"
    shutil.copytree(
        REPO / "extension",
        root / "extension",
        ignore=shutil.ignore_patterns("node_modules", "lib", ".yarn"),
    )
    shutil.copytree(REPO / "flowlab" / "labextension", root / "flowlab" / "labextension")
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    module.ensure_labextension(root, log=lambda _m: None)  # no error: nothing to build
