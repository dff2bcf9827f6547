"""Workflows: Python functions whose body is compiled once, with futures, into a Graph."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from flowlab.core.definition.channels import check_inputs
from flowlab.core.definition.graph import Graph
from flowlab.core.definition.inputs import input_schema_of
from flowlab.core.definition.operator import check_options, decorator_signature
from flowlab.core.definition.returns import (
    as_output_mapping,
    check_returned,
    declared_returns,
    single_output,
)
from flowlab.core.definition.trace import GraphBuilder, InputRef, WorkflowFuture, current_builder
from flowlab.core.definition.versioning import hash_text, source_of
from flowlab.errors import FlowTypeError, SchemaError
from flowlab.types import Schema

_WORKFLOWS: dict[str, Workflow] = {}


class Workflow:
    """A typed pipeline of operators. Made by :func:`workflow`."""

    def __init__(
        self,
        fn: Callable,
        *,
        input_schema: Any = None,
        returns: Any = None,
        name: str | None = None,
        description: str | None = None,
    ):
        self.fn = fn
        self.name = name or fn.__name__
        self.signature = inspect.signature(fn)
        _refuse_option_names(self.name, self.signature)
        self.input_schema = input_schema_of(
            fn, self.signature, input_schema, f"workflow '{self.name}'"
        )
        # returns= wins; else the return annotation (-> float: one output named 'result')
        returns = declared_returns(fn, returns, f"workflow '{self.name}'")
        self.returns = (single_output(returns) or Schema(returns)) if returns is not None else None
        self.description = description or inspect.getdoc(fn) or ""
        self.__doc__ = fn.__doc__
        self.__name__ = self.name
        self.__wrapped__ = fn
        _WORKFLOWS[self.name] = self

    # -- inputs -----------------------------------------------------------------------------------
    def validate_inputs(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Check names and types of the inputs; fill defaults. Raises TypeError naming the input."""
        known = set(self.signature.parameters)
        unknown = [k for k in inputs if k not in known]
        if unknown:
            raise FlowTypeError(
                f"workflow '{self.name}' has no input "
                f"{', '.join(map(repr, unknown))}; its inputs are "
                f"{', '.join(known) or 'none'}"
            )
        values: dict[str, Any] = {}
        for name, param in self.signature.parameters.items():
            flow_type = self.input_schema.get(name)
            if name in inputs:
                value = inputs[name]
            elif param.default is not inspect.Parameter.empty:
                value = param.default
            else:
                kind = f" ({flow_type.name})" if flow_type else ""
                raise FlowTypeError(f"workflow '{self.name}' needs input '{name}'{kind}")
            if flow_type is not None and value is not None:
                value = flow_type.validate(value, f"input '{name}' of workflow '{self.name}'")
            values[name] = value
        # checks across inputs (FEATURES are columns of their dataset): launch, forms, CLI
        for name, flow_type in self.input_schema.items():
            if values.get(name) is not None:
                where = f"input '{name}' of workflow '{self.name}'"
                values[name] = flow_type.validate_with(values[name], values, where)
        return values

    # -- compile ----------------------------------------------------------------------------------
    def compile(self, **inputs: Any) -> Graph:
        """Validate the inputs and build the Graph; runs no operator.

        The body runs once with futures. Every channel is checked on the way
        (:mod:`flowlab.core.definition.channels`): a mistyped wire or literal raises
        :class:`~flowlab.errors.ChannelTypeError`, a question about a future's value (``if``,
        ``<``, ``len``, iteration) raises :class:`~flowlab.errors.CompileError`.

        Example::

            graph = iris.compile(labeled_data=df, unlabeled_data=new)
            graph.to_json()
        """
        values = self.validate_inputs(inputs)
        graph = Graph(
            workflow=self.name,
            version="",
            inputs={},
            input_types={k: t.to_json() for k, t in self.input_schema.items()},
            returns=self.returns.to_json() if self.returns is not None else {},
        )
        graph.input_values = values
        args = {}
        for name, value in values.items():
            flow_type = self.input_schema.get(name)
            # an optional input left out is None in the body, so `if x is None:` can decide
            if flow_type is not None and flow_type.by_reference and value is not None:
                args[name] = InputRef(name, flow_type)
                graph.inputs[name] = {"$input": name}
            else:
                args[name] = value
        with GraphBuilder(graph) as builder:
            graph.inputs.update(
                {k: builder.encode(v) for k, v in args.items() if k not in graph.inputs}
            )
            result = self.fn(**args)
            returned = self._returned(result)
            self._check_outputs(returned)
            graph.outputs = {k: builder.encode(v) for k, v in returned.items()}
        graph.version = self.version_for(graph)
        return graph

    def _returned(self, result: Any) -> Mapping:
        if self.returns is None:
            if result is None:
                return {}
            return as_output_mapping(result, Schema(output=object_type()), self.name, "workflow")
        mapping = as_output_mapping(result, self.returns, self.name, "workflow")
        check_returned(self.name, mapping, self.returns, "workflow")
        return mapping

    def _check_outputs(self, returned: Mapping) -> None:
        """Each returned value must fit the declared output it is returned as."""
        builder = current_builder()
        if self.returns is not None and builder is not None:
            check_inputs(
                builder.graph.workflow,
                self.returns,
                returned,
                lambda name: f"output '{name}' of workflow '{self.name}'",
            )

    def version_for(self, graph: Graph) -> str:
        """Hash of the workflow's code and the code of every operator it calls."""
        operator_versions = sorted({f"{n.operator}:{n.version}" for n in graph.nodes.values()})
        return hash_text(source_of(self.fn), *operator_versions)

    # -- run --------------------------------------------------------------------------------------
    def launch(
        self,
        *,
        seed: int | None = None,
        tags: list[str] | None = None,
        client: Any = None,
        cache: bool = True,
        **inputs: Any,
    ):
        """Validate inputs, compile, submit to the cluster and return the Run at once.

        The workflow's inputs are passed as keywords; ``seed``, ``tags``, ``client`` and
        ``cache`` are the launch's own options, keyword-only. No workflow input may be named
        like an option (``@workflow`` refuses it when the workflow is defined), so an option
        is never taken for an input nor an input for an option.

        ``seed`` fixes the run's seed (each operator gets one derived from it, read with
        ``flowlab.current_seed()``); without one, the seed is derived from the workflow and
        its inputs, so a re-run reproduces. ``cache=False`` runs every operator even when a
        stored result matches its code and inputs.

        Example::

            run = iris.launch(labeled_data=df, unlabeled_data=new)
            run.result().logloss
        """
        from flowlab.core.runs.launch import launch_workflow

        return launch_workflow(self, inputs, seed=seed, tags=tags, client=client, cache=cache)

    def register(self, store=None) -> dict:
        """Record this workflow in the catalog, so the dashboard, the Jupyter server and the
        CLI can launch it from another process (a launch records it too). Returns the entry.

        Example::

            iris.register()["target"]   # 'mypkg.flows:iris' (None: captured from a notebook)
        """
        from flowlab.core.runs.workflow_catalog import record_workflow

        return record_workflow(self, store)

    def source(self) -> str:
        """The workflow's code and the code of the operators it calls (for lineage)."""
        return source_of(self.fn)

    def form(self, **prefill: Any):
        """The launch form (ipywidgets) generated from the input schema.

        The form is built by the view a UI layer registered with :func:`register_form_view`
        (``flowlab.notebook``, imported with ``flowlab``, registers its ``LaunchForm``).

        Example::

            form = iris.form(max_depth=3)
            form.errors, form.launch_button.disabled
            run = form.launch()
        """
        if _FORM_VIEW is None:
            raise RuntimeError(
                f"workflow '{self.name}': no launch form view is registered; "
                "import flowlab.notebook (it registers the ipywidgets form)"
            )
        return _FORM_VIEW(self, prefill)

    def __call__(self, *args: Any, **kwargs: Any):
        builder = current_builder()
        if builder is None:
            bound = self.signature.bind_partial(*args, **kwargs)
            return self.launch(**bound.arguments)
        return self._inline(builder, args, kwargs)

    def _inline(self, builder: GraphBuilder, args: tuple, kwargs: dict) -> WorkflowFuture:
        """A workflow called inside another: its operators join the outer graph."""
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"workflow '{self.name}': {e}") from None
        bound.apply_defaults()
        check_inputs(
            builder.graph.workflow,
            self.input_schema,
            bound.arguments,
            lambda name: f"input '{name}' of workflow '{self.name}'",
        )
        builder.prefix.append(self.name)
        try:
            returned = self._returned(self.fn(**bound.arguments))
            self._check_outputs(returned)
        finally:
            builder.prefix.pop()
        types = (
            dict(self.returns.items()) if self.returns is not None else {k: None for k in returned}
        )
        return WorkflowFuture("/".join([*builder.prefix, self.name]), returned, types)

    def __repr__(self) -> str:
        return f"<workflow {self.name}({', '.join(self.signature.parameters)})>"


def workflow(fn: Callable | None = None, **options: Any):
    """Make a function a workflow. The options are exactly those of :class:`Workflow`.

    The function's parameters are the workflow's inputs; none may be named like an option of
    ``launch`` (``seed``, ``tags``, ``client``, ``cache``): that is refused here.

    Example::

        @workflow(input_schema=types.Schema(x=types.INTEGER),
                  returns=types.Schema(total=types.INTEGER))
        def double(x):
            return Output(total=add(a=x, b=x).total)

        double.launch(x=2).result().total  # 4

    Without ``returns=`` the return annotation declares the outputs, as for ``@operator``
    (``-> int``: one output named ``result``; a NamedTuple or TypedDict: several)::

        @workflow
        def doubled(x: int) -> int:
            return add(a=x, b=x).total
    """
    check_options("@workflow", Workflow, options)

    def wrap(f: Callable) -> Workflow:
        return Workflow(f, **options)

    return wrap(fn) if fn is not None else wrap


workflow.__signature__ = decorator_signature(Workflow)


_FORM_VIEW: Callable[[Workflow, dict], Any] | None = None


def register_form_view(view: Callable[[Workflow, dict], Any]) -> None:
    """Say what ``Workflow.form(**prefill)`` builds: ``view(workflow, prefill)``.

    The core imports no UI toolkit; the notebook layer registers its ipywidgets form here.
    Registering the same view again is harmless; a different one replaces it only if the
    earlier one came from the same module (a reload), else it is refused, naming both.

    Example::

        register_form_view(lambda workflow, prefill: LaunchForm(workflow, prefill))
    """
    global _FORM_VIEW
    previous = _FORM_VIEW
    if previous is not None and previous is not view and previous.__module__ != view.__module__:
        raise ValueError(
            f"a launch form view is already registered ({previous.__module__}."
            f"{previous.__qualname__}); {view.__module__}.{view.__qualname__} cannot replace it"
        )
    _FORM_VIEW = view


