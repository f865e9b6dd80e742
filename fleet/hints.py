"""Small wording helpers shared by the loader and the fleet checks."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable

from .secrets import described, looks_secret, without_userinfo

# Characters that would end a report line early or make it read other than it is: control
# characters, Unicode line breaks and bidirectional overrides. Config text (a key, a file name)
# can carry them into a message or a review; a line stays one line whatever the config holds.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def one_line(text: str) -> str:
    """`text` with every character that could break or disguise a line escaped (`\\n`)."""
    return _UNPRINTABLE.sub(lambda match: match.group().encode("unicode_escape").decode(), text)


# Letters of other scripts that pass for Latin ones in most fonts (fullwidth forms are found
# through Unicode normalization instead).
_LOOKALIKES = dict(
    zip(
        "аеорсухіјѕԁһӏвкмнтАВЕКМНОРСТХІЈЅαοντρεικΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
        "aeopcyxijsdhlBKMHTABEKMHOPCTXIJSaovtpeikABEZHIKMNOPTYX",
        strict=True,
    )
)


def closest(word: str, choices: Iterable[object]) -> str | None:
    """The choice `word` was most likely meant to be, if any is close enough. A choice that
    itself carries look-alike characters is never suggested: it would look like the word."""
    options = [str(choice) for choice in choices if not lookalikes(str(choice))]
    for option in options:
        if option.lower() == word.lower() and option != word:
            return option  # only the case differs
    matches = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return matches[0] if matches else None


def lookalikes(text: str) -> list[tuple[str, str]]:
    """(character, the ASCII one it passes for) for each look-alike character in `text`."""
    found = []
    for char in dict.fromkeys(text):
        if char.isascii():
            continue
        plain = _LOOKALIKES.get(char) or unicodedata.normalize("NFKC", char)
        if plain.isascii() and plain.strip():
            found.append((char, plain))
    return found


def lookalike_note(text: str) -> str:
    """`"; it contains look-alike characters: ..."` naming each one, or an empty string."""
    found = lookalikes(text)
    if not found:
        return ""
    named = ", ".join(
        f"{char!r} (U+{ord(char):04X} {unicodedata.name(char, '?')}) for {plain!r}"
        for char, plain in found
    )
    return f"; it contains look-alike characters: {named}"


def did_you_mean(word: object, choices: Iterable[object]) -> str:
    """`"; did you mean 'x'?"` when a choice is close to `word`, else an empty string."""
    options = list(choices)
    match = closest(str(word), options)
    if match is None:
        return ""
    numeric = any(isinstance(option, int) and str(option) == match for option in options)
    return f"; did you mean {match if numeric else repr(match)}?"


def shown(value: object, limit: int = 60) -> str:
    """A value as the user wrote it in YAML (`'text'`, `12`, `true`, `null`), cut to `limit`
    characters; never a value that could be a secret, nor a URL's password."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        if looks_secret(value):
            return described(value)
        text = without_userinfo(value)
        text = text if len(text) <= limit else text[: limit - 3] + "..."
        return repr(text)
    if isinstance(value, (list, dict)):
        return f"a {'list' if isinstance(value, list) else 'mapping'}"
    return str(value)[:limit]


def listing(items: Iterable[object]) -> str:
    """`a, b, c`, or `none` for nothing."""
    text = ", ".join(str(item) for item in items)
    return text or "none"
