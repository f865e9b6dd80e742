"""Rules that keep secrets out of configs: stack variables and compose files."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..errors import ConfigProblem
from ..fleet import Fleet
from ..secrets import looks_secret
from .context import CheckContext

# Variable names and values that are secrets by any reasonable reading.
_SECRET_NAME = re.compile(
    r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL)"
)


# `${OTHER}` passes a reference through; `*_FILE` names a file holding the secret.
_REFERENCE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$")


def no_inline_secrets(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """Stack secrets are `{from_env: NAME}` references, never values in the config."""
    for name, stack in sorted(fleet.stacks.stacks.items()):
        for variable, value in sorted(stack.env.items()):
            text = value.value
            if text is None or _REFERENCE.match(text):
                continue
            secret_name = _SECRET_NAME.search(variable.upper()) and not variable.upper().endswith(
                "_FILE"
            )
            if secret_name or looks_secret(text):
                yield ConfigProblem(
                    ctx.files.stacks,
                    f"stacks.{name}.env.{variable}",
                    "looks like a secret written inline; use {from_env: VARIABLE} and set it "
                    "where the reconcile runs",
                )
