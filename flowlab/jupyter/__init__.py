"""flowlab's Jupyter Server extension: the REST API the JupyterLab sidebar reads.

Enabled by the ``jupyter_server_config.d/flowlab.json`` file the package installs; it serves
``/flowlab/api/runs``, ``/flowlab/api/runs/RUN``, ``/flowlab/api/searches`` and
``/flowlab/api/workflows`` and ``/flowlab/api/dashboard`` (the URL of ``flowlab ui``, which
it starts on first use and stops when it stops) behind the server's own authentication (its token).

Example::

    curl -H "Authorization: token $TOKEN" "http://127.0.0.1:8888/flowlab/api/runs?limit=5"
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from flowlab.jupyter.handlers import route_handlers

__all__ = ["load_jupyter_server_extension", "route_handlers"]


def load_jupyter_server_extension(serverapp) -> None:
    """Add flowlab's REST handlers to a running Jupyter Server.

    The server and the kernels it starts must read one store: kernels inherit the server's
    environment, so when neither FLOWLAB_HOME nor FLOWLAB_STORE is set, the server sets
    FLOWLAB_HOME to ``<root_dir>/.flowlab`` (a kernel would otherwise use its notebook's
    directory and the sidebar would not see its runs).
    """
    if not os.environ.get("FLOWLAB_HOME") and not os.environ.get("FLOWLAB_STORE"):
        os.environ["FLOWLAB_HOME"] = str(Path(serverapp.root_dir).absolute() / ".flowlab")
    _keep_snapshots_when_saving(serverapp)
    web_app = serverapp.web_app
    base_url = web_app.settings["base_url"]
    web_app.add_handlers(".*$", route_handlers(base_url))
    serverapp.log.info("flowlab: REST API at %sflowlab/api (store in %s)", base_url, _where())
    threading.Thread(target=_warm_up, name="flowlab-warm-up", daemon=True).start()


def _keep_snapshots_when_saving(serverapp) -> None:
    """Saved notebooks keep flowlab's static snapshots instead of dead widget views, so a
    reopened notebook shows its forms, run views and comparisons ("model not found" otherwise)."""
    from flowlab.notebook.snapshot import pre_save_hook

    manager = getattr(serverapp, "contents_manager", None)
    if manager is not None and hasattr(manager, "register_pre_save_hook"):
        manager.register_pre_save_hook(pre_save_hook)


def _warm_up() -> None:
    """Import what reading a MODEL output needs (skops pulls in scikit-learn, and torch through
    its array API support: seconds) while the server starts, not when a user first opens a run."""
    try:
        import skops.io  # noqa: F401
    except ImportError:
        pass


def _where() -> str:
    """The store's URL for the server's log, which others may read: without its password."""
    from flowlab.store.config import redacted, store_url

    return redacted(store_url())


# Jupyter Server looks these names up on the module it is told to load.
_load_jupyter_server_extension = load_jupyter_server_extension
