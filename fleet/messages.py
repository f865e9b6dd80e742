"""Pydantic errors turned into what a person editing a config needs: the dotted field path as
written in the file and one plain sentence that shows the bad value.

No regex patterns, no union-member tags, no "Value error," prefixes, no class names.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from .documents import kind_of
from .hints import closest, did_you_mean, listing, shown
from .secrets import looks_secret, secret_name

Location = tuple[str | int, ...]

# Built-in pydantic errors already worded well enough, keyed by type, as templates.
_WORDING: dict[str, str] = {
    "missing": "required",
    "bool_type": "should be true or false",
    "bool_parsing": "should be true or false",
    "int_type": "should be a whole number",
    "int_parsing": "should be a whole number",
    "int_from_float": "should be a whole number",
    "float_type": "should be a number",
    "float_parsing": "should be a number",
    "string_type": "should be text (put it in quotes)",
    "list_type": "should be a list",
    "tuple_type": "should be a list",
    "dict_type": "should be a mapping of keys to values",
    "model_type": "should be a mapping of keys to values",
    "model_attributes_type": "should be a mapping of keys to values",
    "ip_v4_address": "is not an IPv4 address like 10.0.0.1",
    "ip_v4_network": "is not an IPv4 network like 10.0.0.0/24",
    "ip_v4_interface": "is not an IPv4 address with prefix length like 10.0.0.5/24",
    "string_pattern_mismatch": "does not have the expected form",
}


def describe(
    detail: ErrorDetails, data: Any, model: type[BaseModel], secrets_hint: str
) -> tuple[Location, str]:
    """The location (as written in `data`) and the message for one pydantic error."""
    location = clean_location(detail["loc"], data, model)
    kind = detail["type"]
    value = detail.get("input")
    if kind == "extra_forbidden":
        return location, _unknown_key(str(location[-1]), location[:-1], model, secrets_hint)
    if kind == "invalid_key":  # a number where a field name belongs
        return location, _unknown_key(str(value), location[:-1], model, secrets_hint)
    if kind == "missing":
        return location, "required"
    if kind in ("literal_error", "enum"):
        return location, _not_a_choice(value, str(detail.get("ctx", {}).get("expected", "")))
    if kind in ("too_short", "string_too_short"):
        return location, _too_short(kind, detail.get("ctx", {}))  # the value is the empty one
    if kind == "string_too_long":
        message = f"is longer than {detail.get('ctx', {}).get('max_length')} characters"
    elif kind.startswith("url_"):
        reason = detail["msg"].split(", ", 1)[-1]
        message = f"should be a URL like https://host/path: {reason}"
    elif kind in ("value_error", "assertion_error"):
        message = detail["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if _mentions(message, value):
            return location, message
    else:
        message = _WORDING.get(kind, detail["msg"])
    if isinstance(value, (dict, list)) or value is None:
        return location, f"{message} (got {kind_of(value)})"
    if looks_secret(value):
        return location, message  # never echo a secret into a terminal or a CI log
    return location, f"{message} (got {shown(value)})"


def clean_location(loc: Location, data: Any, model: type[BaseModel]) -> Location:
    """`loc` without pydantic's bookkeeping parts: `[key]` markers and union-member tags.

    A part is kept when it names a field of the model at that point, or a key or index the
    document really has; anything else is a tag pydantic added."""
    parts: list[str | int] = []
    annotation: Any = model
    node: Any = data
    for part in loc:
        if part == "[key]":
            continue
        current = unwrap(annotation)
        if _is_model(current) and isinstance(part, str) and part in current.model_fields:
            annotation = current.model_fields[part].annotation
        elif typing.get_origin(current) is dict and (not isinstance(node, dict) or part in node):
            annotation = typing.get_args(current)[1]
        elif typing.get_origin(current) is list and isinstance(part, int):
            annotation = typing.get_args(current)[0]
        elif isinstance(node, dict) and part in node:
            annotation = None  # an unknown key, reported as such
        else:
            continue
        parts.append(part)
        node = _child(node, part)
    return tuple(parts)


def allowed_keys(model: type[BaseModel], path: Location) -> list[str]:
    """Field names of the model found by walking `path` down from `model`."""
    current = _model_at(model, path)
    return list(current.model_fields) if current is not None else []


def _model_at(model: type[BaseModel], path: Location) -> type[BaseModel] | None:
    """The model found by walking `path` down from `model`, if the path ends at one."""
    annotation: Any = model
    for part in path:
        current = unwrap(annotation)
        if _is_model(current):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            annotation = field.annotation
        elif typing.get_origin(current) is dict:
            annotation = typing.get_args(current)[1]
        elif typing.get_origin(current) is list:
            annotation = typing.get_args(current)[0]
        else:
            return None
    current = unwrap(annotation)
    return current if _is_model(current) else None


def unwrap(annotation: Any) -> Any:
    """Strip Annotated[...] and Optional/Union down to the container or model inside."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            structured = [
                arg for arg in members if typing.get_origin(arg) in (dict, list) or _is_model(arg)
            ]
            annotation = (structured or members)[0]
        else:
            return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _child(node: Any, part: str | int) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def _unknown_key(key: str, parent: Location, model: type[BaseModel], secrets_hint: str) -> str:
    # A model may name keys people write by mistake, with what to do instead.
    refused: dict[str, str] = getattr(_model_at(model, parent), "refused_keys", {})
    if key in refused:
        return refused[key]
    if secret_name(key):
        return f"unknown key {shown(key)}: secrets never go in config files; {secrets_hint}"
    allowed = allowed_keys(model, parent)
    match = closest(key, allowed)
    if match is not None:
        return f"unknown key {shown(key)}; did you mean {match!r}?"
    if allowed:
        return f"unknown key {shown(key)} (allowed: {listing(sorted(allowed))})"
    return f"unknown key {shown(key)}"


def _not_a_choice(value: Any, expected: str) -> str:
    choices = re.findall(r"'([^']*)'", expected)
    return f"{shown(value)} is not one of {listing(choices)}{did_you_mean(value, choices)}"


def _too_short(kind: str, ctx: dict[str, Any]) -> str:
    minimum = ctx.get("min_length", 1)
    if kind == "string_too_short":
        return "must not be empty" if minimum == 1 else f"needs at least {minimum} characters"
    return "must not be empty" if minimum == 1 else f"needs at least {minimum} entries"


def _mentions(message: str, value: Any) -> bool:
    """True when a custom message already shows the value (or the value is not worth showing)."""
    if isinstance(value, (dict, list)) or value is None:
        return True
    return shown(value) in message or str(value) in message
