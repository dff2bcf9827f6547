"""A Graph on Dask: its tasks, following a run (worker events, completion, record writes,
the lease), cancelling it, and the runs a persistent cluster keeps."""
