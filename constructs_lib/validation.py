"""Early, specific prop validation: a construct lists (broken?, message) rules and fails once."""

from __future__ import annotations

from collections.abc import Iterable


class PropsError(ValueError):
    """Construct props that cannot become a valid plan; lists every broken rule."""


def check(construct: str, rules: Iterable[tuple[bool, str]]) -> None:
    """Raise PropsError naming `construct` when any rule's condition is true."""
    broken = [message for failed, message in rules if failed]
    if broken:
        raise PropsError(f"{construct}: " + "; ".join(broken))
