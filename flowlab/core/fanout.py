"""What a mapped node's task does: one task per element on the cluster, through the worker's
client (the task secedes while it waits), outputs gathered into lists in element order."""

from __future__ import annotations

import hashlib
from typing import Any

from flowlab.core.context import operator_context
from flowlab.core.invoke import check_outputs, prepare_inputs, seed_everything


def run_mapped(spec, arguments: dict) -> dict[str, list]:
    """Zip the mapped inputs, run the operator per element, return each output as a list."""
    lists = {name: list(arguments[name]) for name in spec.mapped}
    lengths = {name: len(items) for name, items in lists.items()}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"'{k}' has {n} items" for k, n in lengths.items())
        raise ValueError(
            f"operator '{spec.operator.name}': .map(...) zips its lists, which must have one "
            f"length; {described}"
        )
    count = next(iter(lengths.values()), 0)
    calls = [{**arguments, **{k: v[i] for k, v in lists.items()}} for i in range(count)]
    seeds = [_element_seed(spec.seed, i) for i in range(count)]
    from distributed import worker_client

    with worker_client() as client:
        futures = [
            client.submit(
                run_element,
                spec.operator,
                call,
                f"{spec.node_id}[{i}]",
                seeds[i],
                spec.run_id,
                pure=False,
                key=f"{spec.node_id}[{i}]@{spec.run_id}",
            )
            for i, call in enumerate(calls)
        ]
        parts = client.gather(futures)
    names = list(parts[0]) if parts else list(spec.operator.returns)
    return {name: [part[name] for part in parts] for name in names}


def run_element(operator, arguments: dict, node_id: str, seed: int | None, run_id: str) -> dict:
    """One element of a mapped operator (validated, seeded, outputs checked)."""
    prepared = prepare_inputs(operator, arguments, node_id)
    seed_everything(seed)
    with operator_context(node_id=node_id, seed=seed, run_id=run_id):
        result = operator.fn(**prepared)
    return dict(check_outputs(operator, arguments, result, node_id))


def _element_seed(seed: Any, index: int) -> int | None:
    if seed is None:
        return None
    digest = hashlib.sha256(f"{seed}:{index}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF
