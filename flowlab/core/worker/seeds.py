"""The seeds of a run's operators: one per run, one per operator derived from it.

Example::

    seed = default_seed("iris")          # a run launched without seed=
    operator_seed(seed, "train")         # what flowlab.current_seed() reads in 'train'
"""

from __future__ import annotations

import hashlib


def default_seed(workflow: str) -> int:
    """The seed of a run launched without one: fixed per workflow, so runs reproduce by
    default and a changed input leaves the seeds, and so the cache keys, of the operators
    that do not depend on it unchanged. Pass ``seed=`` to launch for another draw."""
    return int.from_bytes(hashlib.sha256(workflow.encode()).digest()[:4], "big") & 0x7FFFFFFF


def operator_seed(run_seed: int, node_id: str) -> int:
    """A seed for one operator, derived from the run's seed and the operator's place."""
    digest = hashlib.sha256(f"{run_seed}:{node_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF
