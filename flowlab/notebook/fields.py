"""One registry mapping each flowlab type name to the form field that edits it.

A factory receives a :class:`FieldSpec` (the input's name, its flowlab type and JSON Schema,
its starting value, and the form, to read other inputs) and returns a :class:`Field`: the
input widget, how to read a value from it, how to set one, and what to show around it. A new
type registers its own factory with :func:`register_field`; the form never switches on types.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as w

from flowlab.types import FlowType

#: what a field reads when the user has given nothing
UNSET = object()


@dataclass
class FieldSpec:
    """What a field factory is told about one workflow input."""

    name: str
    flow_type: FlowType
    schema: dict
    value: Any  # the starting value: prefill, else the default, else UNSET
    description: str
    form: Any  # the LaunchForm: ``form.value_of(name)``, ``form.on_change(name, callback)``


@dataclass
class Field:
    """A form field: ``widget`` is the control (``form.fields[name]``), ``view`` what is shown.

    ``read()`` returns the Python value (or UNSET), ``write(value)`` shows one, and
    ``check(value)`` returns an extra message beyond the type's own validation (or None).
    """

    widget: w.DOMWidget
    read: Callable[[], Any]
    write: Callable[[Any], None]
    view: w.Widget | None = None
    check: Callable[[Any], str | None] = field(default=lambda value: None)

    def __post_init__(self):
        if self.view is None:
            self.view = self.widget


_FIELDS: dict[str, Callable[[FieldSpec], Field]] = {}


def register_field(
    type_name: str, factory: Callable[[FieldSpec], Field], *, replace: bool = False
) -> None:
    """Use ``factory`` for every input whose type is ``type_name`` (``x-flowlab-type``).

    A type has one field: a second registration is refused unless ``replace=True``.

    Example::

        register_field("DATE", lambda spec: text_field(spec, placeholder="2026-11-01"))
    """
    if type_name in _FIELDS and not replace:
        held = getattr(_FIELDS[type_name], "__qualname__", repr(_FIELDS[type_name]))
        raise ValueError(
            f"a form field for type {type_name!r} is registered twice: {held} and "
            f"{getattr(factory, '__qualname__', repr(factory))}; pass replace=True to replace it"
        )
    _FIELDS[type_name] = factory


def field_factory(type_name: str) -> Callable[[FieldSpec], Field]:
    """The factory registered for ``type_name``; types without one get a Python-only field."""
    return _FIELDS.get(type_name, python_only_field)


def _layout() -> w.Layout:
    return w.Layout(width="340px")


# -- scalars ---------------------------------------------------------------------------------------
def number_field(spec: FieldSpec) -> Field:
    """INTEGER/DOUBLE: a number box; the type's bounds are shown and checked as the user types."""
    integer = spec.flow_type.name == "INTEGER"
    low, high = spec.schema.get("minimum"), spec.schema.get("maximum")
    bounds = " ≤ ".join(
        part
        for part in (_num(low), "value" if low is not None or high is not None else "", _num(high))
        if part
    )
    if spec.value is UNSET or spec.value is None:
        # nothing to start from: a text box that can be empty (and says it must not be)
        box = w.Text(
            placeholder=bounds or ("integer" if integer else "number"),
            continuous_update=True,
            layout=_layout(),
        )

        def read_text():
            text = box.value.strip()
            if not text:
                return UNSET
            try:
                return int(text) if integer else float(text)
            except ValueError:
                try:
                    return float(text)
                except ValueError:
                    return text  # the type's validation names what was wrong

        return Field(box, read_text, lambda v: setattr(box, "value", "" if v is None else str(v)))
    kind = w.IntText if integer else w.FloatText
    box = kind(value=spec.value, continuous_update=True, layout=w.Layout(width="160px"))
    hint = w.HTML(f'<span style="color:#777">{bounds}</span>' if bounds else "")
    return Field(
        box,
        lambda: box.value,
        lambda v: setattr(box, "value", v),
        view=w.HBox([box, hint]),
    )


