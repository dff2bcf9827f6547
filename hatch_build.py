"""Build hook: the JupyterLab extension in flowlab/labextension matches extension/.

The built assets are committed, so ``pip install`` from a clone needs no Node.js. They carry the
hash of the sources they were built from (``flowlab/labextension/source-hash.txt``); when
extension/ changed since, this hook rebuilds them with Node.js (jlpm from jupyter-builder,
``jupyter-builder build``) and fails clearly if Node.js is missing. ``python hatch_build.py``
does the same by hand.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

try:
    from hatchling.builders.hooks.plugin.interface import BuildHookInterface
except ImportError:  # run by hand, outside a build
    BuildHookInterface = object

SOURCES = (
    "package.json",
    "yarn.lock",
    "tsconfig.json",
    ".yarnrc.yml",
    "install.json",
    "src",
    "style",
)
BUILT = Path("flowlab", "labextension")
HASH_FILE = "source-hash.txt"


def source_hash(root: Path) -> str:
    """A hash of extension/'s sources (content and names, not times: a clone has new times)."""
    digest = hashlib.sha256()
    extension = root / "extension"
    for name in SOURCES:
        path = extension / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.exists():
                digest.update(file.relative_to(extension).as_posix().encode() + b"\0")
                digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()


def ensure_labextension(root: Path, log=print) -> None:
    """Rebuild flowlab/labextension when extension/ changed since it was built."""
    extension, built = root / "extension", root / BUILT
    if not extension.is_dir():  # a wheel built from an sdist without the sources
        if not (built / "package.json").exists():
            raise RuntimeError(f"{built} is missing and there is no extension/ to build it from")
        return
    wanted = source_hash(root)
    stamp = built / HASH_FILE
    if (built / "package.json").exists() and stamp.exists() and stamp.read_text().strip() == wanted:
        return
    node, jlpm = shutil.which("node"), _jlpm()
    if node is None or jlpm is None:
        raise RuntimeError(
            f"flowlab's JupyterLab extension ({built}) is missing or older than its sources in "
            f"{extension}, and it needs Node.js to be rebuilt, but "
            f"{'node' if node is None else 'jlpm'} is not on PATH. Install Node.js >= 20 "
            "(apt-get install nodejs npm) and jupyter-builder (pip install jupyter-builder), "
            "or install a released wheel."
        )
    log(f"flowlab: building the JupyterLab extension in {extension} (sources changed)")
    for step in (["install"], ["build:prod"]):
        done = subprocess.run([*jlpm, *step], cwd=extension, env=_env())
        if done.returncode != 0:
            raise RuntimeError(
                f"`jlpm {' '.join(step)}` failed in {extension} (exit {done.returncode}); "
                "see the output above"
            )
    # install.json tells `jupyter labextension list` that pip installed it
    shutil.copy(extension / "install.json", built / "install.json")
    stamp.write_text(wanted + "\n")


def _jlpm() -> list[str] | None:
    found = shutil.which("jlpm")
    if found:
        return [found]
    beside = Path(sys.executable).parent / "jlpm"
    return [str(beside)] if beside.exists() else None


def _env() -> dict:
    # jupyter-builder (called by the npm scripts) lives beside this Python in a build env
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


class LabExtensionBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version, build_data):
        ensure_labextension(Path(self.root), log=self.app.display_info)


if __name__ == "__main__":
    ensure_labextension(Path(__file__).resolve().parent)
