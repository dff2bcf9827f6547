"""The engine: operators, workflows, compilation to a Graph, execution on Dask, the cluster."""
