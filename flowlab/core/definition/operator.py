"""Operators: the smallest unit of execution, with typed inputs, typed named outputs and resources."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Mapping
from typing import Any

from flowlab.core.definition.channels import check_inputs
from flowlab.core.definition.graph import Node
from flowlab.core.definition.inputs import input_schema_of
from flowlab.core.definition.invoke import invoke, where_input
from flowlab.core.definition.resources import Resources
from flowlab.core.definition.returns import declared_returns, single_output
from flowlab.core.definition.trace import OperatorFuture, current_builder
from flowlab.core.definition.versioning import CodeFacts, code_facts
from flowlab.errors import SchemaError
from flowlab.types import FlowType, Schema


class Operator:
    """A function that flowlab runs on one worker. Made by :func:`operator`."""

    def __init__(
        self,
        fn: Callable,
        *,
        input_schema: Any = None,
        returns: Any = None,
        resources: Resources | None = None,
        retries: int = 0,
        name: str | None = None,
        cache: bool = True,
        description: str | None = None,
        version: str | None = None,
    ):
        self.fn = fn
        self.name = name or fn.__name__
        self.signature = inspect.signature(fn)
        self.input_schema = input_schema_of(
            fn, self.signature, input_schema, f"operator '{self.name}'"
        )
        # returns= wins; else the return annotation (-> float: one output named 'result')
        self._returns = declared_returns(fn, returns, f"operator '{self.name}'")
        self.resources = resources or Resources()
        if not isinstance(self.resources, Resources):
            raise SchemaError(f"operator '{self.name}': resources must be flowlab.Resources(...)")
        if not isinstance(retries, int) or retries < 0:
            raise SchemaError(f"operator '{self.name}': retries must be an integer >= 0")
        self.retries = retries
        self.cache = cache
        self.description = description or inspect.getdoc(fn) or ""
        self.__doc__ = fn.__doc__
        self.__name__ = self.name
        self.__wrapped__ = fn
        self._version: str | None = str(version) if version is not None else None

    @property
    def version(self) -> str:
        """The code version in cache keys: ``version=`` if given, else a hash of the function's
        source and of the project code it references (module-level helpers, classes and
        constants, transitively), so a change to a neighbour in the same file keeps it."""
        return self._version if self._version is not None else self.code.version

    @property
    def code(self) -> CodeFacts:
        """One reading of its code (``versioning.code_facts``), kept: its version, the parts
        that version hashes (how a later run tells which function or constant changed) and
        the installed packages it names."""
        facts = getattr(self, "_code", None)
        if facts is None:
            facts = self._code = code_facts(self.fn)
        return facts

    @property
    def sources(self) -> dict[str, tuple[int, str]]:
        """The source of each function of its code (qualified name -> (first line, text)),
        read where it was defined: a worker's traceback through a notebook cell's function,
        which the worker cannot read, shows its lines from here."""
        return self.code.sources

    @property
    def draws_with_torch(self) -> bool:
        """Whether its code (or project code it calls) names torch, whose global generators
        one process shares: its seeded calls hold ``randomness.TORCH_GLOBAL`` while they run."""
        return "torch" in self.code.packages

    def returns_for(self, arguments: Mapping[str, Any]) -> Schema:
        """The output schema; an operator may compute it from its call's arguments."""
        returns = self._returns
        if callable(returns) and not isinstance(returns, (Schema, FlowType, type)):
            returns = returns(arguments)
        if returns is None:
            return Schema()
        return single_output(returns) or Schema(returns)

    @property
    def returns(self) -> Schema:
        return self.returns_for({})

    def bind(self, args: tuple, kwargs: dict) -> dict[str, Any]:
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"operator '{self.name}': {e}") from None
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        for param in self.signature.parameters.values():
            if param.kind is inspect.Parameter.VAR_KEYWORD:
                arguments.update(arguments.pop(param.name, {}))
        return arguments

    def __call__(self, *args: Any, **kwargs: Any):
        arguments = self.bind(args, kwargs)
        builder = current_builder()
        if builder is None:
            return invoke(self, arguments, node_id=self.name)
        returns = self.returns_for(arguments)
        node_id = builder.unique_id(self.name)
        check_inputs(
            builder.graph.workflow,
            self.input_schema,
            arguments,
            lambda name: where_input(name, node_id),
        )
        node = Node(
            id=node_id,
            operator=self.name,
            inputs={k: builder.encode(v) for k, v in arguments.items()},
            outputs=returns.to_json(),
            resources=self.resources.to_json(),
            retries=self.retries,
            version=self.version,
            input_types={k: t.to_json() for k, t in self.input_schema.items()},
        )
        builder.add_node(node, self)
        return OperatorFuture(node.id, dict(returns.items()))

    def map(self, **inputs: Any):
        """Inside a workflow body: call the operator once per element of every input given a
        list (or an operator's LIST output) where it expects one value, zipping several lists;
        other inputs are passed whole. Its outputs are lists (LIST inputs downstream). The
        elements run as separate tasks on the cluster.

        Example::

            scores = score.map(model=trained.model, fold=split.folds)
            summarise(values=scores.value)
        """
        from flowlab.core.definition.mapping import map_operator

        return map_operator(self, inputs)

    def __reduce_ex__(self, protocol):
        # Operators defined at module level travel to workers by reference (cheap); others,
        # such as those defined in a notebook cell, travel by value.
        module = sys.modules.get(getattr(self.fn, "__module__", None) or "")
        if (
            module is not None
            and module.__name__ != "__main__"
            and not getattr(module, "__flowlab_by_value__", False)
            and getattr(module, self.name, None) is self
        ):
            return (_operator_by_name, (module.__name__, self.name))
        # By value: pickled once per operator, unpickled once per process. The scheduler
        # pickles every task it sends to a worker; re-pickling the function each time was
        # a fifth of its time for a 1000-operator run (benchmarks/overhead.py).
        blob = self.__dict__.get("_by_value")
        if blob is None:
            if self.__dict__.get("_pickling"):  # the operator refers to itself
                return super().__reduce_ex__(protocol)
            import cloudpickle

            self._pickling = True
            try:
                state = {k: v for k, v in self.__dict__.items() if k != "_pickling"}
                blob = cloudpickle.dumps(state, protocol=protocol)
            finally:
                del self._pickling
            self._by_value = blob
        return (_operator_by_value, (blob,))

    def __repr__(self) -> str:
        return f"<operator {self.name}({', '.join(self.signature.parameters)})>"


