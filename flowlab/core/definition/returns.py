"""What an operator or a workflow returned, checked against its declared ``returns``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flowlab.core.definition.output import Output
from flowlab.errors import ReturnsMismatch
from flowlab.types import Schema


def check_returned(owner: str, returned: Mapping, declared: Schema, kind: str) -> None:
    """Raise ReturnsMismatch naming both sides when returned names differ from declared ones."""
    extra = [k for k in returned if k not in declared]
    missing = [k for k in declared if k not in returned and not declared[k].optional]
    if not extra and not missing:
        return
    parts = []
    if extra:
        parts.append(f"returned {_names(extra)}, which its returns schema does not declare")
    if missing:
        parts.append(f"did not return {_names(missing)}, which its returns schema declares")
    raise ReturnsMismatch(
        f"{kind} '{owner}' "
        + " and ".join(parts)
        + f" (declared: {', '.join(declared) or 'nothing'}; returned: "
        f"{', '.join(returned) or 'nothing'}). Make the names match."
    )


def as_output_mapping(result: Any, declared: Schema, owner: str, kind: str) -> Mapping:
    """Accept an Output, a dict, or a bare value when exactly one output is declared."""
    if isinstance(result, Mapping):
        return result
    if len(declared) == 1:
        return Output({next(iter(declared)): result})
    if result is None and not declared:
        return Output()
    raise ReturnsMismatch(
        f"{kind} '{owner}' must return Output(...) or a dict with "
        f"{', '.join(declared)}; it returned {type(result).__name__}"
    )


def _names(names: list[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)
