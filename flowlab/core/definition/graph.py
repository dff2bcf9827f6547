"""The Graph: what compilation produces. Plain data a UI can draw and a store can keep.

Inputs of a node are encoded as JSON where references read ``{"$ref": [node, output]}``
(another operator's output) or ``{"$input": name}`` (a workflow input passed by reference).
Values that are not JSON (a DataFrame given as a literal) are kept aside in ``literals``
and shown as ``{"$literal": key}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Node:
    """One operator call in a workflow."""

    id: str
    operator: str
    inputs: dict[str, Any]
    outputs: dict[str, dict]
    resources: dict
    retries: int
    version: str
    input_types: dict[str, dict] = field(default_factory=dict)
    #: inputs an ``op.map`` node maps over (one task per element at run time)
    mapped: list[str] = field(default_factory=list)
    #: inside a ``flowlab.branch``: the side (True/False) this node runs on; None outside
    guard: bool | None = None

    @property
    def parents(self) -> list[str]:
        found: dict[str, None] = {}  # ordered and linear: a fan-in node has thousands
        walk_refs(self.inputs, lambda node, _out: found.setdefault(node))
        return list(found)

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "operator": self.operator,
            "inputs": self.inputs,
            "outputs": self.outputs,
            "resources": self.resources,
            "retries": self.retries,
            "version": self.version,
            "input_types": self.input_types,
            **({"mapped": self.mapped} if self.mapped else {}),
            **({"guard": self.guard} if self.guard is not None else {}),
        }


@dataclass
class Graph:
    """The compiled DAG of a workflow run; nodes are in a valid execution order.

    Example::

        graph = iris.compile(labeled_data=df, unlabeled_data=new)
        [n.id for n in graph.nodes.values()], graph.edges
    """

    workflow: str
    version: str
    inputs: dict[str, Any]
    input_types: dict[str, dict]
    returns: dict[str, dict]
    outputs: dict[str, Any] = field(default_factory=dict)
    nodes: dict[str, Node] = field(default_factory=dict)
    literals: dict[str, Any] = field(default_factory=dict, repr=False)
    # concrete workflow input values (DataFrames included); never serialised
    input_values: dict[str, Any] = field(default_factory=dict, repr=False)
    # operator objects by node id; used to execute, never serialised
    operators: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def edges(self) -> list[tuple[str, str, str]]:
        """(parent node, child node, output name) for every data dependency."""
        result = []
        for node in self.nodes.values():
            walk_refs(
                node.inputs, lambda parent, out, child=node.id: result.append((parent, child, out))
            )
        return list(dict.fromkeys(result))  # unique, in first-seen order (linear)

    def to_json(self) -> dict:
        return {
            "workflow": self.workflow,
            "version": self.version,
            "inputs": self.inputs,
            "input_types": self.input_types,
            "returns": self.returns,
            "outputs": self.outputs,
            "nodes": [n.to_json() for n in self.nodes.values()],
            "edges": [list(e) for e in self.edges],
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=1)

    def to_delayed(self, seed: int | None = None) -> dict[str, Any]:
        """Output name -> ``dask.delayed.Delayed``: the tasks a run would submit (types
        checked, operators seeded from ``seed``), for any Dask scheduler; no cache, no record.

        Example::

            graph = iris.compile(labeled_data=df, unlabeled_data=new)
            values = dask.compute(*graph.to_delayed().values(), scheduler="threads")
        """
        from flowlab.core.engine.to_dask import to_delayed

        return to_delayed(self, seed=seed)


def walk_refs(value: Any, visit) -> None:
    """Call ``visit(node, output)`` for each reference to an operator output in ``value``."""
    if isinstance(value, dict):
        if "$ref" in value and len(value) == 1:
            visit(*value["$ref"])
            return
        for item in value.values():
            walk_refs(item, visit)
    elif isinstance(value, list):
        for item in value:
            walk_refs(item, visit)


def resolve(
    value: Any, results: dict[str, dict], inputs: dict[str, Any], literals: dict[str, Any]
) -> Any:
    """Replace references in an encoded value with the concrete values they point at."""
    if isinstance(value, dict):
        if len(value) == 1:
            key = next(iter(value))
            if key == "$ref":
                node, output = value["$ref"]
                return results[node][output]
            if key == "$input":
                return inputs[value["$input"]]
            if key == "$literal":
                return literals[value["$literal"]]
        return {k: resolve(v, results, inputs, literals) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, results, inputs, literals) for v in value]
    return value
