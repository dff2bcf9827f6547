"""Code versions: a short hash of a function's source, stable across processes."""

from __future__ import annotations

import contextvars
import dis
import hashlib
import inspect
import logging
import textwrap
import threading
import warnings
import weakref
from typing import NamedTuple

from flowlab.core.definition.canonical import NoStableForm, canonical_text, qualified


def _source_text(fn) -> str | None:
    """A function's source, or None when it has none to read (built here, say)."""
    if not inspect.isfunction(fn):
        return None
    try:
        return textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):
        return None


def source_of(fn) -> str:
    """The function's source (works for notebook cells too), or its bytecode as a fallback
    (written canonically: a set among its constants in the same order in every process).

    Example::

        source_of(add)   # 'def add(a, b):\n    return a + b\n'
    """
    try:
        return textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):
        code = getattr(fn, "__code__", None)
        if code is not None:
            return canonical_text(code)
        # a callable object (never its repr, which holds its address): its class's source
        return _class_source(type(fn))


def hash_text(*parts: str, length: int = 12) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:length]


def module_source(fn) -> str:
    """The source of the module defining ``fn`` ("" for notebook cells and builtins)."""
    import sys

    module = sys.modules.get(getattr(fn, "__module__", None) or "")
    if module is None or module.__name__ == "__main__":
        return ""
    try:
        return inspect.getsource(module)
    except (OSError, TypeError):
        return ""


class UnversionedValueWarning(UserWarning):
    """A value an operator reads has no canonical form: it is left out of the operator's
    version (named once per process)."""


def code_version(fn) -> str:
    """A hash of ``fn``'s source and of the project code it references, transitively.

    Followed: module-level functions and classes ``fn`` names (directly, through a project
    module's attribute, or in a closure) when they are defined in this project (not in the
    standard library or an installed package), and the values it reads, written canonically
    (``flowlab.core.definition.canonical``: numbers, text, bytes, enum members, and tuples,
    lists, dataclasses, sets and dicts of them, sets and dicts in a fixed order), so the
    version is the same in every process. A value with no canonical form (an object whose
    repr holds its address, a type unknown here) is left out, named once in an
    :class:`UnversionedValueWarning`; loggers, locks and context variables, which hold
    state and no configuration, are left out silently. So editing one operator in a module
    leaves the versions, and the cached results, of the others in that module as they were.

    Example::

        code_version(train) != code_version(evaluate)   # even when they share a file
    """
    return code_facts(fn).version


class CodeFacts(NamedTuple):
    """What one reading of a function's code gives: its version, the parts hashed (name ->
    short hash) and the installed packages it names."""

    version: str
    parts: dict[str, str]
    packages: frozenset[str]
    #: each function's qualified name -> (its first line, its source): a traceback through
    #: code pickled by value (a notebook cell's) shows its lines from here
    sources: dict[str, tuple[int, str]] = {}


def code_facts(fn) -> CodeFacts:
    """:func:`code_version`, :func:`code_parts` and :func:`packages_used` of ``fn`` at once.

    Example::

        code_facts(train).packages   # frozenset({"numpy", "torch"})
    """
    walk = _Walk()
    _collect(getattr(fn, "__wrapped__", fn), walk, depth=0)
    labelled = walk.labelled()
    # by qualified name within its module, so moving code to another module keeps its version
    version = hash_text(*sorted(f"{label}\n{text}" for label, text in labelled))
    texts: dict[str, list[str]] = {}
    for label, text in labelled:
        texts.setdefault(_shown(label), []).append(text)
    parts = {label: hash_text(*sorted(found)) for label, found in sorted(texts.items())}
    return CodeFacts(version, parts, frozenset(walk.packages), dict(walk.sources))


def code_parts(fn) -> dict[str, str]:
    """What :func:`code_version` hashes, part by part: the name of ``fn`` and of each project
    function, class and constant it references (a value it closes over by its variable's
    name) -> a short hash of its text. Two of these tell which of them changed.

    Example::

        code_parts(train)   # {"train": "9c1…", "clean": "41a…", "FEATURES": "e07…"}
    """
    return code_facts(fn).parts


def packages_used(fn) -> frozenset[str]:
    """The installed packages (top-level names) whose modules, functions or classes ``fn``
    or the project code it references names or imports: what its calls may draw from.

    Example::

        packages_used(train_mlp)   # frozenset({"torch", "numpy"})
    """
    return code_facts(fn).packages


def _shown(label: str) -> str:
    """A part's name as a person knows it: ``make.<locals>.scale`` -> ``scale``, a value
    closed over -> its variable's name."""
    if label.endswith(">") and "<closure " in label:
        return label.rsplit("<closure ", 1)[1][:-1]
    return label.rsplit("<locals>.", 1)[-1]


class _Walk:
    """The project code and values reached from one function, and the packages it names."""

    def __init__(self):
        self.parts: dict[str, str] = {}
        self.packages: set[str] = set()
        self.sources: dict[str, tuple[int, str]] = {}

    def labelled(self) -> list[tuple[str, str]]:
        """(qualified name within its module, text) of each part."""
        return [(name.rsplit(":", 1)[-1], text) for name, text in self.parts.items()]

    def name_imports(self, code) -> None:
        """The packages a function imports in its body (``import torch`` inside it)."""
        for instruction in dis.get_instructions(code):
            if instruction.opname == "IMPORT_NAME" and isinstance(instruction.argval, str):
                self.packages.add(instruction.argval.split(".")[0])

    def name_package(self, value) -> None:
        module = value.__name__ if inspect.ismodule(value) else getattr(value, "__module__", None)
        if isinstance(module, str) and module:
            self.packages.add(module.split(".")[0])


