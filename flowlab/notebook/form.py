"""The launch form in a notebook: an ipywidgets view of a :class:`flowlab.forms.FormModel`.

Example::

    form = iris.form(labeled_data="iris_labeled", max_depth=3)
    form                               # shows it in the notebook
    form.fields["max_depth"].value = "0"
    form.errors                        # {"max_depth": "input 'max_depth': 0 is below the minimum 1"}
    form.fields["max_depth"].value = "5"
    run = form.launch()                # what the Launch button does
"""

from __future__ import annotations

import html
import time
import traceback
from typing import Any

import ipywidgets as w

from flowlab.core.clusters.cluster import on_local_cluster_start
from flowlab.forms import FormModel
from flowlab.forms.field import summary_line
from flowlab.notebook.fields import FIELD_WIDTH, Field, FieldSpec, field_factory
from flowlab.notebook.snapshot import Snapshot, form_html

#: clicks arriving this soon after a launch ended are the rest of a double-click
DOUBLE_CLICK_S = 1.5


class LaunchForm(Snapshot, w.VBox):
    """A workflow's launch form; ``model``, ``fields``, ``errors``, ``launch_button``,
    ``launch()``. Everything but drawing is the model's (:class:`flowlab.forms.FormModel`)."""

    def __init__(
        self, workflow, prefill: dict | None = None, *, model: FormModel | None = None, **kwargs
    ):
        super().__init__(**kwargs)
        self.add_class("flowlab-form")
        self.model = model or FormModel(workflow, **dict(prefill or {}))
        self.workflow = workflow
        self.run = None
        self.view = None
        self._launching = False
        self._launched_at = float("-inf")
        self._fields: dict[str, Field] = {}
        self._messages: dict[str, w.HTML] = {}
        self._syncing: str | None = None
        rows = [self._row(name, made) for name, made in self.model.fields.items()]
        advanced = [self._row(name, made) for name, made in self.model.options.items()]
        self.advanced = w.Accordion(children=[w.VBox(advanced)], selected_index=None)
        self.advanced.set_title(0, self._advanced_title())
        self.advanced.add_class("flowlab-advanced")
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
        self.model.observe(self._model_changed)
        for name in self._fields:
            self._show_message(name)
        self._update_button()
        self.children = [
            title,
            *rows,
            self.advanced,
            w.HBox([self.launch_button, self.status]),
            self.run_area,
        ]

    # -- drawing ----------------------------------------------------------------------------------
    def _row(self, name: str, made) -> w.HBox:
        field = field_factory(made.kind)(FieldSpec(name, made, self))
        self._fields[name] = field
        message = w.HTML()
        message.add_class("flowlab-message")
        self._messages[name] = message
        field.widget.observe(lambda _change, n=name: self._widget_changed(n), names="value")
        label = w.HTML(
            f"<b>{html.escape(name)}</b> <span style='color:#777'>{made.kind}</span>"
            + (" <small style='color:#999'>optional</small>" if made.type.optional else "")
            + (
                "<small style='color:#555;line-height:1.3;display:block'>"
                f"{html.escape(made.description)}</small>"
                if made.description
                else ""
            ),
        )
        # one grid per row: label, field and mark columns line up across rows
        row = w.GridBox(
            [label, field.view, message],
            layout=w.Layout(
                grid_template_columns=f"200px {FIELD_WIDTH} minmax(120px, 1fr)",
                align_items="flex-start",
            ),
        )
        row.add_class(f"flowlab-input-{name}")
        return row

    def _advanced_title(self) -> str:
        seed, parent = self.model.seed, self.model.parent
        shown = [f"seed {seed}" if seed is not None else "seed: the workflow's own"]
        if parent:
            shown.append(f"variant of {parent}")
        return "advanced · " + " · ".join(shown)

    def _show_message(self, name: str) -> None:
        made = self.model.field(name)
        # the row names the input already
        error = html.escape((made.error or "").removeprefix(f"input {name!r}: "))
        if made.error and made.incomplete:  # a name being typed: help, not a fault
            self._messages[name].value = f"<span style='color:#555'>… {error}</span>"
        elif made.error:
            self._messages[name].value = f"<span style='color:#c0392b'>✗ {error}</span>"
        else:
            self._messages[name].value = "<span style='color:#2e7d32'>✓</span>"

    def _update_button(self) -> None:
        errors = self.model.errors
        self.launch_button.disabled = bool(errors) or self._launching
        self.launch_button.tooltip = (
            "fix: " + "; ".join(errors) if errors else "launch the workflow"
        )

    # -- what the user does -----------------------------------------------------------------------
    def _widget_changed(self, name: str) -> None:
        if self._syncing == name:
            return
        self.model.set(name, self._fields[name].read())

    def _model_changed(self, names: list[str]) -> None:
        for name in names:
            self._fields[name].refresh(self.model.field(name))
            self._show_message(name)
        self.advanced.set_title(0, self._advanced_title())
        self._update_button()

    @property
    def fields(self) -> dict[str, w.DOMWidget]:
        """Input name -> its widget (set ``.value`` to change a field; text boxes take text)."""
        return {n: f.widget for n, f in self._fields.items() if n in self.model.fields}

    @property
    def advanced_fields(self) -> dict[str, w.DOMWidget]:
        """The run's seed and parent: name -> widget (behind the "advanced" toggle)."""
        return {n: f.widget for n, f in self._fields.items() if n in self.model.options}

    @property
    def errors(self) -> dict[str, str]:
        return self.model.errors

    def values(self) -> dict[str, Any]:
        """The inputs Launch would pass: every field that holds a value."""
        return {n: f.value for n, f in self.model.fields.items() if f.value is not None}

    def set(self, name: str, value: Any) -> None:
        """Give field ``name`` a value from Python (a DataFrame, a list…); the box shows it."""
        self._syncing = name
        try:
            self._fields[name].write(value)
        finally:
            self._syncing = None
        self.model.set(name, value)

    # -- the static snapshot a saved notebook shows ---------------------------------------------
    def snapshot_html(self) -> str:
        return form_html(self.workflow, self.values(), self.errors, self.view)

    def snapshot_text(self) -> str:
        launched = f", launched run {self.run.id}" if self.run is not None else ""
        return f"launch form of workflow '{self.workflow.name}'{launched}"

    # -- launching --------------------------------------------------------------------------------
    def launch(self, *, seed: int | None = None, tags: list[str] | None = None):
        """Launch the workflow with the form's values, seed (``seed`` given here wins) and
        parent; show and return the Run.

        Raises FlowTypeError naming every invalid field; nothing is launched then.
        """
        from flowlab.notebook.runview import RunView

        if seed is not None:
            self.set("seed", seed)
        run = self.model.launch(tags=tags)
        self.run = run
        self.view = RunView(run)
        self.run_area.children = [self.view]
        self.status.value = f"<span style='color:#555'>launched run {html.escape(run.id)}</span>"
        return run

    def _on_launch(self) -> None:
        # a double-click sends two clicks before the button shows disabled: one run only
        if self._launching or time.monotonic() - self._launched_at < DOUBLE_CLICK_S:
            return
        if self.model.errors:
            return
        self._launching = True
        on_local_cluster_start(self._cluster_stage)
        self.launch_button.disabled = True
        self.launch_button.description, self.launch_button.icon = "Launching…", "spinner spin"
        try:
            self.launch()
        except Exception as exc:  # shown in the form, where the user clicked
            self.status.value = (
                "<pre style='color:#c0392b;white-space:pre-wrap'>"
                + html.escape("".join(traceback.format_exception_only(exc)))
                + "</pre>"
            )
        finally:
            self._launched_at = time.monotonic()
            self._launching = False
            self.launch_button.description, self.launch_button.icon = "Launch", "play"
            self._update_button()

    def _cluster_stage(self, stage: str, _client) -> None:
        # the first launch starts the local cluster (seconds): say so under the button at once
        if self._launching:
            self.status.value = (
                "<span style='color:#555'>⏳ starting the local cluster…</span>"
                if stage == "starting"
                else "<span style='color:#555'>local cluster started; submitting…</span>"
            )

    @classmethod
    def for_run(cls, run, **changes: Any) -> LaunchForm:
        """A form for a variant of ``run``: its inputs and seed, its id as parent, ``changes``.

        Example::

            LaunchForm.for_run(run, max_depth=8)
        """
        model = FormModel.for_run(run, **changes)
        return cls(model.workflow, model=model)
