"""Values that cross the scheduler as bytes, opened only on the workers.

The scheduler unpickles every task it receives; a task's operator and inputs sealed into
bytes (cloudpickle) need only flowlab on the scheduler, never the user's modules.
"""

from __future__ import annotations

import pickle
from typing import Any


def seal(value: Any) -> bytes:
    """``value`` pickled (cloudpickle), to cross the scheduler as bytes: it is opened on the
    worker, so only the workers need the modules it comes from.

    Example::

        pickle.loads(seal(op)).name == op.name
    """
    import cloudpickle

    return cloudpickle.dumps(value)


_UNOPENED = object()


class Sealed:
    """A value that crosses the scheduler as bytes (see :func:`seal`), opened on first use of
    ``.value`` (on the worker).

    Example::

        client.submit(fn, Sealed(user_object))   # fn reads its argument's .value
    """

    __slots__ = ("_value", "_blob")

    def __init__(self, value: Any):
        self._value, self._blob = value, None

    @property
    def value(self) -> Any:
        if self._value is _UNOPENED:
            self._value = pickle.loads(self._blob)
        return self._value

    def __reduce__(self):
        blob = self._blob if self._blob is not None else seal(self._value)
        return (_sealed_value, (type(self), blob))


def _sealed_value(cls: type, blob: bytes) -> Sealed:
    sealed = cls.__new__(cls)
    sealed._value, sealed._blob = _UNOPENED, blob
    return sealed


class Boxed:
    """Carries a value untouched (dask would compute a collection): a big workflow input
    scattered to the workers, which never crosses the scheduler (in the graph, inputs are
    :class:`Sealed`, read the same way, through ``.value``)."""

    def __init__(self, value: Any):
        self.value = value
