"""One registry mapping each flowlab type name to the widget that edits its form field.

The logic (text → value, errors, dependent fields, defaults) is in :mod:`flowlab.forms`; a
widget only shows a :class:`flowlab.forms.FormField` and hands what the user typed back to
the model. A factory receives a :class:`FieldSpec` and returns a :class:`Field`: the input
widget, how to read what it holds (text, or a value), how to show a value, and how to
redraw when the model changed the field (a FEATURES field when its dataset changes). A new
type registers its own factory with :func:`register_field`; the form never switches on types.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ipywidgets as w

from flowlab.forms import FormField
from flowlab.forms.field import describe, text_of

#: the width of every field's column, so the ✓/✗ marks beside them line up
FIELD_WIDTH = "360px"
#: the width of a control inside it (its margins fit in the column: nothing clipped)
CONTROL_WIDTH = "340px"


@dataclass
class FieldSpec:
    """What a field factory is told about one workflow input."""

    name: str
    field: FormField  # the model's field: type, text, value, choices, hint
    form: Any  # the LaunchForm (``form.model`` is the FormModel)

    @property
    def flow_type(self):
        return self.field.type

    @property
    def value(self) -> Any:
        return self.field.value


@dataclass
class Field:
    """A form field: ``widget`` is the control (``form.fields[name]``), ``view`` what is shown.

    ``read()`` returns what the control holds (text, or a Python value) for the model,
    ``write(value)`` shows a value, ``refresh(field)`` redraws after the model changed it.
    """

    widget: w.DOMWidget
    read: Callable[[], Any]
    write: Callable[[Any], None]
    view: w.Widget | None = None
    refresh: Callable[[FormField], None] = lambda made: None

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

        register_field("DATE", lambda spec: text_field(spec))
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


def _hint(text: str = "") -> w.HTML:
    hint = w.HTML(_hint_html(text), layout=w.Layout(width=CONTROL_WIDTH))
    hint.add_class("flowlab-hint")
    return hint


def _hint_html(text: str) -> str:
    style = "color:#666;line-height:1.4;display:block"
    return f'<small style="{style}">{html.escape(text)}</small>' if text else ""


# -- text-entered fields: numbers, text, paths, lists, features, JSON ------------------------------
def text_field(spec: FieldSpec, width: str = CONTROL_WIDTH, area: bool = False) -> Field:
    """A text box whose text the model reads with the type's ``parse_text``; a hint below."""
    made = spec.field
    kind = w.Textarea if area else w.Text
    box = kind(
        value=made.text if isinstance(made.text, str) else text_of(made.value),
        placeholder=made.placeholder,
        continuous_update=True,
        layout=w.Layout(width=width),
    )
    if not made.hint and not made.depends_on:
        # nothing to say below the box (fewer widgets: a 20-field form builds faster)
        return Field(box, lambda: box.value, lambda v: setattr(box, "value", text_of(v)))
    hint = _hint(made.hint)

    def refresh(current: FormField):
        hint.value = _hint_html(current.hint)
        box.placeholder = current.placeholder

    return Field(
        box,
        lambda: box.value,
        lambda v: setattr(box, "value", text_of(v)),
        view=w.VBox([box, hint]),
        refresh=refresh,
    )


def column_field(spec: FieldSpec) -> Field:
    """COLUMN: a text box suggesting its dataset's columns as the user types (a combobox);
    a name the dataset lacks is the model's error, naming the columns it has."""
    made = spec.field
    box = w.Combobox(
        value=made.text if isinstance(made.text, str) else text_of(made.value),
        options=[str(c) for c in made.choices or []],
        ensure_option=False,
        placeholder=made.placeholder,
        continuous_update=True,
        layout=w.Layout(width=CONTROL_WIDTH),
    )
    hint = _hint(made.hint)

    def refresh(current: FormField):
        box.options = [str(c) for c in current.choices or []]
        hint.value = _hint_html(current.hint)

    return Field(
        box,
        lambda: box.value,
        lambda v: setattr(box, "value", text_of(v)),
        view=w.VBox([box, hint]),
        refresh=refresh,
    )


