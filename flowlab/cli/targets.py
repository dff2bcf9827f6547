"""TARGET → Workflow for the CLI; the logic lives in :mod:`flowlab.core.runs.targets` (the
workflow catalog rebuilds workflows from the same targets)."""

from flowlab.core.runs.targets import TargetError, load_workflow, workflows_in

__all__ = ["TargetError", "load_workflow", "workflows_in"]
