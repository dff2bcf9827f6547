"""The flowlab type system: what a value is, how it validates, describes and serialises.

Every type round-trips through its JSON description: ``from_json(t.to_json()) == t``.

Example::

    from flowlab import types
    schema = types.Schema(labeled_data=types.DATASET(schema=(("species", types.TEXT),)),
                          max_depth=types.INTEGER(min=1, default=4))
    types.from_json(types.INTEGER(min=1).to_json())      # INTEGER, min=1 kept
"""

from flowlab.types.base import AnyType, FlowType
from flowlab.types.containers import COLUMN, DICT, FEATURES, LIST, Schema
from flowlab.types.dataset import DATASET
from flowlab.types.model import MODEL, Model
from flowlab.types.objects import ARRAY, FILE
from flowlab.types.registry import (
    as_flow_type,
    from_json,
    register_type,
    registered_types,
    type_named,
)
from flowlab.types.scalars import BOOL, DOUBLE, ENUM, INTEGER, TEXT

ANY = register_type(AnyType())

__all__ = [
    "ANY",
    "ARRAY",
    "BOOL",
    "COLUMN",
    "DATASET",
    "DICT",
    "DOUBLE",
    "ENUM",
    "FEATURES",
    "FILE",
    "INTEGER",
    "LIST",
    "MODEL",
    "TEXT",
    "AnyType",
    "FlowType",
    "Model",
    "Schema",
    "as_flow_type",
    "from_json",
    "register_type",
    "registered_types",
    "type_named",
]
