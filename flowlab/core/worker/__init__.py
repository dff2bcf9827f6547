"""What runs on a Dask worker for one operator: the task, its sealed inputs, its seeds,
fan-out of mapped nodes, captured logs, the cache, checkpoints, kept outputs, reports."""