def _num(value) -> str:
    return "" if value is None else f"{value:g}"


def bool_field(spec: FieldSpec) -> Field:
    """BOOL: a checkbox."""
    box = w.Checkbox(value=bool(spec.value) if spec.value is not UNSET else False, indent=False)
    return Field(box, lambda: box.value, lambda v: setattr(box, "value", bool(v)))


def text_field(spec: FieldSpec, placeholder: str = "") -> Field:
    """TEXT (and the base of other text-entered types)."""
    start = "" if spec.value in (UNSET, None) else str(spec.value)
    box = w.Text(value=start, placeholder=placeholder, continuous_update=True, layout=_layout())

    def read():
        if not box.value and (spec.flow_type.optional or spec.value is None):
            return UNSET
        return box.value

    return Field(box, read, lambda v: setattr(box, "value", "" if v is None else str(v)))


def enum_field(spec: FieldSpec) -> Field:
    """ENUM: a dropdown of the choices."""
    choices = list(spec.schema.get("enum") or getattr(spec.flow_type, "choices", ()))
    start = getattr(spec.value, "value", spec.value)
    box = w.Dropdown(
        options=[(str(c), c) for c in choices],
        value=start if start in choices else (choices[0] if choices else None),
        layout=_layout(),
    )
    return Field(box, lambda: box.value, lambda v: setattr(box, "value", getattr(v, "value", v)))


def file_field(spec: FieldSpec) -> Field:
    """FILE: a path; the type's validation checks that it exists as the user types."""
    made = text_field(spec, placeholder="path or URI")
    made.widget.placeholder = "path or URI"
    return made


def dict_field(spec: FieldSpec) -> Field:
    """DICT: JSON text."""
    start = "" if spec.value in (UNSET, None) else json.dumps(spec.value)
    box = w.Textarea(
        value=start, placeholder='{"key": "value"}', continuous_update=True, layout=_layout()
    )

    def read():
        if not box.value.strip():
            return UNSET
        try:
            return json.loads(box.value)
        except json.JSONDecodeError as e:
            return _Invalid(f"not JSON: {e.msg} at column {e.colno}")

    return Field(
        box,
        read,
        lambda v: setattr(box, "value", json.dumps(v)),
        check=lambda v: v.message if isinstance(v, _Invalid) else None,
    )


@dataclass
class _Invalid:
    """What a field read that cannot even be given to the type (the message says why)."""

    message: str


# -- lists and features ----------------------------------------------------------------------------
def list_field(spec: FieldSpec) -> Field:
    """LIST: tags (numbers for LIST(INTEGER) / LIST(DOUBLE))."""
    item = (spec.schema.get("items") or {}).get("x-flowlab-type")
    kind = {"INTEGER": w.IntsInput, "DOUBLE": w.FloatsInput}.get(item, w.TagsInput)
    start = [] if spec.value in (UNSET, None) else list(spec.value)
    box = kind(value=start, allow_duplicates=False, layout=_layout())
    if item == "ENUM":
        box.allowed_tags = list((spec.schema.get("items") or {}).get("enum") or [])
    return Field(box, lambda: list(box.value), lambda v: setattr(box, "value", list(v or [])))


