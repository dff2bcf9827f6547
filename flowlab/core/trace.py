"""DAG compilation: run a workflow body once with futures and record every operator call."""

from __future__ import annotations

import contextvars
import json
from collections.abc import Mapping
from typing import Any

from flowlab.core.graph import Graph, Node
from flowlab.errors import CompileError

_builder: contextvars.ContextVar[GraphBuilder | None] = contextvars.ContextVar(
    "flowlab_graph_builder", default=None
)


def current_builder() -> GraphBuilder | None:
    return _builder.get()


class InputRef:
    """A workflow input passed by reference (DATASET, MODEL, ARRAY) while compiling."""

    def __init__(self, name: str, flow_type):
        self.name = name
        self.type = flow_type

    def __repr__(self) -> str:
        return f"<workflow input {self.name!r} ({self.type.name})>"

    def __bool__(self):
        raise CompileError(
            f"workflow input {self.name!r} is a {self.type.name} reference while "
            "the workflow compiles; its value exists only when operators run. "
            "Use it as an operator input, not in Python conditions."
        )


class OutputRef:
    """One named output of an operator call that has not run yet."""

    def __init__(self, node: str, output: str, flow_type=None):
        self.node = node
        self.output = output
        self.type = flow_type

    def __repr__(self) -> str:
        return f"<future {self.node}.{self.output}>"

    def __bool__(self):
        raise CompileError(
            f"{self.node}.{self.output} is a future while the workflow "
            "compiles; it has no value yet. Pass it to an operator instead of "
            "testing it in Python."
        )


class OperatorFuture:
    """What calling an operator inside a workflow returns; its attributes are its outputs.

    An operator with a single output stands for that output when passed on.
    """

    def __init__(self, node: str, outputs: Mapping):
        self._node = node
        self._outputs = dict(outputs)

    def __getattr__(self, name: str) -> OutputRef:
        if name.startswith("__"):
            raise AttributeError(name)
        if name not in self._outputs:
            raise AttributeError(
                f"operator call '{self._node}' has no output {name!r}; its "
                f"outputs are {', '.join(self._outputs) or 'none'}"
            )
        return OutputRef(self._node, name, self._outputs[name])

    def __getitem__(self, name: str) -> OutputRef:
        return self.__getattr__(name)

    def single(self) -> OutputRef:
        if len(self._outputs) != 1:
            raise CompileError(
                f"operator call '{self._node}' has outputs "
                f"{', '.join(self._outputs)}; pick one, e.g. "
                f"{self._node}.{next(iter(self._outputs), 'x')}"
            )
        return OutputRef(self._node, *next(iter(self._outputs.items())))

    def __repr__(self) -> str:
        return f"<future {self._node} -> {', '.join(self._outputs)}>"


class WorkflowFuture(OperatorFuture):
    """A nested workflow's outputs while the outer workflow compiles."""

    def __init__(self, name: str, encoded: dict[str, Any], types: Mapping):
        super().__init__(name, types)
        self._encoded = encoded

    def __getattr__(self, name: str):
        super().__getattr__(name)  # raises for unknown names
        return self._encoded[name]

    def single(self):
        super().single()
        return next(iter(self._encoded.values()))


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
        if isinstance(value, WorkflowFuture):
            return value.single()
        if isinstance(value, OperatorFuture):
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