def _collect(obj, walk: _Walk, depth: int) -> None:
    parts = walk.parts
    name = f"{getattr(obj, '__module__', '?')}:{getattr(obj, '__qualname__', repr(obj))}"
    if name in parts or depth > 50:
        return
    source = _source_text(obj)
    if isinstance(obj, type):
        parts[name] = _class_source(obj)
    else:
        parts[name] = source if source is not None else source_of(obj)
    if source is not None and hasattr(obj, "__code__"):
        walk.sources[obj.__qualname__] = (obj.__code__.co_firstlineno, source)
    for code, namespace in _code_objects(obj):
        walk.name_imports(code)
        for ref in _names(code):
            _follow(namespace, ref, code, walk, depth)
    code = getattr(obj, "__code__", None)
    free = code.co_freevars if code is not None else ()
    for index, cell in enumerate(getattr(obj, "__closure__", None) or ()):
        variable = free[index] if index < len(free) else str(index)
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        _follow_value(f"{name}<closure {variable}>", value, walk, depth)


def _follow(namespace: dict, ref: str, code, walk: _Walk, depth: int) -> None:
    if ref not in namespace:
        return
    value = namespace[ref]
    if inspect.ismodule(value):
        # `helpers.clean(x)`: the attributes this code reads of a project module
        if _in_project(value):
            for attribute in _names(code):
                if attribute != ref and hasattr(value, attribute):
                    _follow_value(
                        f"{value.__name__}:{attribute}", getattr(value, attribute), walk, depth
                    )
        else:
            walk.name_package(value)
        return
    _follow_value(f"{namespace.get('__name__', '?')}:{ref}", value, walk, depth)


def _follow_value(label: str, value, walk: _Walk, depth: int) -> None:
    target = getattr(value, "fn", None) if _is_operator(value) else value
    if inspect.isfunction(target) or inspect.isclass(target):
        module = inspect.getmodule(target)
        if module is not None and _in_project(module):
            _collect(target, walk, depth + 1)
        else:
            walk.name_package(target)
        return
    if inspect.ismodule(value) or inspect.isroutine(value):
        walk.name_package(value)  # code of an installed package
        return
    if isinstance(value, _STATE):
        return  # state that configures nothing

    def follow_code(code) -> None:  # a project function kept in a dict or a list
        _follow_value(f"{label}<{qualified(code)}>", code, walk, depth)

    try:
        text = canonical_text(value, follow_code)
    except NoStableForm as reason:
        _warn_unversioned(label, reason)
        return
    if len(text) > 10_000:
        text = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    walk.parts[label] = text


#: module-level state an operator may read (a logger, a lock) that is no part of its version
_STATE = (
    logging.Logger,
    logging.LoggerAdapter,
    type(threading.Lock()),
    type(threading.RLock()),
    threading.Event,
    threading.Condition,
    threading.Semaphore,
    threading.local,
    contextvars.ContextVar,
    weakref.WeakValueDictionary,
    weakref.WeakKeyDictionary,
    weakref.WeakSet,
)

_warned: set[str] = set()
_warned_lock = threading.Lock()


def _warn_unversioned(label: str, reason: Exception) -> None:
    with _warned_lock:
        if label in _warned:
            return
        _warned.add(label)
    name = label.replace(":", ".", 1)
    warnings.warn(
        f"'{name}' is left out of the code version of the operators that read it: {reason}, "
        "so its text is not the same in every process. Changing it will not change their "
        "version (nor miss their cache). Make it a value (numbers, text, an Enum, a dataclass, "
        "or tuples, lists, sets and dicts of them), pass it as an input, or give the operator "
        "version=...",
        UnversionedValueWarning,
        stacklevel=2,
    )


def _code_objects(obj):
    """(code, globals) pairs: a function's code, a class's methods' code, nested code too."""
    functions = []
    if inspect.isclass(obj):
        for member in vars(obj).values():
            member = getattr(member, "__func__", member)  # static and class methods
            if isinstance(member, property):
                member = member.fget
            # not the functions a base outside the project puts there (Enum's, say)
            if inspect.isfunction(member) and _in_project(inspect.getmodule(member)):
                functions.append(member)
    elif inspect.isfunction(obj):
        functions.append(obj)
    for function in functions:
        stack = [function.__code__]
        while stack:
            code = stack.pop()
            yield code, function.__globals__
            stack.extend(c for c in code.co_consts if inspect.iscode(c))


def _names(code) -> tuple[str, ...]:
    return code.co_names


def _class_source(cls) -> str:
    try:
        return textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return repr(sorted(vars(cls)))


def _is_operator(value) -> bool:
    return type(value).__name__ == "Operator" and callable(getattr(value, "fn", None))


def _in_project(module) -> bool:
    """Code of this project: not the standard library, not an installed package."""
    import sys
    import sysconfig
    from pathlib import Path

    name = getattr(module, "__name__", "") or ""
    if name == "__main__":
        return True  # a notebook or a script
    if name.split(".")[0] in sys.stdlib_module_names or name in sys.builtin_module_names:
        return False
    path = getattr(module, "__file__", None)
    if not path:
        return False
    if any(part in ("site-packages", "dist-packages") for part in Path(path).parts):
        return False  # an installed package (an editable install of the project is not)
    stdlib = sysconfig.get_paths()["stdlib"]
    return not path.startswith(stdlib)
