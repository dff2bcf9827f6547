"""Hypothesis strategies: every flowlab type with its options, nested, and values to try on it."""

from __future__ import annotations

from hypothesis import strategies as st

from flowlab import types

texts = st.text(alphabet="abcxyz_ ;é", min_size=0, max_size=6)
names = st.text(alphabet="abcdefgh_", min_size=1, max_size=6)
json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-1000, 1000), st.floats(-1e6, 1e6), texts
)
values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(names, inner, max_size=3)),
    max_leaves=6,
)


@st.composite
def common(draw) -> dict:
    options: dict = {}
    if draw(st.booleans()):
        options["description"] = draw(texts)
    if draw(st.booleans()):
        options["optional"] = True
    return options


@st.composite
def integers(draw):
    low = draw(st.none() | st.integers(-50, 50))
    high = draw(st.none() | st.integers(low if low is not None else -50, 60))
    default = draw(st.none() | st.integers(low if low is not None else -50, high or 60))
    return types.INTEGER(min=low, max=high, default=default, **draw(common()))


@st.composite
def doubles(draw):
    low = draw(st.none() | st.floats(-10, 10))
    high = draw(st.none() | st.floats(low if low is not None else -10, 20))
    direction = draw(st.sampled_from([None, "lower", "higher"]))
    return types.DOUBLE(min=low, max=high, direction=direction, **draw(common()))


@st.composite
def enums(draw):
    choices = draw(st.lists(texts | st.integers(0, 9), min_size=1, max_size=4, unique=True))
    default = draw(st.none() | st.sampled_from(choices))
    return types.ENUM(*choices)(default=default, **draw(common()))


@st.composite
def simple(draw):
    kind = draw(st.sampled_from(["TEXT", "BOOL", "ANY", "MODEL", "ARRAY", "FILE", "FEATURES"]))
    options = draw(common())
    if kind == "TEXT" and draw(st.booleans()):
        options["default"] = draw(texts)
    if kind == "FILE":
        options["must_exist"] = draw(st.booleans())
    if kind == "FEATURES":
        options["of"] = draw(st.none() | names)
    return types.type_named(kind)(**options)


scalar_types = st.one_of(integers(), doubles(), enums(), simple())


@st.composite
def datasets(draw):
    column = st.one_of(
        st.sampled_from([types.INTEGER, types.DOUBLE, types.TEXT, types.BOOL]), enums(), integers()
    )
    columns = draw(st.none() | st.dictionaries(names, column, max_size=3))
    dataset = types.DATASET(**draw(common()))
    return dataset(schema=columns) if columns is not None else dataset


flow_types = st.recursive(
    st.one_of(scalar_types, datasets(), st.just(types.LIST), st.just(types.DICT)),
    lambda inner: st.one_of(
        st.builds(lambda item, opts: types.LIST(item, **opts), inner, common()),
        st.builds(lambda item, opts: types.DICT(item, **opts), inner, common()),
    ),
    max_leaves=4,
)
