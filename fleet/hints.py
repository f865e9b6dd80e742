"""Small wording helpers shared by the loader and the fleet checks."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, choices: Iterable[object]) -> str | None:
    """The choice `word` was most likely meant to be, if any is close enough."""
    options = [str(choice) for choice in choices]
    for option in options:
        if option.lower() == word.lower() and option != word:
            return option  # only the case differs
    matches = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(word: object, choices: Iterable[object]) -> str:
    """`"; did you mean 'x'?"` when a choice is close to `word`, else an empty string."""
    options = list(choices)
    match = closest(str(word), options)
    if match is None:
        return ""
    numeric = any(isinstance(option, int) and str(option) == match for option in options)
    return f"; did you mean {match if numeric else repr(match)}?"


def shown(value: object, limit: int = 60) -> str:
    """A value as the user wrote it in YAML: `'text'`, `12`, `true`, `null`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = value if len(value) <= limit else value[: limit - 3] + "..."
        return repr(text)
    return str(value)


def listing(items: Iterable[object]) -> str:
    """`a, b, c`, or `none` for nothing."""
    text = ", ".join(str(item) for item in items)
    return text or "none"