def send_by_value(module) -> None:
    """Make the operators (and functions) of ``module`` travel to workers by value: for a
    module workers cannot import, such as a file loaded by path (``flowlab submit f.py:wf``)."""
    import cloudpickle

    module.__flowlab_by_value__ = True
    cloudpickle.register_pickle_by_value(module)


_BY_VALUE: dict[bytes, Operator] = {}


def _operator_by_value(blob: bytes) -> Operator:
    import pickle

    found = _BY_VALUE.get(blob)
    if found is None:
        if len(_BY_VALUE) > 256:  # redefined operators (notebook cells) come and go
            _BY_VALUE.clear()
        found = Operator.__new__(Operator)
        found.__dict__.update(pickle.loads(blob))
        found._by_value = blob
        _BY_VALUE[blob] = found
    return found


def _operator_by_name(module: str, name: str) -> Operator:
    import importlib

    return getattr(importlib.import_module(module), name)


def operator(fn: Callable | None = None, **options: Any):
    """Make a function an operator. The options are exactly those of :class:`Operator`.

    ``version`` pins the code version used in cache keys (bump it to invalidate cached
    results); by default it is a hash of the function's source and of the project code it
    references (helpers, classes, constants), not of the rest of its module.

    Example::

        @operator(input_schema=types.Schema(a=types.INTEGER, b=types.INTEGER),
                  returns=types.Schema(total=types.INTEGER),
                  resources=Resources(cpu=1, memory="1GB"), retries=1,
                  description="adds two integers")
        def add(a, b):
            return Output(total=a + b)

    Without ``returns=`` the return annotation declares the outputs: ``-> float`` is one output
    named ``result`` (return the bare value), a NamedTuple or TypedDict names several, and an
    annotation that is no flowlab type (``-> pd.DataFrame``) is refused here::

        @operator
        def half(x: float) -> float:
            return x / 2

        half(x=3.0).result   # 1.5
    """
    check_options("@operator", Operator, options)

    def wrap(f: Callable) -> Operator:
        return Operator(f, **options)

    return wrap(fn) if fn is not None else wrap


def decorator_signature(cls: type) -> inspect.Signature:
    """The signature of a decorator made from ``cls``: its function, then the class's options.

    The options are written once, in ``cls.__init__``; the decorator forwards them and shows
    this signature (``help(operator)``), so the two cannot drift apart.
    """
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]  # drop self
    fn = params[0].replace(default=None, annotation="Callable | None")
    return inspect.Signature([fn, *params[1:]])


def check_options(decorator: str, cls: type, options: dict) -> None:
    """Refuse an option ``cls`` does not take, naming it and the options there are."""
    known = list(decorator_signature(cls).parameters)[1:]
    unknown = [k for k in options if k not in known]
    if unknown:
        raise TypeError(
            f"{decorator} has no option {unknown[0]!r}; its options are {', '.join(known)}"
        )


operator.__signature__ = decorator_signature(Operator)
