"""Workflows the newcomer CLI tests submit: a DATASET input, return annotations, a failure."""

from flowlab import operator, types, workflow


@operator
def count_rows(data: types.DATASET) -> int:
    return len(data)


@operator
def half(x: float) -> float:
    return x / 2


@workflow(input_schema=types.Schema(data=types.DATASET, flags=types.LIST(types.TEXT)))
def rows(data, flags=None) -> int:
    """Count the rows of ``data``,
    a dataset given by catalog name or path.

    flags: ignored; there to be listed by show
    """
    return count_rows(data=data).result


@workflow(input_schema=types.Schema(x=types.DOUBLE, mode=types.ENUM("fast", "exact")))
def halved(x, mode="fast") -> float:
    return half(x=x).result


@operator
def refuse(x: float) -> float:
    raise ValueError(f"cannot halve {x}")


@workflow
def refused(x: float) -> float:
    return refuse(x=x).result
