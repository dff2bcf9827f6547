"""Fixtures of the form model tests: the catalog's iris datasets (no UI toolkit anywhere)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def iris_catalog(flowlab_home):
    """iris_labeled (all columns, registered twice) and iris_unlabeled (no species)."""
    import flowlab
    from flowlab.library import data

    frame = data.iris()
    flowlab.datasets.register("iris_labeled", frame)
    flowlab.datasets.register("iris_labeled", frame)
    flowlab.datasets.register("iris_unlabeled", frame.drop(columns="species").head(12))
    return frame
