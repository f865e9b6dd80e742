"""Edits to a copy of a config directory by field, not by exact text.

A test that changes VM 1002's memory names `vms.1002.memory_mib`, so an unrelated edit to
`configs/` (a comment, another field on the same guest, reordered keys) does not break it. The
files are rewritten round-trip (ruamel.yaml): comments, key order, flow style and quoting of
everything the edit does not touch stay as they were, so a one-field edit is a one-line diff.

Paths are dotted: mapping keys as written (`1002` finds the integer key 1002), list items by
index (`routes.0.to.port`).
"""

from __future__ import annotations

import io
from collections.abc import Callable, MutableMapping, MutableSequence
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

Mutation = Callable[[Path], None]
"""Changes a config directory in place."""

_MISSING = object()


def set_field(file: str, path: str, value: Any) -> Mutation:
    """Set `path` in `file` to `value` (a new last key when the mapping lacks it)."""

    def change(parent: Any, key: Any) -> None:
        parent[key] = value

    return _edit(file, path, change, must_exist=False)


def update_field(file: str, path: str, derive: Callable[[Any], Any]) -> Mutation:
    """Set `path` in `file` to `derive(current value)`."""

    def change(parent: Any, key: Any) -> None:
        parent[key] = derive(parent[key])

    return _edit(file, path, change)


def remove_field(file: str, path: str) -> Mutation:
    """Delete `path` from `file`; it must be there."""
    return _edit(file, path, lambda parent, key: parent.__delitem__(key))


def append_item(file: str, path: str, item: Any) -> Mutation:
    """Append `item` to the list at `path`."""
    return _edit(file, path, lambda parent, key: parent[key].append(item))


def rename_key(file: str, path: str, new_key: Any) -> Mutation:
    """Give the entry at `path` the key `new_key`, in the same place, keeping its value."""

    def change(parent: Any, key: Any) -> None:
        position = list(parent).index(key)
        value = parent.pop(key)
        parent.insert(position, new_key, value)

    return _edit(file, path, change)


def replace_text(file: str, old: str, new: str) -> Mutation:
    """Replace the one occurrence of `old` (for text that is not YAML, or a broken file)."""

    def mutate(root: Path) -> None:
        target = root / file
        text = target.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} must occur once in {file}"
        target.write_text(text.replace(old, new), encoding="utf-8")

    return mutate


def set_raw(file: str, path: str, text: str) -> Mutation:
    """Write `text` verbatim in place of the plain scalar at `path` (YAML no dumper would
    write: a 5,000-digit number, a quoted number), leaving every other byte alone."""

    def mutate(root: Path) -> None:
        target = root / file
        lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
        number, column = _position(root, file, path, value=True)
        line = lines[number - 1]
        start = column - 1
        end = start
        while end < len(line) and line[end] not in " ,}]#\n":
            end += 1
        lines[number - 1] = line[:start] + text + line[end:]
        target.write_text("".join(lines), encoding="utf-8")

    return mutate


def line_of(root: Path, file: str, path: str) -> int:
    """The 1-based line where the key at `path` is written (for expected messages)."""
    return _position(root, file, path, value=False)[0]


def value_position(root: Path, file: str, path: str) -> tuple[int, int]:
    """The 1-based line and column where the value at `path` starts."""
    return _position(root, file, path, value=True)


def _position(root: Path, file: str, path: str, *, value: bool) -> tuple[int, int]:
    document = _yaml().load((root / file).read_text(encoding="utf-8"))
    parent, key = _locate(document, path.split("."), file, must_exist=True)
    marks: Any = parent.lc  # ruamel's round-trip containers know where each entry was read
    if isinstance(parent, MutableSequence):
        line, column = marks.item(key)
    else:
        line, column = marks.value(key) if value else marks.key(key)
    return line + 1, column + 1


def read_field(root: Path, file: str, path: str) -> Any:
    """The value at `path` in `file` under `root` (for building an edit from what is there)."""
    document = _yaml().load((root / file).read_text(encoding="utf-8"))
    parent, key = _locate(document, path.split("."), file, must_exist=True)
    return parent[key]


def _edit(
    file: str, path: str, change: Callable[[Any, Any], None], *, must_exist: bool = True
) -> Mutation:
    def mutate(root: Path) -> None:
        target = root / file
        yaml = _yaml()
        document = yaml.load(target.read_text(encoding="utf-8"))
        parent, key = _locate(document, path.split("."), file, must_exist=must_exist)
        change(parent, key)
        out = io.StringIO()
        yaml.dump(document, out)
        target.write_text(out.getvalue(), encoding="utf-8")

    return mutate


def _yaml() -> YAML:
    yaml = YAML()  # round-trip
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line the file did not fold
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _locate(document: Any, parts: list[str], file: str, *, must_exist: bool) -> tuple[Any, Any]:
    """The container holding the last part of the path, and that part as its key."""
    node = document
    for depth, part in enumerate(parts):
        key = _key(node, part)
        last = depth == len(parts) - 1
        found = _get(node, key)
        if found is _MISSING and (not last or must_exist):
            where = ".".join(parts[: depth + 1])
            raise AssertionError(f"{file} has no {where}")
        if last:
            return node, key
        node = found
    raise AssertionError("an empty path")


def _key(node: Any, part: str) -> Any:
    if isinstance(node, MutableSequence):
        return int(part)
    if isinstance(node, MutableMapping) and part.isdigit() and int(part) in node:
        return int(part)
    return part


def _get(node: Any, key: Any) -> Any:
    try:
        return node[key]
    except (KeyError, IndexError, TypeError):
        return _MISSING
