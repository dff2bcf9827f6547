"""MODEL: a trained estimator with its metadata, saved in skops' safe format.

Why skops: unlike pickle, loading a ``.skops`` file rebuilds only the types it is told to
trust. A model file comes from the store, which other people may write, so flowlab trusts
exactly the types its library produces (:data:`ALLOWED_TYPES`, listed by full name: never
a prefix) and what skops itself trusts; a file naming any other type is refused before
anything in it is built. Types you trust deliberately are added with :func:`trust_types`
or ``FLOWLAB_TRUSTED_MODEL_TYPES``; types that can call code are never accepted there.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flowlab.errors import FlowTypeError, Untrusted
from flowlab.types.base import FlowType, given_text, text_error
from flowlab.types.registry import register_type

FORMAT_VERSION = 1
#: the types flowlab's library puts in a model file beyond those skops trusts by itself
#: (skops trusts scikit-learn's estimators and numpy/scipy arrays), by exact name
ALLOWED_TYPES = frozenset(
    {
        "collections.OrderedDict",
        "sklearn.tree._tree.Tree",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
        "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
        "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
        "sklearn._loss.link.IdentityLink",
        "sklearn._loss.link.LogitLink",
        "sklearn._loss.link.MultinomialLogit",
        "sklearn._loss.link.LogLink",
        "sklearn._loss.loss.HalfSquaredError",
        "sklearn._loss.loss.HalfBinomialLoss",
        "sklearn._loss.loss.HalfMultinomialLoss",
        "lightgbm.basic.Booster",
        "lightgbm.sklearn.LGBMClassifier",
        "lightgbm.sklearn.LGBMRegressor",
        "lightgbm.sklearn.LGBMRanker",
        "xgboost.core.Booster",
        "xgboost.sklearn.XGBClassifier",
        "xgboost.sklearn.XGBRegressor",
        "xgboost.sklearn.XGBRanker",
        "flowlab.library.estimators.EncodedLabelsClassifier",
        "flowlab.library.estimators.SmoothedTreeClassifier",
        "flowlab.library.neural.TorchMLP",
    }
)
#: what no model file may name, even when a user asks to trust it: each can call code
NEVER_TRUSTED = (
    "builtins.exec",
    "builtins.eval",
    "builtins.compile",
    "builtins.getattr",
    "builtins.setattr",
    "builtins.delattr",
    "builtins.__import__",
    "builtins.open",
    "builtins.input",
    "builtins.breakpoint",
    "builtins.globals",
    "builtins.locals",
    "builtins.vars",
    "builtins.type",
    "builtins.object",
    "functools.partial",
    "functools.reduce",
    "operator.attrgetter",
    "operator.itemgetter",
    "operator.methodcaller",
    "operator.call",
    "types.",
    "os.",
    "posix.",
    "nt.",
    "subprocess.",
    "sys.",
    "shutil.",
    "importlib.",
    "pickle.",
    "_pickle.",
    "cloudpickle.",
    "dill.",
    "marshal.",
    "runpy.",
    "code.",
    "codeop.",
    "ctypes.",
    "socket.",
    "pty.",
    "webbrowser.",
    "multiprocessing.",
    "threading.",
    "asyncio.",
    "signal.",
    "inspect.",
    "pydoc.",
    "timeit.",
    "platform.",
    "builtins.print",
    "numpy.load",
    "numpy.save",
    "numpy.fromfile",
    "numpy.lib.",
    "numpy.testing.",
    "numpy.f2py.",
    "numpy.distutils.",
    "torch.load",
    "joblib.",
)
_user_trusted: set[str] = set()


class UntrustedModelTypes(Untrusted, FlowTypeError):
    """A model file names types flowlab does not load (nothing of the file was built)."""


def can_call_code(name: str) -> bool:
    """Whether the type or function ``name`` is one a model file may never name.

    Example::

        can_call_code("builtins.exec"), can_call_code("sklearn.tree._tree.Tree")  # True, False
    """
    return (
        any(name == bad or (bad.endswith(".") and name.startswith(bad)) for bad in NEVER_TRUSTED)
        or "__" in name.rsplit(".", 1)[-1]
    )


def trust_types(*names: str) -> None:
    """Also load model files that hold these types (full names: ``"mypkg.models.MyNet"``),
    for this process; ``FLOWLAB_TRUSTED_MODEL_TYPES`` (comma-separated) does it for every
    process. A name that can call code (``builtins.exec``, ``os.*``…) is refused.

    Example::

        flowlab.types.model.trust_types("mypkg.models.MyNet")
    """
    refused = [n for n in names if can_call_code(n)]
    if refused:
        raise ValueError(
            f"model types {refused} can run code when a file is loaded; flowlab never trusts them"
        )
    _user_trusted.update(names)


def trusted_types() -> frozenset[str]:
    """Every type a model file may hold beyond skops' own: flowlab's, and those trusted with
    :func:`trust_types` or ``FLOWLAB_TRUSTED_MODEL_TYPES``."""
    from_env = {
        n.strip() for n in os.environ.get("FLOWLAB_TRUSTED_MODEL_TYPES", "").split(",") if n.strip()
    }
    return ALLOWED_TYPES | _user_trusted | {n for n in from_env if not can_call_code(n)}


@dataclass
class Model:
    """A trained model and what it was trained on.

    Example::

        m = Model(estimator=tree, task="classification", features=["a", "b"], label="y")
        m.predict(frame)
    """

    estimator: Any
    task: str = "classification"
    features: list = field(default_factory=list)
    label: str | None = None
    library: str = ""
    params: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    @property
    def classes(self) -> list:
        return [
            c.item() if hasattr(c, "item") else c for c in getattr(self.estimator, "classes_", [])
        ]

    def predict(self, frame):
        return self.estimator.predict(self._x(frame))

    def predict_proba(self, frame):
        return self.estimator.predict_proba(self._x(frame))

    def _x(self, frame):
        return frame[self.features] if self.features else frame

    def meta(self) -> dict:
        return {
            "task": self.task,
            "features": list(self.features),
            "label": self.label,
            "library": self.library,
            "params": _jsonable(self.params),
            "kind": type(self.estimator).__name__,
            "classes": _jsonable(self.classes),
            "extra": _jsonable(self.extra),
        }


class ModelType(FlowType):
    """A trained model. Operators always receive a :class:`Model` (a bare estimator is
    wrapped), whether the value comes fresh from a parent or from the cache."""

    name = "MODEL"
    inline = False
    extension = "model.zip"
    by_reference = True

    def validate(self, value, where="value"):
        if value is None:
            raise self.fail(where, "a trained model (MODEL)", value)
        if isinstance(value, str):  # a deployed model: "name@alias" or "name/3"
            return resolve_model(value, where)
        return value if isinstance(value, Model) else Model(estimator=value)

    def load(self, value):
        if isinstance(value, str):
            return resolve_model(value)
        return value if isinstance(value, Model) or value is None else Model(estimator=value)

    def summary(self, value):
        model = self.load(value)
        return {"meta": model.meta()}

    def parse_text(self, text, where="value"):
        """The path or URI of a model file flowlab wrote (``*.model.zip``), loaded safely."""
        from flowlab.types.objects import read_bytes

        text = given_text(self, text, where, "the path of a model file")
        if text is None:
            return None
        try:
            return self.validate(self.deserialise(read_bytes(self, text, where)), where)
        except (KeyError, ValueError, zipfile.BadZipFile) as e:
            raise text_error(self, where, "a flowlab model file", text, str(e)) from None

    def _json_schema(self):
        return {"type": "string", "format": "model"}

    def warm(self) -> None:
        import skops.io  # noqa: F401 - seconds (it imports much of scikit-learn): see FlowType

    def serialise(self, value) -> bytes:
        import skops.io as sio

        value = self.load(value)
        model = value if isinstance(value, Model) else Model(estimator=value)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("meta.json", json.dumps({"format": FORMAT_VERSION, **model.meta()}))
            z.writestr("estimator.skops", sio.dumps(model.estimator))
        return buffer.getvalue()

    def deserialise(self, data: bytes) -> Model:
        import skops.io as sio

        with zipfile.ZipFile(io.BytesIO(data)) as z:
            meta = json.loads(z.read("meta.json"))
            blob = z.read("estimator.skops")
        try:
            untrusted = sio.get_untrusted_types(data=blob)
        except Exception as exc:  # noqa: BLE001 - any malformed schema is the same answer
            raise ValueError(
                f"MODEL file is not a model file flowlab wrote ({type(exc).__name__}: {exc})"
            ) from None
        allowed = trusted_types()
        refused = sorted(t for t in untrusted if t not in allowed or can_call_code(t))
        if refused:
            dangerous = [t for t in refused if can_call_code(t)]
            advice = (
                f"{', '.join(dangerous)} can run code: never load this file"
                if dangerous
                else "if you trust these types, call flowlab.types.model.trust_types(...) or "
                "set FLOWLAB_TRUSTED_MODEL_TYPES"
            )
            raise UntrustedModelTypes(
                f"MODEL file holds types flowlab does not load: {', '.join(refused)}; "
                f"nothing in it was built ({advice})"
            )
        estimator = sio.loads(blob, trusted=sorted(untrusted))
        return Model(
            estimator=estimator,
            task=meta["task"],
            features=meta["features"],
            label=meta["label"],
            library=meta["library"],
            params=meta["params"],
            extra=meta.get("extra", {}),
        )


_MODEL_RESOLVERS: list[Callable[[str], Any]] = []


def register_model_resolver(resolver: Callable[[str], Any]) -> None:
    """Let MODEL accept a deployed model's name (the model registry registers one)."""
    if resolver not in _MODEL_RESOLVERS:
        _MODEL_RESOLVERS.append(resolver)


def resolve_model(text: str, where: str = "value") -> Any:
    """The model ``"name@alias"`` or ``"name/3"`` stands for, or a FlowTypeError saying why."""
    if not _MODEL_RESOLVERS:
        raise FlowTypeError(f"{where}: {text!r} names a model, but no model registry is loaded")
    try:
        return _MODEL_RESOLVERS[-1](text)
    except (KeyError, ValueError) as e:
        raise FlowTypeError(f"{where}: {text!r} is not a deployed model: {e}") from None


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=lambda o: getattr(o, "item", lambda: str(o))()))


MODEL = register_type(ModelType())
