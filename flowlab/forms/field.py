"""One field of a launch form, and what is shown around it: text of a value, hints, datasets."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

from flowlab.types import FlowType


@dataclass
class FormField:
    """One input of a launch form, independent of any UI toolkit.

    ``value`` is what launch passes (the default when the field is empty, None when it is
    invalid or holds nothing); ``text`` what a view shows in its box; ``error`` why the field
    is invalid (None when it is fine). Views read the rest to draw themselves.
    """

    name: str
    type: FlowType
    description: str = ""
    #: decided once: no default anywhere (type, signature) and not optional
    required: bool = False
    #: what launch uses when the field is empty (None: nothing)
    default: Any = None
    #: shown behind an "advanced" toggle (the run's seed, its parent)
    advanced: bool = False
    value: Any = None
    text: str = ""
    error: str | None = None
    #: the error is a name still being typed (it matches columns): views show it as help,
    #: not as a fault; the field is invalid all the same
    incomplete: bool = False
    #: bounds, the columns a FEATURES field offers, what an empty field means
    hint: str = ""
    #: the values to choose from (ENUM choices, fitting datasets, offered columns) or None
    choices: list | None = None
    #: choice -> how a view labels it (datasets: rows × columns)
    choice_labels: dict = field(default_factory=dict)
    #: DATASET: catalog names that do not fit -> why not
    refused: dict = field(default_factory=dict)
    #: inputs whose change re-checks this one (FEATURES: its dataset, the label)
    depends_on: tuple = ()
    #: DATASET: the fitting dataset the form starts with when none is given
    suggested: Any = None
    #: what was last given (text or a Python value), re-read when a field it depends on changes
    given: Any = None

    @property
    def kind(self) -> str:
        """The type's name (INTEGER, DATASET…): views pick their widget by it."""
        return self.type.name

    @property
    def empty(self) -> bool:
        return not self.text.strip() if isinstance(self.text, str) else self.text is None

    @property
    def placeholder(self) -> str:
        """What an empty box says: the default it stands for, else what to type."""
        if self.default is not None and not self.required:
            return f"{text_of(self.default)} (default)"
        return _PLACEHOLDERS.get(self.kind, "")


_PLACEHOLDERS = {
    "INTEGER": "an integer",
    "DOUBLE": "a number",
    "FILE": "path or URI",
    "LIST": "a, b, c  or  [JSON]",
    "FEATURES": "column names: a, b, c",
    "COLUMN": "a column name",
    "DICT": '{"key": "value"}',
    "TEXT": "text",
}


def text_of(value: Any) -> str:
    """How a value reads as text in a form box (the inverse of the type's ``parse_text``).

    Example::

        text_of(["a", "b"])   # "a, b"
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (list, tuple)) and all(isinstance(v, (str, int, float)) for v in value):
        return ", ".join(text_of(v) for v in value)
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, default=str)
    return describe(value) if _is_object(value) else str(value)


def describe(value: Any) -> str:
    """A short description of a value given from Python (a DataFrame, a model…)."""
    if hasattr(value, "shape") and hasattr(value, "columns"):
        return f"DataFrame {value.shape[0]} rows × {value.shape[1]} columns"
    if isinstance(value, (str, os.PathLike)):
        return os.fspath(value)
    return type(value).__name__


def _is_object(value: Any) -> bool:
    return not isinstance(value, (int, float, str))


def bounds_hint(flow_type: FlowType) -> str:
    """``1 ≤ value ≤ 20`` for bounded numbers, else ''."""
    low, high = getattr(flow_type, "min", None), getattr(flow_type, "max", None)
    if low is None and high is None:
        return ""
    parts = [
        f"{low:g} ≤" if low is not None else "",
        "value",
        f"≤ {high:g}" if high is not None else "",
    ]
    return " ".join(p for p in parts if p)


def dataset_choices(flow_type: FlowType, input_name: str) -> tuple[list, dict, dict, Any]:
    """The catalog's datasets for a DATASET input: (fitting names, their labels, refused
    name -> why, the best default or None). A name registered twice is listed once."""
    from flowlab.store import catalog

    entries: dict[str, tuple[dict, str | None]] = {}
    for entry, reason in catalog.matching(flow_type):
        entries[entry["name"]] = (entry, reason)
    fitting = [(e, n) for n, (e, r) in entries.items() if r is None]
    refused = {n: r for n, (e, r) in entries.items() if r is not None}
    labels = {n: f"{n}  ({e['rows']} rows × {len(e['schema'])} columns)" for e, n in fitting}
    return [n for _, n in fitting], labels, refused, _best_fit(flow_type, input_name, fitting)


def _best_fit(flow_type: FlowType, input_name: str, fitting: list) -> str | None:
    """The fitting dataset a form starts with: the fewest columns beyond the declared ones,
    then the most words shared with the input's name (``unlabeled_data`` picks
    ``iris_unlabeled`` over ``iris_labeled``). Without declared columns, only a name match."""
    declared = getattr(flow_type, "schema", None)
    words = set(re.split(r"[^a-z0-9]+", input_name.lower())) - {"", "data", "dataset"}

    def shared(name: str) -> int:
        return len(words & set(re.split(r"[^a-z0-9]+", name.lower())))

    if declared is None:
        named = [(shared(n), n) for _, n in fitting if shared(n)]
        return max(named)[1] if named else None
    if not fitting:
        return None
    ranked = sorted(fitting, key=lambda en: (len(en[0]["schema"]) - len(declared), -shared(en[1])))
    return ranked[0][1]


_SECTION = re.compile(r"^\s*(Args|Arguments|Parameters|Inputs)\s*:\s*$")
_ENTRY = re.compile(r"^\s*(\w+)\s*(?:\([^)]*\))?\s*:\s*(.+)$")
_SPHINX = re.compile(r"^\s*:param\s+(\w+)\s*:\s*(.+)$")


def parameter_docs(doc: str) -> dict[str, str]:
    """Per-input descriptions from a docstring: ``:param name: text`` lines, or ``name: text``
    lines of an ``Args:`` (``Parameters:``, ``Inputs:``) section.

    Example::

        parameter_docs("Train.\\n\\nArgs:\\n    max_depth: deepest split")  # {"max_depth": ...}
    """
    found, in_section = {}, False
    for line in (doc or "").splitlines():
        if _SECTION.match(line):
            in_section = True
            continue
        if in_section and line.strip() and not line.startswith((" ", "\t")):
            in_section = False
        match = _SPHINX.match(line) or (_ENTRY.match(line) if in_section else None)
        if match:
            found[match.group(1)] = match.group(2).strip()
    return found


def summary_line(doc: str) -> str:
    """The first paragraph of a docstring, on one line."""
    return (doc or "").strip().split("\n\n")[0].replace("\n", " ")
