"""MODEL: a trained estimator with its metadata, saved in skops' safe format.

Why skops: unlike pickle, loading a ``.skops`` file never runs arbitrary code; only types we
allow (scikit-learn, LightGBM, XGBoost, numpy, scipy) are rebuilt. The file carries the
versions of the libraries that wrote it, so a model from another environment is detectable.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flowlab.errors import FlowTypeError
from flowlab.types.base import FlowType, given_text, text_error
from flowlab.types.registry import register_type

FORMAT_VERSION = 1
_TRUSTED_PREFIXES = (
    "sklearn.",
    "lightgbm.",
    "xgboost.",
    "numpy.",
    "scipy.",
    "builtins.",
    "collections.",
    "flowlab.",
)


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
        untrusted = sio.get_untrusted_types(data=blob)
        refused = [t for t in untrusted if not t.startswith(_TRUSTED_PREFIXES)]
        if refused:
            raise TypeError(f"MODEL file holds types flowlab will not load: {refused}")
        estimator = sio.loads(blob, trusted=untrusted)
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
