"""The launch form: one field per workflow input, validated as the user types.

Example::

    form = iris.form(labeled_data="iris_labeled", max_depth=3)
    form                               # shows it in the notebook
    form.fields["max_depth"].value = 0
    form.errors                        # {"max_depth": "input 'max_depth': 0 is below the minimum 1"}
    form.fields["max_depth"].value = 5
    run = form.launch()                # what the Launch button does
"""

from __future__ import annotations

import html
import inspect
import re
import traceback
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from flowlab.errors import FlowTypeError
from flowlab.notebook.fields import UNSET, Field, FieldSpec, _Invalid, field_factory
from flowlab.notebook.snapshot import Snapshot, form_html
from flowlab.types import FlowType


class LaunchForm(Snapshot, w.VBox):
    """A workflow's launch form; ``fields``, ``errors``, ``launch_button`` and ``launch()``."""

    def __init__(self, workflow, prefill: dict | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.add_class("flowlab-form")
        self.workflow = workflow
        prefill = dict(prefill or {})
        params = workflow.signature.parameters
        unknown = [k for k in prefill if k not in params]
        if unknown:
            raise FlowTypeError(
                f"workflow '{workflow.name}' has no input {', '.join(map(repr, unknown))}; "
                f"its inputs are {', '.join(params) or 'none'}"
            )
        self.run = None
        self.view = None
        self.errors: dict[str, str] = {}
        self._fields: dict[str, Field] = {}
        self._types: dict[str, FlowType] = {}
        self._messages: dict[str, w.HTML] = {}
        self._listeners: dict[str, list[Callable]] = {}
        self._dependents: dict[str, set[str]] = {}
        self._building: str | None = None
        docs = parameter_docs(workflow.description)
        rows = []
        for name, param in params.items():
            if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
                continue
            flow_type = workflow.input_schema.get(name) or FlowType()
            schema = flow_type.json_schema()
            if name in prefill:
                value = prefill[name]
            elif flow_type.default is not None:
                value = flow_type.default
            elif param.default is not inspect.Parameter.empty:
                value = param.default
            else:
                value = UNSET
            description = flow_type.description or docs.get(name, "")
            spec = FieldSpec(name, flow_type, schema, value, description, self)
            self._building = name
            made = field_factory(schema.get("x-flowlab-type", flow_type.name))(spec)
            self._building = None
            self._fields[name] = made
            self._types[name] = flow_type
            message = w.HTML(layout=w.Layout(width="auto"))
            message.add_class("flowlab-message")
            self._messages[name] = message
            made.widget.observe(lambda _change, n=name: self._changed(n), names="value")
            label = w.HTML(
                f"<b>{html.escape(name)}</b> <span style='color:#777'>{flow_type.name}</span>"
                + (
                    f"<br><small style='color:#555'>{html.escape(description)}</small>"
                    if description
                    else ""
                ),
                layout=w.Layout(width="200px"),
            )
            row = w.HBox([label, made.view, message])
            row.add_class(f"flowlab-input-{name}")
            rows.append(row)
        self.launch_button = w.Button(description="Launch", button_style="primary", icon="play")
        self.launch_button.add_class("flowlab-launch")
        self.launch_button.on_click(lambda _button: self._on_launch())
        self.status = w.HTML()
        self.status.add_class("flowlab-status")
        self.run_area = w.VBox()
        title = w.HTML(
            f"<h4 style='margin:4px 0'>{html.escape(workflow.name)}</h4>"
            + (
                f"<div style='color:#555'>{html.escape(summary_line(workflow.description))}</div>"
                if workflow.description
                else ""
            )
        )
        for source, callbacks in self._listeners.items():
            for callback in callbacks:
                callback(source)
        for name in self._fields:
            self._validate(name)
        self._update_button()
        self.children = [title, *rows, w.HBox([self.launch_button, self.status]), self.run_area]

    # -- what tests and other widgets read ------------------------------------------------------
    @property
    def fields(self) -> dict[str, w.DOMWidget]:
        """Input name -> its widget (set ``.value`` to change a field)."""
        return {name: made.widget for name, made in self._fields.items()}

    def value_of(self, name: str) -> Any:
        """The value a field holds now (UNSET when none was given)."""
        return self._fields[name].read() if name in self._fields else UNSET

    def values(self) -> dict[str, Any]:
        """The inputs Launch would pass: every field that holds a value."""
        found = {name: made.read() for name, made in self._fields.items()}
        return {k: v for k, v in found.items() if v is not UNSET}

    def columns_of(self, name: str) -> list[str] | None:
        """Column names of the dataset chosen in field ``name`` (None when unknown)."""
        value = self.value_of(name)
        if value is UNSET or value is None:
            return None
        if hasattr(value, "columns"):
            return [str(c) for c in value.columns]
        if isinstance(value, str):
            from flowlab.store import catalog
            from flowlab.types.dataset import column_dtypes

            try:
                return list(catalog.get(value)["schema"])
            except KeyError:
                pass
            try:
                return [str(c) for c in column_dtypes(value, f"input '{name}'") or {}]
            except Exception:
                return None
        return None

    def on_change(self, name: str, callback: Callable[[str], None]) -> None:
        """Call ``callback(name)`` when field ``name`` changes (FEATURES follows its dataset)."""
        self._listeners.setdefault(name, []).append(callback)
        if self._building:
            self._dependents.setdefault(name, set()).add(self._building)

    # -- validation --------------------------------------------------------------------------------
    def _changed(self, name: str) -> None:
        self._validate(name)
        for callback in self._listeners.get(name, []):
            callback(name)
        for dependent in self._dependents.get(name, ()):
            self._validate(dependent)
        self._update_button()

    def _validate(self, name: str) -> None:
        made, flow_type = self._fields[name], self._types[name]
        message = None
        value = made.read()
        if isinstance(value, _Invalid):
            message = value.message
        elif value is UNSET:
            if not flow_type.optional and self._required(name):
                message = "required: give a value"
        elif value is not None:
            try:
                value = flow_type.validate(value, f"input '{name}'")
                message = made.check(value)
            except (TypeError, ValueError) as e:
                message = str(e)
        if message:
            self.errors[name] = message
            self._messages[
                name
            ].value = f"<span style='color:#c0392b'>✗ {html.escape(message)}</span>"
        else:
            self.errors.pop(name, None)
            self._messages[name].value = "<span style='color:#2e7d32'>✓</span>"

    def _required(self, name: str) -> bool:
        return self.workflow.signature.parameters[name].default is inspect.Parameter.empty

    def _update_button(self) -> None:
        self.launch_button.disabled = bool(self.errors)
        self.launch_button.tooltip = (
            "fix: " + "; ".join(self.errors) if self.errors else "launch the workflow"
        )

    # -- the static snapshot a saved notebook shows ---------------------------------------------
    def snapshot_html(self) -> str:
        return form_html(self.workflow, self.values(), self.errors, self.view)

    def snapshot_text(self) -> str:
        launched = f", launched run {self.run.id}" if self.run is not None else ""
        return f"launch form of workflow '{self.workflow.name}'{launched}"

    # -- launching ---------------------------------------------------------------------------------
    def launch(self, *, seed: int | None = None, tags: list[str] | None = None):
        """Launch the workflow with the form's values; show and return the Run.

        Raises FlowTypeError naming every invalid field; nothing is launched then.
        """
        if self.errors:
            problems = "; ".join(f"{k}: {v}" for k, v in self.errors.items())
            raise FlowTypeError(
                f"workflow '{self.workflow.name}': the form has invalid inputs, nothing was "
                f"launched ({problems})"
            )
        from flowlab.notebook.runview import RunView

        run = self.workflow.launch(seed=seed, tags=tags, **self.values())
        self.run = run
        self.view = RunView(run)
        self.run_area.children = [self.view]
        self.status.value = f"<span style='color:#555'>launched run {html.escape(run.id)}</span>"
        return run

    def _on_launch(self) -> None:
        if self.launch_button.disabled:
            return
        try:
            self.launch()
        except Exception as exc:  # shown in the form, where the user clicked
            self.status.value = (
                "<pre style='color:#c0392b;white-space:pre-wrap'>"
                + html.escape("".join(traceback.format_exception_only(exc)))
                + "</pre>"
            )

    @classmethod
    def for_run(cls, run, **changes: Any) -> LaunchForm:
        """A form pre-filled with an earlier run's inputs (a new variant), with ``changes``.

        Example::

            LaunchForm.for_run(run, max_depth=8)
        """
        from flowlab.core.workflow import registered_workflows

        workflows = registered_workflows()
        if run.workflow not in workflows:
            raise KeyError(
                f"run {run.id} is of workflow '{run.workflow}', which is not defined in this "
                "kernel; define it (run its cell) first"
            )
        return cls(workflows[run.workflow], {**inputs_of(run), **changes})


def inputs_of(run) -> dict[str, Any]:
    """An earlier run's inputs as values a form (or launch) accepts."""
    from flowlab.store import get_artifacts
    from flowlab.store.values import load_value

    found = {}
    for name, stored in (run.record.get("inputs") or {}).items():
        if isinstance(stored, dict) and "$uri" in stored:
            found[name] = stored.get("catalog") or stored["$uri"]
        elif isinstance(stored, dict) and "$artifact" in stored:
            found[name] = load_value(stored, get_artifacts())
        else:
            found[name] = stored
    return found


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
    return (doc or "").strip().split("\n\n")[0].replace("\n", " ")
