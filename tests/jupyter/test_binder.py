"""binder/ alone makes a working environment, as Binder (repo2docker) would: a fresh virtual
environment of runtime.txt's Python with JupyterLab, then postBuild. Both extensions are
enabled in it and the notebooks execute there, with their own local cluster and store.

Slow the first time (minutes: a real install, pip's cache reused), so marked ``slow``; it
runs in ``make test`` (alone: ``make test-binder``), and the environment is kept for the next
run while what it is built from is unchanged. Skip it with ``-m "not slow"``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BINDER = REPO / "binder"
# 05_library trains 13 models (minutes); the main suite runs it (tests/notebook)
SKIPPED_HERE = {"05_library.ipynb"}
ANSI = re.compile(r"\x1b\[[0-9;]*m")

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


def run(args, env, cwd=REPO, timeout=1200) -> str:
    done = subprocess.run(
        [str(a) for a in args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    out = ANSI.sub("", done.stdout + done.stderr)
    assert done.returncode == 0, f"{' '.join(map(str, args))} failed:\n{out[-4000:]}"
    return out


#: what the environment is made from: a new one is built when any of these changes
BUILT_FROM = ("binder", "pyproject.toml", "hatch_build.py", "flowlab/labextension/package.json")


def _built_from_key() -> str:
    """A hash of what binder/ builds from (and of where this checkout is: the environment
    installs it in place), naming the cached environment."""
    import hashlib

    digest = hashlib.sha256(str(REPO).encode())
    for name in BUILT_FROM:
        path = REPO / name
        for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if file.is_file():
                digest.update(str(file.relative_to(REPO)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:16]


def _build(venv: Path, env: dict) -> None:
    base = getattr(sys, "_base_executable", sys.executable)
    run([base, "-m", "venv", venv], env)
    python = venv / "bin" / "python"
    run([python, "-m", "pip", "install", "-q", "jupyterlab>=4"], env)  # repo2docker's base
    if (BINDER / "requirements.txt").exists():
        run([python, "-m", "pip", "install", "-q", "-r", BINDER / "requirements.txt"], env)
    run(["bash", BINDER / "postBuild"], env)


@pytest.fixture(scope="module")
def binder_env(tmp_path_factory):
    """The environment binder/ describes, built from nothing but binder/ and the repository.

    Built once per content of binder/, pyproject.toml and the built lab extension, and kept
    in ``.venv/binder-envs/`` (``make clean`` removes it): a second ``make test`` reuses it
    (flowlab is installed in it editable, so changed Python code is what runs)."""
    import fcntl

    runtime = (BINDER / "runtime.txt").read_text().strip()
    wanted = tuple(int(p) for p in runtime.removeprefix("python-").split("."))
    assert sys.version_info[: len(wanted)] == wanted, f"runtime.txt asks for {runtime}"
    tmp = tmp_path_factory.mktemp("binder")
    cache = REPO / ".venv" / "binder-envs"
    cache.mkdir(parents=True, exist_ok=True)
    venv = cache / _built_from_key()
    # only the new environment and empty Jupyter dirs: nothing from this venv or the user's
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FLOWLAB_", "JUPYTER", "PYTHON", "VIRTUAL_ENV"))
    }
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}",
        VIRTUAL_ENV=str(venv),
        JUPYTER_CONFIG_DIR=str(tmp / "jupyter-config"),
        JUPYTER_DATA_DIR=str(tmp / "jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(tmp / "jupyter-runtime"),
        FLOWLAB_HOME=str(tmp / "flowlab-home"),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        # the same packages; Python writes their .pyc files when first imported instead of
        # pip compiling every file of every package up front (minutes on a busy machine)
        PIP_NO_COMPILE="1",
    )
    # one build at a time (two suites at once share the cache); a half-built one is redone
    with open(cache / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        complete = venv / ".complete"
        if not complete.exists():
            shutil.rmtree(venv, ignore_errors=True)
            _build(venv, env)
            complete.write_text("built from binder/ by tests/jupyter/test_binder.py\n")
    return {"python": venv / "bin" / "python", "env": env, "tmp": tmp, "venv": venv}


def test_binder_env_has_flowlab_lab_extension_enabled_and_ok(binder_env):
    out = run([binder_env["python"], "-m", "jupyter", "labextension", "list"], binder_env["env"])
    assert re.search(r"flowlab v\S+ enabled\s+OK", out), out
    assert str(binder_env["venv"]) in out  # from the new environment, not elsewhere


def test_binder_env_has_flowlab_server_extension_enabled(binder_env):
    out = run(
        [binder_env["python"], "-m", "jupyter", "server", "extension", "list"], binder_env["env"]
    )
    assert re.search(r"^\s*flowlab enabled", out, re.M), out
    assert re.search(r"flowlab \S+ OK", out), out


def test_binder_env_executes_the_notebooks(binder_env):
    notebooks = sorted(
        p for p in (REPO / "notebooks").glob("*.ipynb") if p.name not in SKIPPED_HERE
    )
    assert notebooks
    out_dir = binder_env["tmp"] / "executed"
    for notebook in notebooks:
        run(
            [
                binder_env["python"], "-m", "jupyter", "nbconvert", "--to", "notebook",
                "--execute", "--ExecutePreprocessor.timeout=300", "--output-dir", out_dir,
                notebook,
            ],
            binder_env["env"],
            cwd=REPO / "notebooks",
        )  # fmt: skip
        assert (out_dir / notebook.name).exists()