#: Methods of Workflow that take the workflow's inputs as keywords next to options of their own;
#: an input may not be named like one of those options. (Sweeps add ``sweep`` and ``optimize``.)
INPUT_TAKING_METHODS: tuple[str, ...] = ("launch",)


def launch_options() -> dict[str, str]:
    """The option names no workflow input may take, each with the method it belongs to.

    Example::

        launch_options()   # {'seed': 'launch', 'tags': 'launch', 'client': 'launch', ...}
    """
    options: dict[str, str] = {}
    for method in INPUT_TAKING_METHODS:
        for param in inspect.signature(getattr(Workflow, method)).parameters.values():
            if param.kind is inspect.Parameter.KEYWORD_ONLY:
                options.setdefault(param.name, method)
    return options


_RENAMES = {"seed": "random_seed", "cache": "use_cache", "tags": "labels"}


def _refuse_option_names(workflow: str, signature: inspect.Signature) -> None:
    options = launch_options()
    clashes = [name for name in signature.parameters if name in options]
    if clashes:
        name = clashes[0]
        hint = (
            " (operators read the run's seed with flowlab.current_seed())" if name == "seed" else ""
        )
        raise SchemaError(
            f"workflow '{workflow}': input '{name}' has the name of an option of "
            f"Workflow.{options[name]}(); the options ({', '.join(sorted(options))}) are "
            f"passed beside the inputs as keywords, so the two could not be told apart. "
            f"Rename the input, e.g. '{_RENAMES.get(name, name + '_value')}'{hint}."
        )


def registered_workflows() -> dict[str, Workflow]:
    """Workflows defined in this process, by name (the forms and CLI list them)."""
    return dict(_WORKFLOWS)


def object_type():
    from flowlab.types.base import FlowType

    return FlowType()
