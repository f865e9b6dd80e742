"""Reading config documents strictly: YAML 1.2 scalars, no duplicate keys, clear positions."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path
from typing import Any

import yaml

from .hints import shown


class DocumentError(ValueError):
    """The file cannot be parsed; the message gives the line and column when known."""


MAX_DOCUMENT_BYTES = 1024 * 1024
"""A config or compose file larger than this is refused unread (the biggest fleets' files are
tens of KiB)."""
MAX_EXPANDED_VALUES = 100_000
"""Aliases may share settings, not multiply a document: past this many values once every
alias is expanded, the document is refused (a "billion laughs" would take minutes)."""
MAX_NUMBER_DIGITS = 30
"""No config value needs a longer number; Python would refuse past 4300 digits anyway."""


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
    if len(text.lstrip("+-")) > MAX_NUMBER_DIGITS:
        mark = node.start_mark
        raise DocumentError(
            f"line {mark.line + 1}, column {mark.column + 1}: a number of "
            f"{len(text.lstrip('+-'))} digits is too long (at most {MAX_NUMBER_DIGITS})"
        )
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
        if isinstance(key, (list, dict)):
            raise DocumentError(
                f"line {mark.line + 1}, column {mark.column + 1}: a key must be text or a "
                f"number, not {kind_of(key)}"
            )
        if key in first_line:
            raise DocumentError(
                f"line {mark.line + 1}, column {mark.column + 1}: key {shown(key)} appears twice "
                f"(first on line {first_line[key]})"
            )
        first_line[key] = mark.line + 1
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
            raise DocumentError(f"key {shown(key)} appears twice in one object")
        result[key] = value
    return result


def load_yaml(text: str) -> Any:
    """Parse YAML text strictly; raises DocumentError with `line L, column C: problem`."""
    if _FastStrictYamlLoader is not None:
        with contextlib.suppress(yaml.YAMLError):  # re-read below for the usual message
            return _load(text, _FastStrictYamlLoader)
    try:
        return _load(text, StrictYamlLoader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.MarkedYAMLError as error:
        raise DocumentError(_yaml_message(error)) from None
    except yaml.YAMLError as error:
        raise DocumentError(str(error)) from None


def _load(text: str, loader_class: type[Any]) -> Any:
    """Compose the document, refuse one that aliases would blow up, then build it."""
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_expansion(root: yaml.Node) -> None:
    """Count the values the document holds once aliases are expanded (a shared node counts
    each time it is used), without expanding anything."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            if sizes[key] > MAX_EXPANDED_VALUES:
                mark = node.start_mark
                raise DocumentError(
                    f"line {mark.line + 1}, column {mark.column + 1}: aliases expand the "
                    f"document past {MAX_EXPANDED_VALUES:,} values; write it out instead"
                )
            continue
        if key in sizes:
            continue
        if key in on_path:
            mark = node.start_mark
            raise DocumentError(
                f"line {mark.line + 1}, column {mark.column + 1}: an alias refers to the "
                "value that contains it"
            )
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


_UNCLOSED = {
    "while scanning a quoted scalar": "the quote",
    "while parsing a flow sequence": "the '['",
    "while parsing a flow mapping": "the '{'",
}


# The parser's words for the commonest slips, said the way a person fixes them.
_PLAIN = {
    "found character '\\t' that cannot start any token": "a tab cannot indent YAML; use spaces",
    "expected <block end>, but found '<block mapping start>'": (
        "this line is indented differently from the lines before it"
    ),
    "mapping values are not allowed here": (
        "a second ':' on this line; put the value in quotes, or start a new line for a mapping"
    ),
}


def _yaml_message(error: yaml.MarkedYAMLError) -> str:
    """Where the mistake is: an unclosed quote or bracket is reported where it opens, not
    where the parser gave up (often the end of the file)."""
    problem = error.problem or "not valid YAML"
    problem = _PLAIN.get(problem, problem)
    mark, context = error.problem_mark, error.context_mark
    if mark is None:
        return problem
    opened = _UNCLOSED.get(error.context or "")
    if opened and context is not None and context.line < mark.line:
        return (
            f"line {context.line + 1}, column {context.column + 1}: {opened} opened here is "
            f"never closed ({problem} on line {mark.line + 1})"
        )
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"


def load_json(text: str) -> Any:
    """Parse JSON text strictly; raises DocumentError with `line L, column C: problem`."""
    try:
        return json.loads(
            text, object_pairs_hook=_json_object_without_duplicates, parse_int=_json_int
        )
    except json.JSONDecodeError as error:
        raise DocumentError(f"line {error.lineno}, column {error.colno}: {error.msg}") from None
    except _LongNumberError as error:
        line = text.count("\n", 0, max(text.find(error.digits), 0)) + 1
        raise DocumentError(
            f"line {line}: a number of {len(error.digits)} digits is too long "
            f"(at most {MAX_NUMBER_DIGITS})"
        ) from None


class _LongNumberError(Exception):
    def __init__(self, digits: str) -> None:
        self.digits = digits


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise _LongNumberError(text)
    return int(text)


def parse_document(path: Path) -> dict[str, Any]:
    """The top-level mapping of a `.yaml`, `.yml` or `.json` file (empty file: `{}`)."""
    try:
        size = path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise DocumentError(
                f"is {size:,} bytes; config files are limited to {MAX_DOCUMENT_BYTES:,}"
            )
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise DocumentError(f"not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        raise DocumentError(f"cannot be read: {error.strerror or error}") from None
    document = load_json(text) if path.suffix.lower() == ".json" else load_yaml(text)
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
