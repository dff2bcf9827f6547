"""Random generators of their own for every operator call, seeded from the call's seed.

A Dask worker runs several operators at once, in threads of one process; seeding the
process's global generators (``random.seed``, ``numpy.random.seed``) for each call let one
operator's draws, or the worker's own, land in another's sequence: the same run gave other
numbers each time. So while an operator runs with a seed, the module-level functions of
``random`` and ``numpy.random`` (``random.random``, ``random.shuffle``, ``numpy.random.rand``,
``numpy.random.seed`` …) and NumPy's global ``RandomState`` (what scikit-learn and SciPy use
for ``random_state=None``) draw from generators of that call alone, created on first use;
outside operator calls they are the process's global ones, as before. The dispatch is
installed once per process, when flowlab is imported (on a worker, before the operators'
modules are: a worker imports flowlab to open its first task).

Names taken from those modules before flowlab was imported (``from random import shuffle``)
stay bound to the global generator: call them through the module (``random.shuffle``) or use
:func:`rng`.
PyTorch keeps one global generator per process and device, which cannot be told apart per
thread. So an operator whose code names torch (``import torch`` in its module or its body,
directly or in project code it calls) holds :data:`TORCH_GLOBAL` while it runs with a seed,
and torch's global generators are seeded from its seed once it holds it: in one worker
process such calls run one at a time (each already uses every core through torch's own
threads), and ``torch.rand``, dropout and ``nn.init`` give the same values as when the
operator runs alone. Other operators never touch torch's generators. :func:`torch_generator`
gives a call a generator of its own, for a ``DataLoader`` or where torch is reached only
through another package's code (which flowlab does not read).

Example::

    with operator_randomness(1234):
        random.random()          # the same number every time, whatever other threads draw
        numpy.random.rand(3)
        rng().normal(size=3)     # this call's numpy.random.Generator
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import random
import sys
import threading
from typing import Any


class CallGenerators:
    """The generators of one seeded operator call, each made on first use from its seed."""

    __slots__ = ("seed", "_python", "_numpy", "_generator", "_torch")

    def __init__(self, seed: int):
        self.seed = int(seed)
        self._python: random.Random | None = None
        self._numpy = None
        self._generator = None
        self._torch: dict[str, Any] = {}

    @property
    def python(self) -> random.Random:
        """What ``random``'s module functions draw from in this call."""
        if self._python is None:
            self._python = random.Random(self.seed)
        return self._python

    @property
    def numpy(self):
        """What ``numpy.random``'s module functions draw from in this call (a RandomState)."""
        if self._numpy is None:
            import numpy

            self._numpy = numpy.random.RandomState(self.seed % 2**32)
        return self._numpy

    @numpy.setter
    def numpy(self, state) -> None:
        self._numpy = state

    @property
    def generator(self):
        """This call's ``numpy.random.Generator`` (what :func:`rng` returns)."""
        if self._generator is None:
            import numpy

            self._generator = numpy.random.default_rng(self.seed)
        return self._generator

    def torch(self, device):
        """This call's ``torch.Generator`` on ``device``."""
        import torch

        device = torch.device(device)
        if device.type == "cuda" and device.index is None:
            device = torch.device("cuda", torch.cuda.current_device())
        generator = self._torch.get(str(device))
        if generator is None:
            generator = torch.Generator(device=device)
            generator.manual_seed(self.seed)
            self._torch[str(device)] = generator
        return generator


#: held by a seeded call whose code names torch while it runs (torch's global generators
#: are the process's): such calls in one process run one at a time
TORCH_GLOBAL = threading.RLock()

_call: contextvars.ContextVar[CallGenerators | None] = contextvars.ContextVar(
    "flowlab_call_generators", default=None
)


def current_generators() -> CallGenerators | None:
    """The generators of the seeded operator call running here, or None outside one."""
    return _call.get()


@contextlib.contextmanager
def operator_randomness(seed: int | None, torch_global: bool = False):
    """Run the body with generators of its own seeded from ``seed`` (see the module's doc);
    ``seed=None`` leaves the generators as they are (those of an enclosing call, or the
    global ones). With ``torch_global`` (the operator's code names torch), the body holds
    :data:`TORCH_GLOBAL` and torch's global generators, which cannot be made per call, are
    seeded from ``seed`` first.

    Example::

        with operator_randomness(7):
            first = random.random()
        with operator_randomness(7):
            assert random.random() == first
    """
    if seed is None:
        yield None
        return
    install_dispatch()
    generators = CallGenerators(seed)
    with TORCH_GLOBAL if torch_global else contextlib.nullcontext():
        if torch_global:
            torch = sys.modules.get("torch")
            if torch is None:
                with contextlib.suppress(ImportError):
                    import torch
            if torch is not None and hasattr(torch, "manual_seed"):
                torch.manual_seed(generators.seed)  # CPU and every CUDA device (lazily)
        token = _call.set(generators)
        try:
            yield generators
        finally:
            _call.reset(token)


