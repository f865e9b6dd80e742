"""Rules that keep secrets out of configs: stack variables and compose files.

A value that is a secret (named like one, or looking like one) is an error unless the config
says, with `plaintext_ok: true` and a `reason`, that it is not a real secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..errors import ConfigProblem
from ..fleet import Fleet
from ..hints import shown
from ..secrets import looks_secret, secret_name
from .context import CheckContext

# `${OTHER}` passes a reference through.
_REFERENCE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$")
_ESCAPE_HATCH = "or, if it is not a real secret, add plaintext_ok: true and a reason"


def no_inline_secrets(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """Stack secrets are `{from_env: NAME}` references, never values in the config."""
    for name, stack in sorted(fleet.stacks.stacks.items()):
        for variable, value in sorted(stack.env.items()):
            text = value.value
            if text is None or value.plaintext_ok or _REFERENCE.match(text):
                continue
            if secret_name(variable) or looks_secret(text):
                why = "is named like a secret" if secret_name(variable) else "looks like a secret"
                yield ConfigProblem(
                    ctx.files.stacks,
                    f"stacks.{name}.env.{variable}",
                    f"{why} but holds a literal value; use {{from_env: VARIABLE}} and set it "
                    f"where the reconcile runs, {_ESCAPE_HATCH}",
                )


def no_secrets_in_compose(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """A compose file refers to secrets as `${VARIABLE}`; it never holds one."""
    for name, stack in sorted(fleet.stacks.stacks.items()):
        compose = fleet.compose.get(name)
        if compose is None or stack.plaintext_ok or not compose.inline_secrets:
            continue
        places = ", ".join(compose.inline_secrets)
        yield ConfigProblem(
            ctx.files.stacks,
            f"stacks.{name}.compose_file",
            f"compose file {compose.path} holds what looks like a literal secret at {places}; "
            "write ${VARIABLE} there and give the stack env {VARIABLE: {from_env: NAME}}, "
            f"{_ESCAPE_HATCH} on the stack",
        )


def no_credentials_in_probes(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """A health probe is written to the plan and sent in clear: its query carries no secret."""
    for name, stack in sorted(fleet.stacks.stacks.items()):
        for index, probe in enumerate(stack.health.probes):
            query = probe.path.partition("?")[2]
            for pair in query.split("&") if query else []:
                key, _, value = pair.partition("=")
                if secret_name(key.replace("-", "_")) or looks_secret(value):
                    yield ConfigProblem(
                        ctx.files.stacks,
                        f"stacks.{name}.health.probes.{index}.path",
                        f"query parameter {shown(key)} looks like a credential; a probe carries "
                        "none (it is written to the plan and sent in clear): probe a path that "
                        "answers without one, such as Qdrant's /healthz",
                    )
                    break
