"""The validator kinds the provider uses, with the SDK's wording of their errors.

A validator takes the attribute's key (last path segment, as the SDK names it) and a known,
non-null value, and returns an error summary or None.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Validator = Callable[[str, Any], "str | None"]

# Go's time.ParseDuration: a sequence of decimal numbers with units, optionally signed.
_GO_DURATION = re.compile(r"^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$|^[-+]?0$")


def one_of(*allowed: str, ignore_case: bool = False) -> Validator:
    """validation.StringInSlice."""

    def check(key: str, value: Any) -> str | None:
        candidates = [a.lower() for a in allowed] if ignore_case else list(allowed)
        probe = value.lower() if ignore_case and isinstance(value, str) else value
        if probe in candidates:
            return None
        quoted = " ".join(f'"{a}"' for a in allowed)
        return f"expected {key} to be one of [{quoted}], got {value}"

    return check


def int_between(low: int, high: int) -> Validator:
    """validation.IntBetween."""

    def check(key: str, value: Any) -> str | None:
        if isinstance(value, float) and not value.is_integer():
            return f"expected type of {key} to be integer"
        if low <= value <= high:
            return None
        return f"expected {key} to be in the range ({low} - {high}), got {value}"

    return check


def int_at_least(low: int) -> Validator:
    """validation.IntAtLeast."""

    def check(key: str, value: Any) -> str | None:
        if value >= low:
            return None
        return f"expected {key} to be at least ({low}), got {value}"

    return check


def float_between(low: float, high: float) -> Validator:
    """validation.FloatBetween."""

    def check(key: str, value: Any) -> str | None:
        if low <= value <= high:
            return None
        return f"expected {key} to be in the range ({low:f} - {high:f}), got {value:f}"

    return check


def matches(pattern: str, message: str) -> Validator:
    """validation.StringMatch (Go regexp; the patterns used here mean the same in Python)."""
    compiled = re.compile(pattern)

    def check(key: str, value: Any) -> str | None:
        if compiled.search(value):
            return None
        return f"invalid value for {key} ({message})"

    return check


def length_between(low: int, high: int) -> Validator:
    """validation.StringLenBetween."""

    def check(key: str, value: Any) -> str | None:
        if low <= len(value) <= high:
            return None
        return f"expected length of {key} to be in the range ({low} - {high}), got {value}"

    return check


def go_duration() -> Validator:
    """A value Go's time.ParseDuration accepts."""

    def check(key: str, value: Any) -> str | None:
        if _GO_DURATION.match(value):
            return None
        return f'{key}: time: invalid duration "{value}"'

    return check


def any_of(*validators: Validator) -> Validator:
    """validation.Any: valid when one validator accepts; otherwise every error, joined."""

    def check(key: str, value: Any) -> str | None:
        errors = [v(key, value) for v in validators]
        if any(error is None for error in errors):
            return None
        return "; ".join(e for e in errors if e)

    return check


def custom(predicate: Callable[[Any], bool], message: str) -> Validator:
    """A provider-specific check; `message` may use {key} and {value}."""

    def check(key: str, value: Any) -> str | None:
        if predicate(value):
            return None
        return message.format(key=key, value=value)

    return check


# -- terraform-plugin-framework validators (the `proxmox_*` resources) ---------------------
# Their diagnostics read "Attribute <path> <what is wrong>, got: <value>"; strings are shown
# quoted, as the framework prints a types.String.


def _shown(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value)


def fw_one_of(*allowed: str) -> Validator:
    """stringvalidator.OneOf."""
    quoted = " ".join(f'"{a}"' for a in allowed)

    def check(key: str, value: Any) -> str | None:
        if value in allowed:
            return None
        return f"Attribute {key} value must be one of: [{quoted}], got: {_shown(value)}"

    return check


def fw_regex(pattern: str, message: str) -> Validator:
    """stringvalidator.RegexMatches (Go regexp; these patterns mean the same in Python)."""
    compiled = re.compile(pattern)

    def check(key: str, value: Any) -> str | None:
        if compiled.search(value):
            return None
        return f"Attribute {key} {message}, got: {_shown(value)}"

    return check


def fw_int_between(low: int, high: int) -> Validator:
    """int64validator.Between."""

    def check(key: str, value: Any) -> str | None:
        if low <= value <= high:
            return None
        return f"Attribute {key} value must be between {low} and {high}, got: {value}"

    return check


def fw_length_at_least(low: int) -> Validator:
    """stringvalidator.UTF8LengthAtLeast."""

    def check(key: str, value: Any) -> str | None:
        if len(value) >= low:
            return None
        return f"Attribute {key} UTF-8 character count must be at least {low}, got: {len(value)}"

    return check


def fw_parse(parse: Callable[[str], object], description: str) -> Validator:
    """The provider's validators.NewParseValidator: valid when `parse` raises nothing."""

    def check(key: str, value: Any) -> str | None:
        try:
            parse(value)
        except ValueError:
            return f"Attribute {key} {description}, got: {_shown(value)}"
        return None

    return check


def fw_map(
    *, at_least: int = 0, keys: Validator | None = None, values: Validator | None = None
) -> Validator:
    """mapvalidator.SizeAtLeast, KeysAre and ValueInt64sAre on a whole map."""

    def check(key: str, value: Any) -> str | None:
        if len(value) < at_least:
            return (
                f"Attribute {key} map must contain at least {at_least} elements, got: {len(value)}"
            )
        for name, item in sorted(value.items()):
            problem = keys(f'{key}["{name}"]', name) if keys else None
            if problem is None and values is not None and item is not None:
                problem = values(f'{key}["{name}"]', item)
            if problem:
                return problem
        return None

    return check
