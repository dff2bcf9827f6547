"""Data sets shipped with flowlab (no download at run time).

Example::

    from flowlab.library import data
    df = data.iris()      # 150 rows, measures in millimetres (INTEGER), species (TEXT)
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

IRIS_FEATURES = ("petal_width", "petal_height", "sepal_width", "sepal_height")


def iris() -> pd.DataFrame:
    """The iris flowers with the seed's column names; the four measures in integer millimetres."""
    with resources.files(__package__).joinpath("iris.csv").open("rb") as f:
        frame = pd.read_csv(f)
    return frame.astype({c: "int64" for c in IRIS_FEATURES})
