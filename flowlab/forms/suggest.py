"""Suggestions while a column name is typed: the completions a view offers, and the help a
FEATURES field shows for a name typed only in part.

A FEATURES box holds ``a, b, c``; what is being typed is its last item. Its completions keep
the items before it and complete that one to each offered column it matches (a column's
name starting with it first, then one holding it), the columns already named left out.

Example::

    completions(["petal_width", "petal_height", "sepal_width"], "sepal_width, pet", many=True)
    # ["sepal_width, petal_width", "sepal_width, petal_height"]
"""

from __future__ import annotations


def split_last(text: str) -> tuple[list[str], str]:
    """``"a, b, pe"`` -> (["a", "b"], "pe"): the items before the last one, and the last one
    (empty when the text ends with a comma: the next item is not begun)."""
    *before, last = text.split(",")
    return [item.strip() for item in before if item.strip()], last.strip()


def matching(part: str, offered: list[str]) -> list[str]:
    """The offered names ``part`` matches, ignoring case: those starting with it, then those
    holding it; every one when ``part`` is empty."""
    wanted = part.lower()
    starting = [name for name in offered if name.lower().startswith(wanted)]
    holding = [name for name in offered if wanted in name.lower() and name not in starting]
    return starting + holding


def completions(offered: list[str] | None, text: str, *, many: bool) -> list[str]:
    """What a box holding ``text`` may become: ``offered`` names matching what is typed (the
    whole text, or with ``many`` its last item, the items before it kept)."""
    if offered is None or text.lstrip().startswith("["):  # a JSON list is not typed by name
        return []
    if not many:
        return matching(text.strip(), offered)
    before, last = split_last(text)
    lead = "".join(f"{item}, " for item in before)
    left = [name for name in offered if name not in before]
    found = [lead + name for name in matching(last, left) if name != last]
    if last in offered:
        # a whole name typed: on to the next one too
        found += [f"{lead}{last}, {name}" for name in left if name != last]
    return found


def typing_help(offered: list[str] | None, text: str) -> str | None:
    """The help that replaces the "not a column" error while a FEATURES field's last name is
    typed in part: every item before it a column, and it part of at least one; else None.

    Example::

        typing_help(["petal_width", "petal_height"], "pet")
        # "type a column name: 'pet' matches petal_width, petal_height"
    """
    if offered is None or text.lstrip().startswith("[") or text.rstrip().endswith(","):
        return None
    before, last = split_last(text)
    if not last or last in offered or any(item not in offered for item in before):
        return None
    found = matching(last, [name for name in offered if name not in before])
    if not found:
        return None
    return f"type a column name: {last!r} matches {', '.join(found)}"
