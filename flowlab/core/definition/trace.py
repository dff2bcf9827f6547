"""DAG compilation: run a workflow body once with futures and record every operator call."""

from __future__ import annotations

import contextvars
import json
from typing import Any

from flowlab.core.definition.futures import (
    Future,
    InputRef,
    OperatorFuture,
    OutputRef,
    WorkflowFuture,
)
from flowlab.core.definition.graph import Graph, Node

__all__ = [
    "Future",
    "GraphBuilder",
    "InputRef",
    "OperatorFuture",
    "OutputRef",
    "WorkflowFuture",
    "current_builder",
]

_builder: contextvars.ContextVar[GraphBuilder | None] = contextvars.ContextVar(
    "flowlab_graph_builder", default=None
)


def current_builder() -> GraphBuilder | None:
    return _builder.get()


class GraphBuilder:
    """Collects nodes while a workflow body runs; ``encode`` turns futures into references."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.prefix: list[str] = []
        self._counts: dict[str, int] = {}

    def __enter__(self) -> GraphBuilder:
        self._token = _builder.set(self)
        return self

    def __exit__(self, *exc) -> None:
        _builder.reset(self._token)

    def unique_id(self, name: str) -> str:
        """``name``, then ``name_2``, ``name_3``… for repeated calls of one operator."""
        base = "/".join([*self.prefix, name])
        n = self._counts.get(base, 0)
        candidate = base if n == 0 else f"{base}_{n + 1}"
        while candidate in self.graph.nodes:
            n += 1
            candidate = f"{base}_{n + 1}"
        self._counts[base] = n + 1
        return candidate

    def add_node(self, node: Node, operator: Any) -> None:
        self.graph.nodes[node.id] = node
        self.graph.operators[node.id] = operator

    def encode(self, value: Any) -> Any:
        """A JSON-able form of ``value`` with futures as references."""
        while isinstance(value, OperatorFuture):  # a nested workflow may return an operator call
            value = value.single()
        if isinstance(value, OutputRef):
            return {"$ref": [value.node, value.output]}
        if isinstance(value, InputRef):
            return {"$input": value.name}
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            return {k: self.encode(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.encode(v) for v in value]
        if hasattr(value, "value") and type(value).__module__ != "builtins" and _is_enum(value):
            return value.value
        try:
            json.dumps(value)
            return value
        except (TypeError, ValueError):
            key = f"lit{len(self.graph.literals)}"
            self.graph.literals[key] = value
            return {"$literal": key}


def _is_enum(value: Any) -> bool:
    import enum

    return isinstance(value, enum.Enum)
