"""Fixtures of the notebook tests: the catalog's iris datasets, flowlab.notebook loaded."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def iris_catalog(flowlab_home):
    """iris_labeled (all columns) and iris_unlabeled (no species) in the dataset catalog."""
    import flowlab
    from flowlab.library import data

    frame = data.iris()
    flowlab.datasets.register("iris_labeled", frame)
    flowlab.datasets.register("iris_unlabeled", frame.drop(columns="species").head(12))
    return frame


@pytest.fixture(scope="session")
def notebook_layer():
    """flowlab.notebook imported: every Workflow has form()."""
    import flowlab.notebook

    return flowlab.notebook
