"""The comparison as a widget: the table, with a dropdown to choose the baseline.

Example::

    view = ComparisonView(flowlab.compare([a, b, c], baseline=a))
    view.baseline.value = b.id      # the table re-colours against b
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from flowlab.notebook.snapshot import Snapshot


class ComparisonView(Snapshot, w.VBox):
    """Runs side by side (``flowlab.compare``), the baseline chosen in a dropdown."""

    def __init__(self, comparison, **kwargs: Any):
        super().__init__(**kwargs)
        self.add_class("flowlab-comparison")
        self.comparison = comparison
        self.baseline = w.Dropdown(
            description="baseline",
            options=[(_label(r), r["id"]) for r in comparison.records],
            value=comparison.baseline,
            layout=w.Layout(width="auto"),
        )
        self.baseline.add_class("flowlab-baseline")
        self.table = w.HTML(comparison._repr_html_())
        self.table.add_class("flowlab-compare-table")
        self.baseline.observe(self._rebase, names="value")
        self.children = [self.baseline, self.table]

    def _rebase(self, change) -> None:
        if change["new"] and change["new"] != self.comparison.baseline:
            self.comparison = self.comparison.with_baseline(change["new"])
            self.table.value = self.comparison._repr_html_()
            self.refresh_snapshot()

    def snapshot_html(self) -> str:
        return self.comparison._repr_html_()

    def snapshot_text(self) -> str:
        return (
            f"comparison of {len(self.comparison.records)} runs, baseline "
            f"{self.comparison.baseline}"
        )


def _label(record: dict) -> str:
    tags = ", ".join(record.get("tags") or [])
    return f"{record['id']} ({tags})" if tags else record["id"]
