"""Why an operator ran again: each operator's cache status, and on a miss, what changed.

At launch every operator's record gets ``cache = {"status", "from_run", "changed"}``:

- ``hit``: its result came from the cache; ``from_run`` names the run that computed it.
- ``off``: nothing was looked up (``launch(cache=False)``, an operator declared
  ``cache=False``, or one inside a ``flowlab.branch``, whose results are never kept).
- ``miss``: it runs; ``changed`` says why, against the most recent earlier run of the same
  workflow that had the operator's node (named in ``compared_to``): ``"new"`` (no earlier run
  had it), ``"code"`` and ``"code:NAME"`` for each function, class or constant in
  its version that changed (the operator's own function is named as defined; a helper, a
  constant or a value it closes over by its name), ``"seed"``, ``"input:NAME"`` (a workflow input's content), ``"argument:NAME"``
  (an argument written in the workflow), ``"upstream:NODE"`` (an operator it reads from got
  another key), ``"not cached"`` (nothing changed, but that run kept no result: its operator
  failed or was cancelled, or it ran with ``cache=False``), ``"artifact missing"`` /
  ``"artifact corrupt"`` (a cached result whose file is gone or altered: computed again).

The comparison reads the parts each operator's key is made of (``key_parts``, written by
``core/worker/cache.py``): one search and at most ``EARLIER_RUNS`` record reads per launch, and
none when every operator is a hit.
"""

from __future__ import annotations

import json

#: a launch reads at most this many earlier runs' records to explain its misses
EARLIER_RUNS = 5
OFF = {"status": "off", "from_run": None, "changed": []}


def record_cache_status(
    record: dict,
    graph,
    *,
    enabled: bool,
    cached: dict[str, dict],
    lost: dict[str, tuple[str, str]],
    content_keyed: dict[str, list[str]],
    store,
) -> None:
    """Set ``cache`` in each operator's record of a run being launched.

    ``cached``: node -> the cache entry it reuses; ``lost``: node -> (problem, run) for an
    entry found whose artifact is missing or corrupt; ``content_keyed``: nodes whose key is
    finished on the worker, with the parents that finish it (core/worker/content_keys.py).

    Example::

        record_cache_status(record, graph, enabled=True, cached=cached, lost={},
                            content_keyed={}, store=store)
        record["operators"]["train"]["cache"]  # {"status": "miss", "changed": ["seed"], …}
    """
    operators = record["operators"]
    misses = []
    for node_id in graph.nodes:
        op = operators[node_id]
        if node_id in cached:
            op["cache"] = hit(cached[node_id]["run"])
        elif not enabled or not cacheable(graph, node_id):
            op["cache"] = dict(OFF)
        elif node_id in lost:
            problem, run = lost[node_id]
            op["cache"] = miss([problem], run)
        else:
            misses.append(node_id)
    if not misses:
        return
    for node_id, (changed, compared_to) in explain(record, graph.workflow, misses, store).items():
        if node_id in content_keyed and changed[0].startswith("not cached"):
            # its key is finished from what these parents compute in this run: they differ
            changed = [f"upstream:{parent}" for parent in content_keyed[node_id]]
        operators[node_id]["cache"] = miss(changed, compared_to)


def hit(run_id: str) -> dict:
    """The cache status of an operator whose result came from run ``run_id``."""
    return {"status": "hit", "from_run": run_id, "changed": []}


def miss(changed: list[str], compared_to: str | None) -> dict:
    """The cache status of an operator that runs because of ``changed`` (since ``compared_to``)."""
    return {"status": "miss", "from_run": None, "changed": changed, "compared_to": compared_to}


def cacheable(graph, node_id: str) -> bool:
    """Whether a node's result is looked up and kept: its operator caches, and it is not
    inside a ``flowlab.branch`` (a mapped node keeps each element, even there)."""
    node = graph.nodes[node_id]
    return bool(graph.operators[node_id].cache) and (bool(node.mapped) or node.guard is None)


