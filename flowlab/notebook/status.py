"""What the notebook says while flowlab starts its local cluster (it takes seconds): a line at
once, replaced by the cluster's size and dashboard link when it is up."""

from __future__ import annotations

import html

_shown: dict[str, object] = {}


def cluster_start_message(stage: str, client) -> None:
    """A listener for :func:`flowlab.cluster.on_local_cluster_start` that displays the stage.

    Example::

        flowlab.cluster.on_local_cluster_start(cluster_start_message)
    """
    from IPython import get_ipython
    from IPython.display import HTML, display

    if get_ipython() is None:
        return
    if stage == "starting":
        _shown["handle"] = display(
            HTML(
                "<div class='flowlab-cluster-status' style='color:#555'>"
                "⏳ starting the local cluster…</div>"
            ),
            display_id=True,
        )
        return
    handle = _shown.pop("handle", None)
    if handle is None or client is None:
        return
    try:
        workers = client.scheduler_info(n_workers=-1).get("workers", {})
        threads = sum(w.get("nthreads", 0) for w in workers.values())
        link = html.escape(getattr(client, "dashboard_link", "") or "")
        text = (
            f"local cluster started: {len(workers)} workers, {threads} threads · "
            f'<a href="{link}" target="_blank">dashboard</a>'
        )
    except Exception:  # a slow scheduler: say it started, without the details
        text = "local cluster started"
    handle.update(HTML(f"<div class='flowlab-cluster-status' style='color:#555'>{text}</div>"))
