"""FormModel: a workflow's launch form without any UI toolkit.

The notebook's ipywidgets form, the dashboard's launch page, the CLI's ``--input k=v`` and
REST are views of it: they show ``fields``, pass what the user typed to ``set`` and launch
with ``launch()`` (or ``inputs()``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from flowlab.errors import FlowTypeError
from flowlab.forms.field import (
    FormField,
    bounds_hint,
    dataset_choices,
    parameter_docs,
    text_of,
)
from flowlab.forms.suggest import completions, typing_help
from flowlab.types import INTEGER, TEXT, FlowType

#: launch options a form shows behind "advanced" (when no workflow input has the name)
OPTIONS = ("seed", "parent")


class FormModel:
    """A workflow's launch form: fields from its schema, text → value through the types,
    per-field errors, fields that depend on others, the run's seed and parent.

    Example::

        form = FormModel(iris, labeled_data="iris_labeled")
        form.set("max_depth", "3.7")
        form.errors      # {"max_depth": "input 'max_depth': expected an integer (INTEGER), …"}
        form.set("max_depth", "3")
        form.valid, form.inputs()["max_depth"]   # True, 3
        run = form.launch()
    """

    def __init__(self, workflow, **prefill: Any):
        self.workflow = workflow
        params = {
            name: p
            for name, p in workflow.signature.parameters.items()
            if p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        }
        unknown = [k for k in prefill if k not in params and k not in OPTIONS]
        if unknown:
            raise FlowTypeError(
                f"workflow '{workflow.name}' has no input {', '.join(map(repr, unknown))}; "
                f"its inputs are {', '.join(params) or 'none'}"
            )
        self._observers: list[Callable[[list[str]], None]] = []
        docs = parameter_docs(workflow.description)
        self.fields: dict[str, FormField] = {
            name: self._make_field(name, param, docs.get(name, ""))
            for name, param in params.items()
        }
        self.options: dict[str, FormField] = {
            name: self._make_option(name) for name in OPTIONS if name not in self.fields
        }
        # starting values: what was given, else the type's default, else the signature's
        for name, made in {**self.fields, **self.options}.items():
            made.given = prefill.get(name, made.default)
            if made.given is None and made.kind == "DATASET":
                made.given = made.suggested
        self._refresh([*self.fields, *self.options])

    # -- building -------------------------------------------------------------------------------
    def _make_field(self, name: str, param: inspect.Parameter, doc: str) -> FormField:
        flow_type = self.workflow.input_schema.get(name) or FlowType()
        default = flow_type.default
        if default is None and param.default is not inspect.Parameter.empty:
            default = param.default
        required = (
            not flow_type.optional
            and flow_type.default is None
            and param.default is inspect.Parameter.empty
        )
        made = FormField(
            name,
            flow_type,
            description=flow_type.description or doc,
            required=required,
            default=default,
            hint=bounds_hint(flow_type),
        )
        if flow_type.name == "ENUM":
            made.choices = list(flow_type.choices)
        elif flow_type.name == "DATASET":
            made.choices, made.choice_labels, made.refused, made.suggested = dataset_choices(
                flow_type, name
            )
        if getattr(flow_type, "of", None):
            label = getattr(flow_type, "label", None) or "label"
            made.depends_on = tuple(n for n in (flow_type.of, label) if n in self._params())
        return made

    def _params(self):
        return self.workflow.signature.parameters

    def _make_option(self, name: str) -> FormField:
        if name == "seed":
            from flowlab.core.worker.seeds import default_seed

            own = default_seed(self.workflow.name)
            return FormField(
                "seed",
                INTEGER(min=0, optional=True),
                description="the run's seed; a variant keeps its baseline's",
                advanced=True,
                hint=f"empty: {own}, the workflow's own seed",
            )
        return FormField(
            "parent",
            TEXT(optional=True),
            description="the run this one is a variant of",
            advanced=True,
        )

    # -- what views call ------------------------------------------------------------------------
    def field(self, name: str) -> FormField:
        """The field (an input, or the advanced ``seed``/``parent``) named ``name``."""
        if name in self.fields:
            return self.fields[name]
        if name in self.options:
            return self.options[name]
        raise KeyError(
            f"form of workflow '{self.workflow.name}' has no field {name!r}; its fields are "
            f"{', '.join([*self.fields, *self.options])}"
        )

    def set(self, name: str, text_or_value: Any) -> FormField:
        """Give field ``name`` a value: text (read by the type's ``parse_text``) or a Python
        value (checked by its ``validate``). Empty text is no value: an error when the field
        is required, else its default. Fields that depend on it are checked again."""
        self.field(name).given = text_or_value
        changed = [name, *(n for n, f in self.fields.items() if name in f.depends_on)]
        self._refresh(changed)
        for observer in list(self._observers):
            observer(changed)
        return self.field(name)

    def suggestions(self, name: str, text: str | None = None) -> list[str]:
        """What field ``name`` may become while ``text`` (else its own text) is typed: for a
        FEATURES field, the text with its last item completed to each column it matches (the
        items before it kept); for a COLUMN field, the columns it matches. Fields that offer
        no columns (or before their dataset is chosen) have none.

        Example::

            form.suggestions("features", "sepal_width, pet")
            # ["sepal_width, petal_width", "sepal_width, petal_height"]
        """
        made = self.field(name)
        text = made.text if text is None else text
        if not callable(getattr(made.type, "columns", None)) or not isinstance(text, str):
            return []
        return completions(made.choices, text, many=made.kind in NAMES_LISTS)

    def observe(self, callback: Callable[[list[str]], None]) -> None:
        """Call ``callback(names)`` after ``set`` changed these fields (views redraw them)."""
        self._observers.append(callback)

    @property
    def errors(self) -> dict[str, str]:
        """Field name -> why it is invalid; empty when the form can launch."""
        return {n: f.error for n, f in {**self.fields, **self.options}.items() if f.error}

    @property
    def valid(self) -> bool:
        return not self.errors

    def inputs(self) -> dict[str, Any]:
        """The workflow inputs launch passes (every field holding a value).

        Raises FlowTypeError naming every invalid field.
        """
        if self.errors:
            problems = "; ".join(f"{k}: {v}" for k, v in self.errors.items())
            raise FlowTypeError(
                f"workflow '{self.workflow.name}': the form has invalid inputs ({problems})"
            )
        return {n: f.value for n, f in self.fields.items() if f.value is not None}

    @property
    def seed(self) -> int | None:
        """The run's seed (None: the workflow's own)."""
        made = self.fields.get("seed") or self.options["seed"]
        return made.value

    @property
    def parent(self) -> str | None:
        return self.options["parent"].value if "parent" in self.options else None

    def launch(
        self,
        *,
        seed: int | None = None,
        tags: list[str] | None = None,
        client: Any = None,
        cache: bool = True,
    ):
        """Launch the workflow with the form's inputs, seed (``seed`` given here wins) and
        parent; return the Run. Nothing is launched when a field is invalid (FlowTypeError
        naming each)."""
        from flowlab.core.runs.launch import launch_workflow

        if seed is not None:
            self.set("seed", seed)
        inputs = self.inputs()
        return launch_workflow(
            self.workflow,
            inputs,
            seed=self.seed,
            tags=tags,
            client=client,
            cache=cache,
            parent=self.parent,
        )

    @classmethod
    def for_run(cls, run, **changes: Any) -> FormModel:
        """A form for a variant of ``run``: its inputs and seed, ``parent`` set to it, with
        ``changes``.

        Example::

            FormModel.for_run(baseline, max_depth=6).launch().parent == baseline.id
        """
        from flowlab.core.runs.workflow_catalog import stored_workflow

        # this process's workflow, or its catalog entry's description: filling the form runs
        # no stored code; launching rebuilds it from a signed entry only
        workflow = stored_workflow(run.workflow)
        prefill = {**inputs_of(run), **changes}
        options = {"seed": run.record.get("seed"), "parent": run.id}
        for name, value in options.items():
            if name not in workflow.signature.parameters:
                prefill.setdefault(name, value)
        return cls(workflow, **prefill)

    # -- inside ---------------------------------------------------------------------------------
    def _refresh(self, names: list[str]) -> None:
        """Read what was given to these fields, then run the checks across inputs."""
        for name in names:
            self._assign(self.field(name))
        values = {n: f.value for n, f in self.fields.items() if f.value is not None}
        for name in names:
            if name in self.fields:
                self._check_related(self.fields[name], values)

    def _assign(self, made: FormField) -> None:
        where, given = f"input '{made.name}'", made.given
        made.error, made.incomplete = None, False
        if given is None or (isinstance(given, str) and not given.strip()):
            made.text = given or ""
            made.value = made.default
            if made.required:
                made.error = "required: " + _ASK.get(made.kind, "give a value")
            return
        made.text = given if isinstance(given, str) else text_of(given)
        try:
            if isinstance(given, str):
                made.value = made.type.parse_text(given, where)
            else:
                made.value = made.type.validate(given, where)
        except (TypeError, ValueError) as e:
            made.value, made.error = None, str(e)

    def _check_related(self, made: FormField, values: dict) -> None:
        """Checks across inputs: the type's ``validate_with``, which launch runs too."""
        columns = getattr(made.type, "columns", None)
        if callable(columns):
            made.choices = columns(values)
            made.hint = _features_hint(made, values)
        if made.error is None and made.value is not None:
            try:
                made.value = made.type.validate_with(made.value, values, f"input '{made.name}'")
            except (TypeError, ValueError) as e:
                made.error = str(e)
                if made.kind in NAMES_LISTS and isinstance(made.given, str):
                    # a last name typed in part: say what it matches, not that it is wrong
                    # (still an error: the form does not launch with it)
                    helping = typing_help(made.choices, made.given)
                    if helping:
                        made.error = f"input '{made.name}': {helping}"
                        made.incomplete = True


#: the kinds whose text is a list of column names, ``a, b, c`` (its last one the one typed)
NAMES_LISTS = {"FEATURES"}

_ASK = {
    "DATASET": "choose a dataset",
    "FEATURES": "name at least one column",
    "COLUMN": "name a column",
    "FILE": "give a path or URI",
}


def _features_hint(made: FormField, values: dict) -> str:
    source = made.type.of
    if made.choices is None:
        return f"choose {source} first" if source else ""
    label = made.type.label_in(values)
    note = f" ({label} is the label)" if label else ""
    return f"columns of {source}: {', '.join(made.choices)}{note}"


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