def explain(
    record: dict, workflow: str, nodes: list[str], store
) -> dict[str, tuple[list[str], str | None]]:
    """Node -> (what changed, the run compared with) for each of ``nodes`` of ``record``,
    against the most recent earlier run of ``workflow`` that had the node; ``["new"]`` and
    None when none of the last ``EARLIER_RUNS`` did.

    Example::

        explain(record, "iris", ["train"], store)   # {"train": (["input:data"], "2026…")}
    """
    from flowlab.errors import RunNotFound
    from flowlab.store.search import make_query

    todo, found, read = list(nodes), {}, 0
    query = make_query(
        f"workflow = {json.dumps(workflow)}", order_by="-created", limit=EARLIER_RUNS + 2
    )
    for summary in store.search(query):
        if not todo or read >= EARLIER_RUNS:
            break
        if summary["id"] == record["id"] or (summary.get("created") or "") > record["created"]:
            continue  # this run, or one launched after it
        try:
            earlier = store.get_run(summary["id"])
        except RunNotFound:
            continue  # deleted meanwhile
        read += 1
        ran = earlier.get("operators") or {}
        for node_id in [n for n in todo if n in ran]:
            found[node_id] = (changes(node_id, record, earlier), earlier["id"])
        todo = [n for n in todo if n not in ran]
    found.update({node_id: (["new"], None) for node_id in todo})
    return found


def changes(node_id: str, record: dict, earlier: dict) -> list[str]:
    """What differs for ``node_id`` between the run ``record`` and the ``earlier`` one, from
    the parts of its cache key (see the module's docstring for the words).

    Example::

        changes("plus_3", new.record, old.record)     # ["upstream:plus_2"]
    """
    now_op, then_op = record["operators"][node_id], earlier["operators"][node_id]
    changed: list[str] = []
    same_operator = now_op.get("operator") == then_op.get("operator")
    now, then = now_op.get("key_parts") or {}, then_op.get("key_parts")
    if now_op.get("version") != then_op.get("version") or not same_operator:
        changed.append("code")
        now_code, then_code = now.get("code"), (then or {}).get("code")
        if now_code and then_code and same_operator:
            changed.extend(
                f"code:{label}"
                for label in sorted(set(now_code) | set(then_code))
                if now_code.get(label) != then_code.get(label)
            )
        else:  # an earlier flowlab kept no code parts: the operator's own source
            operator = now_op.get("operator")
            if _source(record, operator) != _source(earlier, operator):
                changed.append(f"code:{operator}")
    if then is None:  # written by a flowlab that kept no key parts
        return changed or ["unknown"]
    if now.get("seed") != then.get("seed"):
        changed.append("seed")
    now_hashes, then_hashes = record.get("input_hashes") or {}, earlier.get("input_hashes") or {}
    for name in now.get("inputs", []):
        if name in then.get("inputs", []) and now_hashes.get(name) != then_hashes.get(name):
            changed.append(f"input:{name}")
    then_upstream = then.get("upstream") or {}
    for parent, key in (now.get("upstream") or {}).items():
        if parent in then_upstream and then_upstream[parent] != key:
            changed.append(f"upstream:{parent}")
    changed.extend(_arguments(now, then, record, earlier))
    if not changed:
        state = then_op.get("state")
        changed.append("not cached" if state in ("succeeded", "cached") else f"not cached: {state}")
    return list(dict.fromkeys(changed))


def _arguments(now: dict, then: dict, record: dict, earlier: dict) -> list[str]:
    """``input:NAME`` for an argument that changed with a workflow input given inline (its
    hash before and after is that input's), else ``argument:NAME``."""
    now_args, then_args = now.get("arguments") or {}, then.get("arguments") or {}
    now_inputs, then_inputs = record.get("input_keys") or {}, earlier.get("input_keys") or {}
    found = []
    for name in sorted(set(now_args) | set(then_args)):
        after, before = now_args.get(name), then_args.get(name)
        if after == before:
            continue
        given = [
            f"input:{n}"
            for n, key in now_inputs.items()
            if key == after and then_inputs.get(n) == before
        ]
        found.extend(given or [f"argument:{name}"])
    return found


def _source(record: dict, operator: str | None) -> str | None:
    return ((record.get("source") or {}).get("operators") or {}).get(operator)
