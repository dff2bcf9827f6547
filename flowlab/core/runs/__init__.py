"""Runs as a user holds them: the ``Run`` handle, launching a workflow, the workflow catalog
(rebuilding a workflow in another process), workflow targets, and the keeper process."""
