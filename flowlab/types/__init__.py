"""The flowlab type system: what a value is, how it validates, describes and serialises.

Example::

    from flowlab import types
    schema = types.Schema(labeled_data=types.DATASET(schema=(("species", types.TEXT),)),
                          max_depth=types.INTEGER(min=1, default=4))
"""

from flowlab.types.base import (
    FlowType,
    as_flow_type,
    register_type,
    registered_types,
    type_named,
)
from flowlab.types.containers import DICT, FEATURES, LIST, Schema
from flowlab.types.dataset import DATASET
from flowlab.types.model import MODEL, Model
from flowlab.types.objects import ARRAY, FILE
from flowlab.types.scalars import BOOL, DOUBLE, ENUM, INTEGER, TEXT

__all__ = [
    "ARRAY",
    "BOOL",
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
    "FlowType",
    "Model",
    "Schema",
    "as_flow_type",
    "register_type",
    "registered_types",
    "type_named",
]
