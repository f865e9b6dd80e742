"""Reading config documents strictly: YAML 1.2 scalars, no duplicate keys, clear positions."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml


class DocumentError(ValueError):
    """The file cannot be parsed; the message gives the line and column when known."""


class _StrictYamlLoader(yaml.SafeLoader):
    """YAML as people expect it today (YAML 1.2 core scalars): `on`, `no` and `12:30` stay
    strings, and a key written twice is an error instead of silently winning."""


# PyYAML implements YAML 1.1, where yes/no/on/off are booleans and 1:30 is a base-60 number.
_YAML11_SCALARS = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
_StrictYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag not in _YAML11_SCALARS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _tag, _pattern, _first in (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+.0123456789",
    ),
):
    _StrictYamlLoader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


def _mapping_without_duplicates(loader: _StrictYamlLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            mark = key_node.start_mark
            raise DocumentError(f"line {mark.line + 1}, column {mark.column + 1}: key {key!r} appears twice")
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_StrictYamlLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


def _json_object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DocumentError(f"key {key!r} appears twice")
        result[key] = value
    return result


def parse_document(path: Path) -> dict[str, Any]:
    """The top-level mapping of a `.yaml`, `.yml` or `.json` file (empty file: `{}`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DocumentError(f"cannot be read: {error}") from None
    try:
        if path.suffix == ".json":
            document = json.loads(text, object_pairs_hook=_json_object_without_duplicates)
        else:
            document = yaml.load(text, Loader=_StrictYamlLoader)  # noqa: S506 - a SafeLoader
    except json.JSONDecodeError as error:
        raise DocumentError(f"line {error.lineno}, column {error.colno}: {error.msg}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise DocumentError(f"{where}{problem}") from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise DocumentError("must be a mapping of keys to values at the top level")
    return document
