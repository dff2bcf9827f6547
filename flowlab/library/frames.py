"""What every library operator does to its dataset: check columns, pick features, compute."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flowlab.errors import FlowTypeError


def operator_name(default: str) -> str:
    """The running operator's node id (its name in error messages), else ``default``."""
    from flowlab.core.definition.context import current

    ctx = current()
    return ctx.node_id if ctx is not None else default


def is_dask(frame: Any) -> bool:
    """True for a dask DataFrame or Series (a collection not yet computed)."""
    return hasattr(frame, "dask") and hasattr(frame, "compute")


def to_pandas(frame: Any):
    """The frame as pandas; a dask DataFrame is computed (:func:`compute`)."""
    return compute(frame) if is_dask(frame) else frame


def compute(collection: Any):
    """A dask collection computed: inside an operator through its worker's client, else with
    Dask's default scheduler.

    A worker that never opened a client has no default one: a bare ``.compute()`` in an
    operator failed ("no Client active") or not, depending on where the operator landed.
    ``worker_client`` also secedes the operator's thread while it waits, so its own worker
    can run the tasks it waits for.

    Example::

        compute(frame["species"].unique())
    """
    from distributed import get_worker, worker_client

    try:
        get_worker()
    except ValueError:
        return collection.compute()
    with worker_client() as client:
        return client.compute(collection).result()


def require_columns(frame: Any, columns: Mapping[str, Any], owner: str) -> None:
    """Raise FlowTypeError naming the input, the column and the operator for a missing column.

    ``columns`` maps an input name to the column (or list of columns) it names.

    Example::

        require_columns(frame, {"label": "species", "features": ["a", "b"]}, "TrainGBDT")
    """
    have = [str(c) for c in frame.columns]
    for field, value in columns.items():
        if value is None:
            continue
        names = [value] if isinstance(value, str) else list(value)
        for name in names:
            if name not in have:
                raise FlowTypeError(
                    f"input '{field}' of operator '{owner}': column '{name}' is missing; "
                    f"the dataset has {', '.join(have) or 'no columns'}"
                )


def feature_columns(
    frame: Any, features: Iterable[str] | None, label: str | None, *exclude: str | None
) -> list[str]:
    """``features`` when given, else every numeric column except the label and ``exclude``.

    Example::

        feature_columns(iris, None, "species")   # the four measures
    """
    if features:
        return list(features)
    skip = {label, *exclude} - {None}
    numeric = frame.select_dtypes(include=["number", "bool"]).columns
    chosen = [str(c) for c in numeric if c not in skip]
    if not chosen:
        raise FlowTypeError(
            f"operator '{operator_name('?')}': the dataset has no numeric column to use as a "
            f"feature besides {', '.join(sorted(skip))}; pass features=[...]"
        )
    return chosen


def training_frame(
    dataset: Any,
    features: Iterable[str] | None,
    label: str,
    owner: str,
    *,
    group: str | None = None,
    keep_dask: bool = False,
):
    """Check the columns and return ``(frame, features)``; pandas unless ``keep_dask``."""
    owner = operator_name(owner)
    require_columns(dataset, {"label": label, "group": group, "features": features}, owner)
    frame = dataset if keep_dask else to_pandas(dataset)
    chosen = feature_columns(frame, features, label, group)
    if label is not None and not keep_dask and frame[label].isna().any():
        raise FlowTypeError(
            f"input 'label' of operator '{owner}': column '{label}' has "
            f"{int(frame[label].isna().sum())} missing values; drop or fill them first"
        )
    return frame, chosen
