"""Checking a sweep or study before anything runs: every swept value against its input's type."""

from __future__ import annotations

from typing import Any

from flowlab.errors import FlowTypeError, SweepError
from flowlab.sweeps.space import Dimension

NUMERIC = ("DOUBLE", "INTEGER", "BOOL")


def check_swept_names(workflow, swept: dict, inputs: dict, what: str) -> None:
    known = list(workflow.signature.parameters)
    for name in swept:
        if name not in known:
            raise SweepError(
                f"{what} of workflow '{workflow.name}' sweeps input '{name}', which the "
                f"workflow does not have; its inputs are {', '.join(known)}"
            )
        if name in inputs:
            raise SweepError(
                f"{what} of workflow '{workflow.name}': input '{name}' is given both as a fixed "
                "input and as swept; give it once"
            )


def check_values(workflow, name: str, values: list, what: str) -> list:
    """Each value validated by the input's type; returns the validated values."""
    flow_type = workflow.input_schema.get(name)
    if flow_type is None:
        return list(values)
    checked = []
    for value in values:
        try:
            checked.append(
                flow_type.validate(value, f"input '{name}' of workflow '{workflow.name}'")
            )
        except (TypeError, ValueError) as exc:
            raise FlowTypeError(
                f"{what} of workflow '{workflow.name}': value {value!r} of input '{name}' "
                f"does not fit its type {flow_type.name}: {exc}"
            ) from None
    return checked


def check_grid(workflow, grid: Any, inputs: dict) -> dict[str, list]:
    if not isinstance(grid, dict) or not grid:
        raise SweepError(
            f"sweep of workflow '{workflow.name}': grid must be a non-empty dict "
            f"{{input: [values]}}, got {grid!r}"
        )
    check_swept_names(workflow, grid, inputs, "grid")
    checked = {}
    for name, values in grid.items():
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise SweepError(
                f"grid of workflow '{workflow.name}': input '{name}' needs a list of values, "
                f"got {values!r}"
            )
        values = list(values)
        if not values:
            raise SweepError(
                f"grid of workflow '{workflow.name}': input '{name}' has an empty list of values"
            )
        if len({repr(v) for v in values}) != len(values):
            raise SweepError(
                f"grid of workflow '{workflow.name}': input '{name}' repeats a value in {values!r}"
            )
        checked[name] = check_values(workflow, name, values, "grid")
    return checked


def check_space(workflow, space: Any, inputs: dict, what: str) -> dict[str, Dimension]:
    if not isinstance(space, dict) or not space:
        raise SweepError(
            f"{what} of workflow '{workflow.name}' needs a non-empty dict "
            f"{{input: flowlab.space.int/float/choice(...)}}, got {space!r}"
        )
    check_swept_names(workflow, space, inputs, what)
    for name, dim in space.items():
        if not isinstance(dim, Dimension):
            raise SweepError(
                f"{what} of workflow '{workflow.name}': input '{name}' needs a range "
                f"(flowlab.space.int, float or choice), got {dim!r}"
            )
        check_values(workflow, name, dim.values_to_check(), what)
    return dict(space)


def check_fixed(workflow, inputs: dict, swept: dict) -> None:
    """The fixed inputs, with one value of each swept input, make a valid launch."""
    sample = {name: values[0] for name, values in swept.items()}
    workflow.validate_inputs({**inputs, **sample})


def scalar_outputs(workflow, graph: dict | None = None) -> dict[str, Any]:
    """The workflow's numeric outputs, by name (what results and best() can use).

    A workflow without ``returns=`` has the types of the operator outputs it returns: read
    from a compiled run's ``graph`` (a record's ``"graph"``) when one is given."""
    if workflow.returns is not None:
        declared = dict(workflow.returns.items())
    elif graph is not None:
        declared = _returned_types(graph)
    else:
        return {}
    return {name: t for name, t in declared.items() if getattr(t, "name", None) in NUMERIC}


def _returned_types(graph: dict) -> dict[str, Any]:
    from flowlab.types import from_json

    nodes = {node["id"]: node for node in graph.get("nodes", [])}
    found = {}
    for name, ref in (graph.get("outputs") or {}).items():
        if isinstance(ref, dict) and isinstance(ref.get("$ref"), list) and len(ref["$ref"]) == 2:
            node, output = ref["$ref"]
            type_json = (nodes.get(node, {}).get("outputs") or {}).get(output)
            if isinstance(type_json, dict):
                found[name] = from_json(type_json)
    return found


def metric_direction(
    workflow, metric: str, direction: str | None, what: str, graph: dict | None = None
) -> str:
    """``"minimize"`` or ``"maximize"``: the given direction, else the output type's own."""
    outputs = scalar_outputs(workflow, graph)
    if metric not in outputs:
        raise SweepError(
            f"{what}: '{metric}' is not a scalar output of workflow '{workflow.name}'; "
            f"its scalar outputs are {', '.join(outputs) or 'none'}"
        )
    if direction is not None:
        aliases = {"lower": "minimize", "min": "minimize", "higher": "maximize", "max": "maximize"}
        direction = aliases.get(direction, direction)
        if direction not in ("minimize", "maximize"):
            raise SweepError(
                f"{what}: direction must be 'minimize' or 'maximize', got {direction!r}"
            )
        return direction
    own = getattr(outputs[metric], "direction", None)
    if own is None:
        raise SweepError(
            f"{what}: output '{metric}' of workflow '{workflow.name}' declares no direction "
            "(DOUBLE(direction='lower'|'higher')); pass direction='minimize' or 'maximize'"
        )
    return "minimize" if own == "lower" else "maximize"
