"""Which declared type may feed which: the rule the compiler applies to every channel.

``assignable(source, target)`` answers, from the two declarations alone, whether every value of
the ``source`` type is a value the ``target`` type accepts; it returns ``None`` when it is, or
the reason when it is not. The rule is the one of a static type system, by kind:

- an untyped end (``None``, or the ``ANY`` type) is never refused: the run-time check decides;
- a kind feeds itself and the kinds that widen it: INTEGER → DOUBLE; ENUM → the kind of its
  choices (every choice must be accepted); TEXT ↔ FILE; TEXT or FILE → DATASET (a path or a
  catalog name); LIST(TEXT) ↔ FEATURES; nothing narrows (DOUBLE → INTEGER, TEXT → ENUM, BOOL →
  INTEGER are refused: declare the output with the narrower type instead);
- LIST(T) → LIST(U) when T → U; ENUM → ENUM when the source's choices are among the target's;
- DATASET → DATASET when the source declares every column the target requires, each with a
  type the column accepts (INTEGER → DOUBLE, TEXT ↔ ENUM), or declares no columns at all;
- bounds are value constraints, left to the run-time check unless the ranges cannot meet
  (an INTEGER(max=3) output into an INTEGER(min=5) input is refused).

Types from other packages feed themselves; ``allow_conversion(source_name, target_name)``
adds a widening between two kinds.

Example::

    from flowlab.types import DOUBLE, INTEGER, TEXT, compat
    compat.assignable(INTEGER, DOUBLE)   # None: fits
    compat.assignable(TEXT, INTEGER)     # "a TEXT value is not an INTEGER"
"""

from __future__ import annotations

from flowlab.types.base import FlowType

# (source kind, target kind) pairs where every source value is accepted by the target
_WIDENINGS: set[tuple[str, str]] = {
    ("INTEGER", "DOUBLE"),
    ("TEXT", "FILE"),
    ("FILE", "TEXT"),
    ("TEXT", "DATASET"),
    ("FILE", "DATASET"),
    ("FEATURES", "LIST"),
    ("LIST", "FEATURES"),
}

# how a DATASET column of one kind may stand for another (only the dtype is checked at run time)
_COLUMN_FITS = {("INTEGER", "DOUBLE"), ("TEXT", "ENUM"), ("ENUM", "TEXT")}


def allow_conversion(source_name: str, target_name: str) -> None:
    """Declare that every value of kind ``source_name`` is accepted by kind ``target_name``."""
    _WIDENINGS.add((source_name, target_name))


def assignable(source: FlowType | None, target: FlowType | None) -> str | None:
    """None when a ``source``-typed value always fits ``target``; else the reason, in words.

    Example::

        assignable(LIST(INTEGER), LIST(DOUBLE))   # None
        assignable(DATASET(schema=(("a", INTEGER),)), DATASET(schema=(("b", TEXT),)))
        # "column 'b' (TEXT) is required but not among the declared columns (a)"
    """
    if _untyped(source) or _untyped(target):
        return None
    s, t = source.name, target.name
    if s == "ENUM" and t != "ENUM":
        return _enum_into(source, target)
    if s == t:
        return _same_kind(source, target)
    if (s, t) not in _WIDENINGS:
        return f"{_a(s)} value is not {_a(t)}"
    if (s, t) == ("INTEGER", "DOUBLE"):
        return _ranges_meet(source, target)
    if (s, t) == ("LIST", "FEATURES"):
        item = getattr(source, "item", None)
        return (
            None
            if _untyped(item) or item.name in ("TEXT", "ENUM")
            else (f"FEATURES are column names (text); the list holds {item.name} items")
        )
    if (s, t) == ("FEATURES", "LIST"):
        item = getattr(target, "item", None)
        return (
            None
            if _untyped(item) or item.name in ("TEXT", "FILE")
            else (f"FEATURES are column names (text); the list takes {item.name} items")
        )
    return None


def _untyped(t: FlowType | None) -> bool:
    return t is None or t.name == "ANY"


def _same_kind(source: FlowType, target: FlowType) -> str | None:
    name = source.name
    if name in ("INTEGER", "DOUBLE"):
        return _ranges_meet(source, target)
    if name == "LIST":
        reason = assignable(getattr(source, "item", None), getattr(target, "item", None))
        return f"its items do not fit: {reason}" if reason else None
    if name == "ENUM":
        choices = getattr(target, "choices", ())
        extra = [c for c in getattr(source, "choices", ()) if c not in choices]
        if extra and choices:
            return (
                f"the output may be {', '.join(map(repr, extra))}, which the input does not "
                f"accept (its choices: {', '.join(map(repr, choices))})"
            )
        return None
    if name == "DATASET":
        return _columns_fit(source, target)
    return None


def _enum_into(source: FlowType, target: FlowType) -> str | None:
    from flowlab.errors import FlowTypeError

    choices = getattr(source, "choices", ())
    if not choices:
        return None
    for choice in choices:
        try:
            target.validate(choice, "choice")
        except FlowTypeError:
            return f"the ENUM choice {choice!r} is not {_a(target.name)}"
    return None


def _ranges_meet(source: FlowType, target: FlowType) -> str | None:
    s_min, s_max = getattr(source, "min", None), getattr(source, "max", None)
    t_min, t_max = getattr(target, "min", None), getattr(target, "max", None)
    if s_max is not None and t_min is not None and s_max < t_min:
        return f"the output is at most {s_max} but the input needs at least {t_min}"
    if s_min is not None and t_max is not None and s_min > t_max:
        return f"the output is at least {s_min} but the input takes at most {t_max}"
    return None


def _columns_fit(source: FlowType, target: FlowType) -> str | None:
    required = getattr(target, "schema", None)
    declared = getattr(source, "schema", None)
    if not required or declared is None:
        return None
    for column, column_type in required.items():
        if column not in declared:
            return (
                f"column '{column}' ({column_type.name}) is required but not among the declared "
                f"columns ({', '.join(declared) or 'none'})"
            )
        have = declared[column]
        if have.name != column_type.name and (have.name, column_type.name) not in _COLUMN_FITS:
            return f"column '{column}' is declared {have.name} but {column_type.name} is required"
    return None


def _a(name: str) -> str:
    article = "an" if name[:1] in "AEIOU" else "a"
    return f"{article} {name}"
