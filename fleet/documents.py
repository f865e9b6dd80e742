"""Reading config documents strictly: YAML 1.2 scalars, no duplicate keys, clear positions."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path
from typing import Any

import yaml


class DocumentError(ValueError):
    """The file cannot be parsed; the message gives the line and column when known."""


class StrictYamlLoader(yaml.SafeLoader):
    """YAML as people expect it today (YAML 1.2 core scalars): `on`, `no`, `012`, `12:30` and
    `2024-01-01` stay what they look like, and a key written twice is an error instead of
    silently winning."""


# PyYAML implements YAML 1.1: yes/no/on/off are booleans, 1:30 is base 60, 010 is octal and
# dates become datetimes. Keep only the YAML 1.2 core schema's resolvers.
_YAML11_ONLY = {
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:timestamp",
}
StrictYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag not in _YAML11_ONLY]
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
    StrictYamlLoader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


def _yaml12_int(loader: StrictYamlLoader, node: yaml.ScalarNode) -> int:
    # PyYAML reads a leading 0 as octal (YAML 1.1); YAML 1.2 spells octal 0o17.
    text = str(loader.construct_scalar(node))
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


def _mapping_without_duplicates(loader: StrictYamlLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    first_line: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue  # `<<: *defaults`; construct_mapping merges, explicit keys win
        key = loader.construct_object(key_node, deep=True)
        mark = key_node.start_mark
        if key in first_line:
            raise DocumentError(
                f"line {mark.line + 1}, column {mark.column + 1}: key {key!r} appears twice "
                f"(first on line {first_line[key]})"
            )
        try:
            first_line[key] = mark.line + 1
        except TypeError:  # an unhashable key such as a list; construct_mapping explains it
            break
    return loader.construct_mapping(node, deep=True)


StrictYamlLoader.add_constructor("tag:yaml.org,2002:int", _yaml12_int)
StrictYamlLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates
)


# The same rules on libyaml's C parser, about 7x faster on a big guests.yaml. Only valid YAML
# takes this path: a syntax error is read again by the pure-Python loader, so messages stay the
# same wherever PyYAML was built with or without libyaml.
def _libyaml_loader() -> type[yaml.CSafeLoader] | None:
    if not yaml.__with_libyaml__:
        return None

    class FastStrictYamlLoader(yaml.CSafeLoader):
        """`StrictYamlLoader` on libyaml."""

    FastStrictYamlLoader.yaml_implicit_resolvers = StrictYamlLoader.yaml_implicit_resolvers
    FastStrictYamlLoader.yaml_constructors = StrictYamlLoader.yaml_constructors
    return FastStrictYamlLoader


_FastStrictYamlLoader = _libyaml_loader()


def _json_object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DocumentError(f"key {key!r} appears twice in one object")
        result[key] = value
    return result


def load_yaml(text: str) -> Any:
    """Parse YAML text strictly; raises DocumentError with `line L, column C: problem`."""
    if _FastStrictYamlLoader is not None:
        with contextlib.suppress(yaml.YAMLError):  # re-read below for the usual message
            return yaml.load(text, Loader=_FastStrictYamlLoader)  # a CSafeLoader subclass
    try:
        return yaml.load(
            text, Loader=StrictYamlLoader
        )  # a SafeLoader subclass: no arbitrary objects
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise DocumentError(f"{where}{problem}") from None


def parse_document(path: Path) -> dict[str, Any]:
    """The top-level mapping of a `.yaml`, `.yml` or `.json` file (empty file: `{}`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise DocumentError(f"not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        raise DocumentError(f"cannot be read: {error.strerror or error}") from None
    if path.suffix == ".json":
        try:
            document = json.loads(text, object_pairs_hook=_json_object_without_duplicates)
        except json.JSONDecodeError as error:
            raise DocumentError(f"line {error.lineno}, column {error.colno}: {error.msg}") from None
    else:
        document = load_yaml(text)
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise DocumentError(
            f"must be a mapping of keys to values at the top level (got {kind_of(document)})"
        )
    return document


def kind_of(value: object) -> str:
    """A value's kind in the words of YAML and JSON, for messages."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