def rng():
    """The running operator's ``numpy.random.Generator``, seeded from its seed (the same
    object for the whole call, so draws continue); outside an operator, a new unseeded one.

    Example::

        @flowlab.operator(returns=types.Schema(noise=types.ANY))
        def noisy(n: int):
            return {"noise": flowlab.rng().normal(size=n)}   # the same numbers every run
    """
    generators = _call.get()
    if generators is not None:
        return generators.generator
    import numpy

    return numpy.random.default_rng()


def torch_generator(device: Any = "cpu"):
    """The running operator's ``torch.Generator`` on ``device``, seeded from its seed and
    its own even when other operators run in the worker's other threads (torch's global
    generator is shared by them); outside an operator, a new one seeded at random.

    Example::

        noise = torch.randn(8, generator=flowlab.torch_generator())
        loader = DataLoader(data, shuffle=True, generator=flowlab.torch_generator())
    """
    generators = _call.get()
    if generators is not None:
        return generators.torch(device)
    import torch

    generator = torch.Generator(device=device)
    generator.seed()
    return generator


# -- the dispatch: module functions that draw from the running call's generators -----------

_install_lock = threading.Lock()
_installed = False


def install_dispatch() -> None:
    """Make ``random``'s and ``numpy.random``'s module functions (and NumPy's global
    RandomState) draw from the running call's generators; once per process, idempotent.

    Example::

        install_dispatch()
        random.random()   # outside an operator call: the global generator, as before
    """
    global _installed
    if _installed:
        return
    with _install_lock:
        if _installed:
            return
        _dispatch_python()
        with contextlib.suppress(ImportError):
            _dispatch_numpy()
        _installed = True


def _dispatch_python() -> None:
    # the Random instance the module functions are bound to (none: they dispatch already)
    shared = getattr(random.random, "__self__", None)
    if shared is None:
        return
    for name in dir(random):
        function = getattr(random, name)
        if getattr(function, "__self__", None) is shared:
            dispatch = _dispatching("random", name, function, CallGenerators.python.fget)
            setattr(random, name, dispatch)


def _dispatch_numpy() -> None:
    import numpy
    from numpy.random import mtrand

    # the global RandomState, mtrand._rand (none: the module functions dispatch already)
    shared = getattr(numpy.random.rand, "__self__", None)
    if shared is None:
        return

    def target():
        generators = _call.get()
        return shared if generators is None else generators.numpy

    class DispatchingRandomState(numpy.random.RandomState):
        """NumPy's global RandomState, as libraries find it (``numpy.random.mtrand._rand``):
        every attribute is that of the running call's RandomState (the global one outside
        calls, whose bit generator this object shares)."""

        def __getattribute__(self, name):
            return getattr(target(), name)

    for name in dir(mtrand):
        function = getattr(mtrand, name)
        if getattr(function, "__self__", None) is shared:
            # one function for both modules: it pickles by reference as numpy.random.NAME
            dispatch = _dispatching("numpy.random", name, function, CallGenerators.numpy.fget)
            for module in (mtrand, numpy.random):
                if getattr(module, name, None) is function:
                    setattr(module, name, dispatch)

    proxy = DispatchingRandomState(shared._bit_generator)
    set_bit_generator = mtrand.set_bit_generator

    @functools.wraps(set_bit_generator)
    def set_bit_generator_here(bitgen) -> None:
        generators = _call.get()
        if generators is not None:
            generators.numpy = numpy.random.RandomState(bitgen)
            return
        # numpy would set it on the proxy only: set it on the global RandomState, in place
        # (as numpy does), and on the proxy, which shares the global's bit generator
        numpy.random.RandomState.__init__(shared, bitgen)
        numpy.random.RandomState.__init__(proxy, bitgen)

    for module in (mtrand, numpy.random):
        if getattr(module, "set_bit_generator", None) is set_bit_generator:
            module.set_bit_generator = set_bit_generator_here
    # module functions written in Cython (seed, sample, get_bit_generator) read it from here
    mtrand._rand = proxy


def _dispatching(module: str, name: str, shared_method, generator_of):
    """The module function ``module.name``: ``shared_method`` outside seeded calls, else the
    method ``name`` of the call's generator (``generator_of(call_generators)``). Named as the
    module's attribute, so it pickles by reference (``client.submit(random.random)``)."""

    def dispatch(*args, **kwargs):
        generators = _call.get()
        if generators is None:
            return shared_method(*args, **kwargs)
        return getattr(generator_of(generators), name)(*args, **kwargs)

    dispatch.__module__, dispatch.__name__, dispatch.__qualname__ = module, name, name
    dispatch.__doc__ = shared_method.__doc__
    dispatch.__wrapped__ = shared_method  # its signature
    return dispatch


# here, not at the first operator call: a name an operator's module takes from random or
# numpy.random (``from random import shuffle``) after flowlab is imported then dispatches too
install_dispatch()
