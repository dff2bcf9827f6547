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
