"""What a workflow is: operators, workflows, futures, tracing into a Graph, channel and input
checks, returns, resources, code versions, ``map`` and ``branch``, and how one operator is
called (its inputs checked, its generators seeded, its outputs checked).

The lowest layer of core: it never imports ``distributed``. Only the declared facades call
upward (``Workflow.launch``, ``Workflow.register``, ``Graph.to_delayed``).
"""
