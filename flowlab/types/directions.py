"""Which way is better for a metric, by its name, when its type does not say.

A DOUBLE output says it itself (``DOUBLE(direction="lower")``); this table covers outputs
named after a well-known metric, so a comparison or a sweep can mark the best run even when
the workflow declared a bare DOUBLE. The ML library's ``Metrics`` read their directions here.

Example::

    metric_direction("logloss")   # 'lower'
    metric_direction("speed")     # None: unknown, say it with DOUBLE(direction=...)
"""

from __future__ import annotations

HIGHER_IS_BETTER = frozenset({"accuracy", "auc", "r2", "ndcg", "map"})
LOWER_IS_BETTER = frozenset({"logloss", "mse", "rmse", "mae"})


def metric_direction(name: str | None) -> str | None:
    """``"higher"`` or ``"lower"`` for a well-known metric name, else None."""
    if name in HIGHER_IS_BETTER:
        return "higher"
    if name in LOWER_IS_BETTER:
        return "lower"
    return None
