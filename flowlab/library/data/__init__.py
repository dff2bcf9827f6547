"""Data sets shipped with flowlab or scikit-learn (no download at run time), and loading.

Example::

    from flowlab.library import data
    df = data.iris()      # 150 rows, measures in millimetres (INTEGER), species (TEXT)
    data.breast_cancer()  # binary: 569 rows, 30 measures, malignant (0/1)
    data.diabetes()       # regression: 442 rows, 10 measures, progression (DOUBLE)
    data.ranking_demo()   # ranking: 120 queries, 8 features, relevance 0-4, query_id

Their catalog names (``iris_labeled``, ``breast_cancer``, ``diabetes``, ``ranking_demo``)
work wherever a DATASET is asked for; a dataset registered under the same name wins.
"""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd

IRIS_FEATURES = ("petal_width", "petal_height", "sepal_width", "sepal_height")


def iris() -> pd.DataFrame:
    """The iris flowers with the seed's column names; the four measures in integer millimetres."""
    with resources.files(__package__).joinpath("iris.csv").open("rb") as f:
        frame = pd.read_csv(f)
    return frame.astype({c: "int64" for c in IRIS_FEATURES})


def breast_cancer() -> pd.DataFrame:
    """scikit-learn's Wisconsin breast cancer set: 30 measures and ``malignant`` (1 or 0).

    Example::

        data.breast_cancer().malignant.mean()   # about 0.37
    """
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame
    frame.columns = [str(c).replace(" ", "_") for c in frame.columns]
    # scikit-learn codes malignant as 0; the positive class is the one to find
    frame["malignant"] = (frame.pop("target") == 0).astype("int64")
    return frame


def diabetes() -> pd.DataFrame:
    """scikit-learn's diabetes set, unscaled: 10 measures and ``progression`` after one year.

    Example::

        data.diabetes().progression.describe()
    """
    from sklearn.datasets import load_diabetes

    frame = load_diabetes(as_frame=True, scaled=False).frame
    return frame.rename(columns={"target": "progression"})


def ranking_demo(queries: int = 120, seed: int = 7) -> pd.DataFrame:
    """A learning-to-rank set made deterministically: documents of ``queries`` query groups.

    Each query has 10 to 30 documents with 8 features; a hidden linear score plus noise,
    graded within the query, gives ``relevance`` 0 (bad) to 4 (perfect). Rows of a query
    are contiguous and ``query_id`` names it.

    Example::

        frame = data.ranking_demo()
        frame.groupby("query_id").size().describe()
    """
    rng = np.random.default_rng(seed)
    weights = rng.normal(size=8)
    parts = []
    for query in range(queries):
        n = int(rng.integers(10, 31))
        features = rng.normal(size=(n, 8)) + rng.normal(scale=0.5, size=8)
        score = features @ weights + rng.normal(scale=1.0, size=n)
        # grades by the score's place within the query: the top few are most relevant
        ranks = np.argsort(np.argsort(-score))
        relevance = np.select([ranks < 1, ranks < 3, ranks < 6, ranks < 10], [4, 3, 2, 1], 0)
        part = pd.DataFrame(features, columns=[f"f{i}" for i in range(8)])
        part.insert(0, "query_id", query)
        part["relevance"] = relevance.astype("int64")
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


SHIPPED = {
    "iris_labeled": iris,
    "breast_cancer": breast_cancer,
    "diabetes": diabetes,
    "ranking_demo": ranking_demo,
}


def shipped_path(name: str) -> str | None:
    """A parquet file of the shipped dataset ``name`` (written once under FLOWLAB_HOME)."""
    if name not in SHIPPED:
        return None
    from flowlab.store.config import home

    folder = home() / "shipped"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.parquet"
    if not path.exists():
        partial = path.with_suffix(f".{np.random.default_rng().integers(1 << 30)}.tmp")
        SHIPPED[name]().to_parquet(partial)
        partial.replace(path)  # atomic: a reader never sees half a file
    return str(path)


def load(source, npartitions: int | None = None):
    """A DataFrame from a DataFrame, a parquet/CSV path or fsspec URI, or a catalog name.

    ``npartitions`` asks for a dask DataFrame of that many partitions (for distributed
    training); a parquet/CSV path is then read by dask directly.

    Example::

        data.load("ranking_demo")                      # pandas
        data.load("data/*.parquet", npartitions=8)     # dask
    """
    from flowlab.types.dataset import read_table, resolve_name

    if isinstance(source, str):
        uri = resolve_name(source)
        if npartitions is not None:
            import dask.dataframe as dd

            reader = dd.read_parquet if uri.endswith((".parquet", ".pq", "/")) else dd.read_csv
            return reader(uri).repartition(npartitions=npartitions)
        return read_table(uri)
    if not (hasattr(source, "columns") and hasattr(source, "dtypes")):
        raise TypeError(
            f"data.load: expected a DataFrame, a path/URI or a dataset name, "
            f"found {type(source).__name__}"
        )
    if npartitions is not None:
        import dask.dataframe as dd

        if hasattr(source, "compute"):
            return source.repartition(npartitions=npartitions)
        return dd.from_pandas(source, npartitions=npartitions)
    return source


def register(name: str, source, description: str = "") -> dict:
    """Register a DataFrame (pandas or dask), a parquet/CSV path or a URI in the catalog.

    Example::

        data.register("churn", "s3://bucket/churn.parquet", "monthly churn snapshot")
    """
    from flowlab.store import catalog

    return catalog.register(name, source, description=description)


def register_examples() -> list[str]:
    """Register every shipped dataset in the catalog (so pickers list them); their names."""
    for name, make in SHIPPED.items():
        register(name, make(), description=(make.__doc__ or "").splitlines()[0])
    return list(SHIPPED)


def _register_resolver() -> None:
    from flowlab.types.dataset import register_name_resolver

    register_name_resolver(shipped_path)


_register_resolver()
