"""Code versions: a short hash of a function's source, stable across processes."""

from __future__ import annotations

import hashlib
import inspect
import textwrap


def source_of(fn) -> str:
    """The function's source (works for notebook cells too), or its bytecode as a fallback."""
    try:
        return textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):
        code = getattr(fn, "__code__", None)
        return repr(code.co_code + repr(code.co_consts).encode()) if code else repr(fn)


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


_CONSTANTS = (int, float, complex, str, bytes, bool, type(None))


def code_version(fn) -> str:
    """A hash of ``fn``'s source and of the project code it references, transitively.

    Followed: module-level functions and classes ``fn`` names (directly, through a project
    module's attribute, or in a closure) when they are defined in this project (not in the
    standard library or an installed package), and module-level constants (numbers, text,
    and tuples, lists, sets and dicts of them). So editing one operator in a module leaves
    the versions, and the cached results, of the others in that module as they were.

    Example::

        code_version(train) != code_version(evaluate)   # even when they share a file
    """
    parts: dict[str, str] = {}
    _collect(getattr(fn, "__wrapped__", fn), parts, depth=0)
    # by qualified name within its module, so moving code to another module keeps its version
    labelled = sorted(f"{name.rsplit(':', 1)[-1]}\n{text}" for name, text in parts.items())
    return hash_text(*labelled)


def _collect(obj, parts: dict[str, str], depth: int) -> None:
    name = f"{getattr(obj, '__module__', '?')}:{getattr(obj, '__qualname__', repr(obj))}"
    if name in parts or depth > 50:
        return
    parts[name] = source_of(obj) if not isinstance(obj, type) else _class_source(obj)
    for code, namespace in _code_objects(obj):
        for ref in _names(code):
            _follow(namespace, ref, code, parts, depth)
    for cell in getattr(obj, "__closure__", None) or ():
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        _follow_value(f"{name}<closure>", value, parts, depth)


def _follow(namespace: dict, ref: str, code, parts: dict[str, str], depth: int) -> None:
    if ref not in namespace:
        return
    value = namespace[ref]
    if inspect.ismodule(value):
        # `helpers.clean(x)`: the attributes this code reads of a project module
        if _in_project(value):
            for attribute in _names(code):
                if attribute != ref and hasattr(value, attribute):
                    _follow_value(
                        f"{value.__name__}:{attribute}", getattr(value, attribute), parts, depth
                    )
        return
    _follow_value(f"{namespace.get('__name__', '?')}:{ref}", value, parts, depth)


def _follow_value(label: str, value, parts: dict[str, str], depth: int) -> None:
    target = getattr(value, "fn", None) if _is_operator(value) else value
    if inspect.isfunction(target) or inspect.isclass(target):
        module = inspect.getmodule(target)
        if module is not None and _in_project(module):
            _collect(target, parts, depth + 1)
    elif _is_constant(value):
        parts[label] = repr(value)[:10_000]


def _code_objects(obj):
    """(code, globals) pairs: a function's code, a class's methods' code, nested code too."""
    functions = []
    if inspect.isclass(obj):
        for member in vars(obj).values():
            member = getattr(member, "__func__", member)  # static and class methods
            if isinstance(member, property):
                member = member.fget
            if inspect.isfunction(member):
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


def _is_constant(value, depth: int = 0) -> bool:
    if isinstance(value, _CONSTANTS):
        return True
    if depth > 3:
        return False
    if isinstance(value, (tuple, list, set, frozenset)):
        return len(value) <= 1000 and all(_is_constant(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return len(value) <= 1000 and all(
            _is_constant(k, depth + 1) and _is_constant(v, depth + 1) for k, v in value.items()
        )
    return False


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