def features_field(spec: FieldSpec) -> Field:
    """FEATURES: column names, ``a, b, c``, in a text box suggesting as the user types the
    columns that complete the last name (a combobox whose options keep the names before it:
    the form model's ``suggestions``); a name typed in part is told what it matches."""
    made = spec.field
    box = w.Combobox(
        value=made.text if isinstance(made.text, str) else text_of(made.value),
        options=spec.form.model.suggestions(spec.name),
        ensure_option=False,
        placeholder=made.placeholder,
        continuous_update=True,
        layout=w.Layout(width=CONTROL_WIDTH),
    )
    hint = _hint(made.hint)

    def refresh(current: FormField):
        box.options = spec.form.model.suggestions(spec.name)
        hint.value = _hint_html(current.hint)
        box.placeholder = current.placeholder

    return Field(
        box,
        lambda: box.value,
        lambda v: setattr(box, "value", text_of(v)),
        view=w.VBox([box, hint]),
        refresh=refresh,
    )


def number_field(spec: FieldSpec) -> Field:
    """INTEGER/DOUBLE: one kind of number box for every number (empty, bounded or not); the
    text is read by the type, so "3.7" in an INTEGER field is an error, never 37."""
    return text_field(spec, width="160px")


def dict_field(spec: FieldSpec) -> Field:
    """DICT: JSON text."""
    return text_field(spec, area=True)


def bool_field(spec: FieldSpec) -> Field:
    """BOOL: a checkbox."""
    box = w.Checkbox(value=bool(spec.value), indent=False)
    return Field(box, lambda: box.value, lambda v: setattr(box, "value", bool(v)))


def enum_field(spec: FieldSpec) -> Field:
    """ENUM: a dropdown of the choices."""
    choices = list(spec.field.choices or [])
    box = w.Dropdown(
        options=[(str(c), c) for c in choices],
        value=spec.value if spec.value in choices else None,
        layout=w.Layout(width=CONTROL_WIDTH),
    )
    return Field(box, lambda: box.value, lambda v: setattr(box, "value", getattr(v, "value", v)))


# -- datasets --------------------------------------------------------------------------------------
def dataset_field(spec: FieldSpec) -> Field:
    """DATASET: a dropdown of the catalog's datasets that fit; the others behind one
    "why not these?" toggle, each with its reason."""
    made = spec.field
    options: list[tuple[str, Any]] = [(made.choice_labels.get(n, n), n) for n in made.choices]
    given: dict[str, Any] = {}

    def show(value) -> str | None:
        if value is None:
            return None
        if isinstance(value, str) and value in made.choices:
            return value
        key = "(given) " + describe(value)
        given[key] = value
        if key not in [v for _, v in box.options]:
            box.options = [(key, key), *box.options]
        return key

    box = w.Dropdown(options=options, value=None, layout=w.Layout(width=CONTROL_WIDTH))
    box.value = show(made.value if made.value is not None else made.given)
    box.refused = dict(made.refused)
    parts = [box]
    if made.refused:
        items = "".join(
            f"<li><b>{html.escape(name)}</b>: {html.escape(reason)}</li>"
            for name, reason in made.refused.items()
        )
        others = w.HTML(
            "<details class='flowlab-refused'><summary style='color:#666;cursor:pointer'>"
            f"why not these? ({len(made.refused)} other dataset"
            f"{'s' if len(made.refused) > 1 else ''})</summary>"
            f"<ul style='margin:2px 0;padding-left:18px;color:#666;line-height:1.4'>"
            f"{items}</ul></details>",
            layout=w.Layout(width=CONTROL_WIDTH),
        )
        parts.append(others)

    def write(value):
        box.value = show(value)

    return Field(
        box,
        lambda: given.get(box.value, box.value),
        write,
        view=w.VBox(parts),
    )


def python_only_field(spec: FieldSpec) -> Field:
    """Types without a widget (MODEL, ARRAY…): the value comes from Python, prefill or default."""
    held = {"value": spec.value}
    label = w.HTML(layout=w.Layout(width=CONTROL_WIDTH))

    def show():
        value = held["value"]
        label.value = (
            f"<code>{html.escape(describe(value))}</code> (given from Python)"
            if value is not None
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
    "FILE": text_field,
    "DICT": dict_field,
    "LIST": text_field,
    "FEATURES": features_field,
    "COLUMN": column_field,
    "DATASET": dataset_field,
}.items():
    register_field(_name, _factory)
