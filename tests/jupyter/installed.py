"""Both halves of the extension must be installed in the test's environment (by
``pip install -e .``, which ``make test`` runs); say so plainly when they are not."""

from __future__ import annotations

from pathlib import Path


def require_installed_extensions() -> None:
    from jupyter_core.paths import jupyter_config_path, jupyter_path

    lab = [Path(p) / "flowlab" / "package.json" for p in jupyter_path("labextensions")]
    server = [Path(p) / "jupyter_server_config.d" / "flowlab.json" for p in jupyter_config_path()]
    missing = [
        what
        for what, places in (("labextension", lab), ("server extension config", server))
        if not any(p.exists() for p in places)
    ]
    if missing:
        raise RuntimeError(
            f"flowlab's {' and '.join(missing)} is not installed in this environment "
            f"({', '.join(str(p.parent) for p in lab[:1] + server[:1])} …): run "
            "`pip install -e .` (or `make install`), which installs both"
        )
