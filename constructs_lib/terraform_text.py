"""Putting arbitrary text into Terraform configuration without Terraform rewriting it."""

from __future__ import annotations


def literal(text: str) -> str:
    """Escape Terraform's template syntax so `text` reaches the provider unchanged.

    Terraform evaluates `${...}` interpolations and `%{...}` directives in every string of a
    configuration, JSON included; compose files and scripts use `${VAR}` for their own purposes.
    """
    return text.replace("${", "$${").replace("%{", "%%{")
