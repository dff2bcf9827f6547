"""Flowlab's worker plugins: quiet Dask's log of an operator failure flowlab records itself,
and warm the workers by importing the operators' modules once per worker.

Dask logs every failed task on its worker (``distributed.worker - ERROR - Compute Failed``);
a local worker writes that to the notebook kernel's stderr, so it landed in whatever cell was
running. An operator's failure is recorded in its run (error line, traceback, logs), so that
log line says nothing new; other Dask errors still show.

Example::

    prepare_workers(client, graph)   # what launch does: quiet at once, warm in the background
"""

from __future__ import annotations

import dis
import importlib
import logging
import threading
import types as pytypes
import weakref

from distributed.diagnostics.plugin import WorkerPlugin

_prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_lock = threading.Lock()


class OperatorFailureFilter(logging.Filter):
    """Drops Dask's ``Compute Failed`` record of a flowlab operator's failure (recorded by the
    run already); keeps every other record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith("Compute Failed"):
            return True
        return "OperatorError(" not in record.getMessage()


class QuietOperatorFailures(WorkerPlugin):
    """Installs :class:`OperatorFailureFilter` on each worker's ``distributed.worker`` log."""

    name = "flowlab-quiet"

    def setup(self, worker) -> None:
        log = logging.getLogger("distributed.worker")
        if not any(isinstance(f, OperatorFailureFilter) for f in log.filters):
            log.addFilter(OperatorFailureFilter())


class WarmImports(WorkerPlugin):
    """Imports modules on each worker (now, and on every worker that joins later)."""

    name = "flowlab-warm"

    def __init__(self, modules: tuple[str, ...] = ()):
        self.modules = tuple(modules)

    def setup(self, worker) -> None:
        # On the worker's event loop, the thread that also unpickles the tasks it receives
        # (importing their operators' modules), never in a thread of its own: Python locks a
        # submodule before its package, so a thread importing ``pkg`` (whose __init__ imports
        # ``pkg.mod``) while another unpickles ``pkg.mod.op`` can hand one of them a partially
        # initialised module; the worker then fails to read its task messages and leaves the
        # cluster (a notebook's run failed with "no workers" on a busy machine). The loop is
        # blocked for the imports' seconds, which the first task would spend importing anyway.
        for module in self.modules:
            try:
                importlib.import_module(module)
            except Exception:  # warming is best effort: the operator itself will say why
                pass


def operator_modules(graph) -> set[str]:
    """The modules the graph's operators live in and import (``sklearn.tree`` …).

    Example::

        operator_modules(iris.compile(labeled_data=df, unlabeled_data=new))
    """
    found: set[str] = set()
    seen: set[int] = set()
    for op in graph.operators.values():
        fn = getattr(op, "fn", None)
        if fn is None or id(fn) in seen:  # a fan-out calls one operator many times
            continue
        seen.add(id(fn))
        module = getattr(fn, "__module__", None)
        if module and module != "__main__":
            found.add(module)
        code = getattr(fn, "__code__", None)
        if code is not None:
            found |= _imports(code)
    return found


def _imports(code: pytypes.CodeType) -> set[str]:
    names = {i.argval for i in dis.get_instructions(code) if i.opname == "IMPORT_NAME"}
    for const in code.co_consts:
        if isinstance(const, pytypes.CodeType):
            names |= _imports(const)
    return {n for n in names if isinstance(n, str) and n and not n.startswith(".")}


def prepare_workers(client, graph) -> None:
    """Quiet operator-failure logs on the client's workers (at once, first time only), and
    import the graph's operator modules there (registered from a background thread, so the
    launch does not wait; once per new module)."""
    try:
        with _lock:
            state = _prepared.setdefault(client, {"quiet": False, "modules": set()})
            quiet = not state["quiet"]
            state["quiet"] = True
            modules = operator_modules(graph)
            new = modules - state["modules"]
            state["modules"] |= modules
            everything = tuple(sorted(state["modules"]))
    except TypeError:  # a client that cannot be weakly referenced: nothing to remember
        return
    if quiet:
        try:
            client.register_plugin(QuietOperatorFailures(), name=QuietOperatorFailures.name)
        except Exception:  # an old or restricted cluster: the run goes on, only noisier
            pass
    if new:
        threading.Thread(
            target=_register_quietly,
            args=(client, WarmImports(everything)),
            name="flowlab-warm-workers",
            daemon=True,
        ).start()


def _register_quietly(client, plugin) -> None:
    try:
        client.register_plugin(plugin, name=plugin.name)
    except Exception:  # best effort, see WarmImports
        pass
