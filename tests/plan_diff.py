"""A plan snapshot's difference, said the way a reviewer reads it: by Terraform address, only
the changed values, long texts (cloud-init, compose, the Nginx site) line by line, and how to
accept the change on purpose."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from typing import Any

ACCEPT = [
    "to accept this change on purpose, run the failing test again with --snapshot-update,",
    "e.g. .venv/bin/python -m pytest tests/test_reference_fleet.py --snapshot-update,",
    "then read the __snapshots__/ diff and commit it with the change",
]
_MISSING = object()
_SHORT = 80


def plan_diff_lines(expected_text: str, received_text: str) -> list[str]:
    """Lines explaining how `received` differs from `expected` (both plan JSON texts)."""
    try:
        expected, received = json.loads(expected_text), json.loads(received_text)
    except ValueError:
        return list(difflib.unified_diff(expected_text.splitlines(), received_text.splitlines()))
    lines: list[str] = []
    current = ""
    for path, before, after in _changes(expected, received, ()):
        address, rest = _address(path)
        if address != current:
            lines.append(f"plan change in {address}:")
            current = address
        lines += _describe(".".join(map(str, rest)) or "(whole)", before, after)
    return [*lines, *ACCEPT] if lines else []


def _changes(
    before: Any, after: Any, path: tuple[Any, ...]
) -> Iterator[tuple[tuple[Any, ...], Any, Any]]:
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after), key=str):
            yield from _changes(before.get(key, _MISSING), after.get(key, _MISSING), (*path, key))
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            yield from _changes(old, new, (*path, index))
    elif before != after and _json(before) is not None and _json(after) is not None:
        # JSON carried in a string (a terraform_data input): compared as JSON, not as one line
        yield from _changes(_json(before), _json(after), path)
    elif before != after:
        yield path, before, after


def _address(path: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
    """`resource.<type>.<name>` -> the Terraform address, and the path inside it."""
    if len(path) >= 3 and path[0] in ("resource", "data"):
        prefix = "data." if path[0] == "data" else ""
        return f"{prefix}{path[1]}.{path[2]}", path[3:]
    if len(path) >= 2 and path[0] in ("output", "variable", "provider"):
        return f"{path[0]}.{path[1]}", path[2:]
    return str(path[0]) if path else "(top)", path[1:]


def _describe(where: str, before: Any, after: Any) -> list[str]:
    if before is _MISSING:
        return [f"  + {where}: {_short(after)}"]
    if after is _MISSING:
        return [f"  - {where}: {_short(before)}"]
    if isinstance(before, str) and isinstance(after, str) and _is_long(before, after):
        diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=1)
        body = [f"      {line}" for line in list(diff)[2:]]  # drop the ---/+++ header
        return [f"  ~ {where} (text, line by line):", *body]
    return [f"  ~ {where}: {_short(before)} -> {_short(after)}"]


def _is_long(*texts: str) -> bool:
    return any("\n" in text or len(text) > _SHORT for text in texts)


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= _SHORT else text[: _SHORT - 3] + "..."


def _json(value: Any) -> Any:
    """The object or list a string holds as JSON, else None."""
    if not isinstance(value, str) or not value.startswith(("{", "[")):
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, (dict, list)) else None