def features_field(spec: FieldSpec) -> Field:
    """FEATURES(of="dataset"): a typeahead of the chosen dataset's columns."""
    source = spec.schema.get("x-features-of")
    start = [] if spec.value in (UNSET, None) else list(spec.value)
    box = w.TagsInput(value=start, allow_duplicates=False, layout=_layout())
    hint = w.HTML()

    def columns() -> list[str] | None:
        return spec.form.columns_of(source) if source else None

    def refresh(*_):
        found = columns()
        box.allowed_tags = found or []
        hint.value = (
            f'<span style="color:#777">columns of {source}: {", ".join(found)}</span>'
            if found
            else (f'<span style="color:#777">choose {source} first</span>' if source else "")
        )

    def check(value) -> str | None:
        if not value and not spec.flow_type.optional:
            return f"choose at least one column{f' of {source!r}' if source else ''}"
        found = columns()
        if found is None:
            return None
        unknown = [c for c in value if c not in found]
        if unknown:
            return (
                f"{', '.join(map(repr, unknown))} not in the columns of '{source}' "
                f"({', '.join(found)})"
            )
        return None

    if source:
        spec.form.on_change(source, refresh)
    refresh()
    return Field(
        box,
        lambda: list(box.value),
        lambda v: setattr(box, "value", list(v or [])),
        view=w.VBox([box, hint]),
        check=check,
    )


# -- datasets --------------------------------------------------------------------------------------
def dataset_field(spec: FieldSpec) -> Field:
    """DATASET: the catalog's datasets whose schema fits; the others listed, disabled, with why."""
    from flowlab.store import catalog

    fitting, refused = [], []
    for entry, reason in catalog.matching(spec.flow_type):
        (fitting if reason is None else refused).append((entry, reason))
    options: list[tuple[str, Any]] = [
        (f"{e['name']}  ({e['rows']} rows × {len(e['schema'])} columns)", e["name"])
        for e, _ in fitting
    ]
    given: dict[str, Any] = {}
    start = spec.value
    if start is not UNSET and start is not None:
        if isinstance(start, str) and start in [v for _, v in options]:
            pass
        else:
            key = "(given) " + _describe(start)
            given[key] = start
            options.insert(0, (key, key))
            start = key
    elif options:
        start = options[0][1]
    else:
        start = None
    box = w.Dropdown(options=options, value=start, layout=_layout())
    refused_html = "".join(
        f'<div style="color:#999" title="{_attr(reason)}">✗ <s>{e["name"]}</s> — {_short(reason)}'
        "</div>"
        for e, reason in refused
    )
    note = w.HTML(refused_html)

    def read():
        if box.value is None:
            return UNSET
        return given.get(box.value, box.value)

    def write(value):
        if isinstance(value, str) and value in [v for _, v in box.options]:
            box.value = value
            return
        key = "(given) " + _describe(value)
        given[key] = value
        box.options = [(key, key)] + [o for o in box.options if o[1] != key]
        box.value = key

    box.refused = {e["name"]: reason for e, reason in refused}
    return Field(box, read, write, view=w.VBox([box, note]) if refused else box)


def _describe(value: Any) -> str:
    if hasattr(value, "shape") and hasattr(value, "columns"):
        return f"DataFrame {value.shape[0]} rows × {value.shape[1]} columns"
    if isinstance(value, (str, os.PathLike)):
        return os.fspath(value)
    return type(value).__name__


def _short(text: str, limit: int = 90) -> str:
    import html

    text = html.escape(str(text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _attr(text: str) -> str:
    import html

    return html.escape(str(text), quote=True)


def python_only_field(spec: FieldSpec) -> Field:
    """Types without a widget (MODEL, ARRAY…): the value comes from Python, prefill or default."""
    held = {"value": spec.value}
    label = w.HTML()

    def show():
        value = held["value"]
        label.value = (
            f"<code>{_short(_describe(value))}</code> (given from Python)"
            if value is not UNSET and value is not None
            else f'<span style="color:#777">give it from Python: form(…, {spec.name}=…)</span>'
        )

    def write(value):
        held["value"] = value
        show()

    show()
    return Field(label, lambda: held["value"], write)


for _name, _factory in {
    "INTEGER": number_field,
    "DOUBLE": number_field,
    "BOOL": bool_field,
    "TEXT": text_field,
    "ENUM": enum_field,
    "FILE": file_field,
    "DICT": dict_field,
    "LIST": list_field,
    "FEATURES": features_field,
    "DATASET": dataset_field,
}.items():
    register_field(_name, _factory)
