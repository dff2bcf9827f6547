"""The exceptions a user can meet, in one place.

Each subclasses the builtin a user would catch (``TypeError``, ``ValueError``,
``KeyError``, ``RuntimeError``) so ordinary ``except`` clauses keep working.
"""

from __future__ import annotations


class FlowlabError(Exception):
    """Base class of every flowlab error."""


class FlowTypeError(FlowlabError, TypeError):
    """A value does not match its declared flowlab type (names the input and the operator)."""


class SchemaError(FlowlabError, ValueError):
    """A schema, a workflow's returns or an operator's declaration is inconsistent."""


class ReturnsMismatch(SchemaError, TypeError):
    """A workflow or operator returned names that differ from its declared ``returns``."""


class CompileError(FlowlabError, ValueError):
    """The workflow body could not be turned into a Graph.

    Raised, among others, when the body needs the value of a future (``if op(...).flag:``,
    ``len(...)``, ``for x in ...``, ``<``): values exist only when operators run.
    """


class ChannelTypeError(FlowTypeError, CompileError):
    """Found while compiling: a value wired into an input has a type that input refuses.

    Names both ends (operator or workflow, output or input) and both types. It is a
    ``FlowTypeError`` (a ``TypeError``) like every type mismatch, and a ``CompileError``
    because it is found before anything runs.
    """


class RunFailed(FlowlabError, RuntimeError):
    """A run ended in failure; ``operator`` names the operator that failed.

    Example::

        try:
            run.result()
        except flowlab.RunFailed as e:
            print(e.operator, e.traceback)
    """

    def __init__(
        self,
        message: str,
        *,
        run_id: str | None = None,
        operator: str | None = None,
        traceback: str | None = None,
    ):
        super().__init__(message)
        self.run_id = run_id
        self.operator = operator
        self.traceback = traceback

    def _render_traceback_(self) -> list[str]:
        """What IPython shows in place of a traceback: the one-line error, then the failed
        operator's own traceback (part of the message); flowlab's frames tell a user nothing."""
        return f"{type(self).__name__}: {self}".splitlines()

    def __reduce__(self):
        return (
            _rebuild_run_failed,
            (type(self), str(self), self.run_id, self.operator, self.traceback),
        )


def _rebuild_run_failed(cls, message, run_id, operator, traceback):
    return cls(message, run_id=run_id, operator=operator, traceback=traceback)


class ResourceUnavailable(RunFailed):
    """No worker of the cluster offers what an operator asks for."""


class OperatorError(FlowlabError, RuntimeError):
    """Raised on the worker when an operator's code fails; carries the captured traceback and logs."""

    def __init__(
        self,
        operator: str,
        message: str,
        traceback: str = "",
        logs: str = "",
        elements: dict | None = None,
    ):
        super().__init__(f"operator '{operator}' failed: {message}")
        self.operator = operator
        self.message = message
        self.traceback = traceback
        self.logs = logs
        #: a mapped operator's element counts (total, done, cached, failed)
        self.elements = elements

    def __reduce__(self):
        return (
            OperatorError,
            (self.operator, self.message, self.traceback, self.logs, self.elements),
        )


class StoreError(FlowlabError, RuntimeError):
    """The run store could not be read or written (names the file and how to recover)."""


class RunKeeperError(FlowlabError, RuntimeError):
    """The cluster could not keep a run: its keeper process failed (its message follows) or
    exited; the launching process then follows the run itself."""


class RunNotFound(FlowlabError, KeyError):
    """No run with this id in the store."""


class ModelNotFound(FlowlabError, KeyError):
    """No registered model (or version, or alias) of that name in the model registry."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class InvalidInstance(FlowTypeError):
    """A prediction request's instance misses a field or has one of the wrong type."""


class TrialPruned(FlowlabError, RuntimeError):
    """Raised by ``flowlab.report`` inside an operator when the study prunes its trial."""


class SweepError(FlowlabError, ValueError):
    """A sweep or study asked for something it cannot do (names the input or metric)."""


class Untrusted(FlowlabError, PermissionError):
    """Something read from the store would run code or read outside the configured places,
    and its author is not authenticated: a model naming types flowlab does not load, an
    unsigned workflow or checkpoint, an artifact reference outside the artifact location.
    Nothing of it ran; the message names it and says how to trust it on purpose."""


class SigningKeyError(FlowlabError, PermissionError):
    """The signing key cannot be used (a key file others can read, or one unreadable)."""
