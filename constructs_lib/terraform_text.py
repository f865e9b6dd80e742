"""Putting arbitrary text into Terraform configuration without Terraform rewriting it."""

from __future__ import annotations


def literal(text: str) -> str:
    """Escape Terraform's template syntax so `text` reaches the provider unchanged.

    Terraform evaluates `${...}` interpolations and `%{...}` directives in every string of a
    configuration, JSON included; compose files and scripts use `${VAR}` for their own purposes.
    """
    return text.replace("${", "$${").replace("%{", "%%{")


def literal_deep(value: object) -> object:
    """`literal` applied to every string inside nested lists and dicts (keys included)."""
    if isinstance(value, str):
        return literal(value)
    if isinstance(value, dict):
        return {literal_deep(key): literal_deep(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [literal_deep(item) for item in value]
    return value
