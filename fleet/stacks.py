"""`stacks.yaml`: the catalog of Docker compose stacks guests can run through Portainer."""

# Pydantic copies mutable defaults for every instance, so `= []` and `= {}` are safe here.
# ruff: noqa: RUF012

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Annotated, Any

from pydantic import (
    Field,
    GetJsonSchemaHandler,
    StrictBool,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from .base import ConfigModel
from .hints import shown
from .types import EnvName, Matches, Port, StackName

# Phoenix marks the stacks it owns with env vars of its own (see portainer/desired.py).
RESERVED_ENV_PREFIX = "PHOENIX_"


def _check_plaintext_ok(plaintext_ok: bool, reason: str | None, *, literal: bool) -> None:
    if plaintext_ok and not literal:
        raise ValueError("plaintext_ok only applies to a literal value, not to from_env")
    if plaintext_ok and reason is None:
        raise ValueError("plaintext_ok: true needs a reason saying why the value is not secret")
    if reason is not None and not plaintext_ok:
        raise ValueError("reason only goes with plaintext_ok: true")


class StackVariable(ConfigModel):
    """A stack variable: a plain value (`LOG_LEVEL: INFO`) or a secret reference
    (`API_KEY: {from_env: QDRANT_API_KEY}`) resolved, at reconcile time, from the environment of
    the machine running `python -m portainer reconcile`. Secret values never enter configs,
    plans, state or outputs."""

    value: str | None = None
    """The value, for plain variables. Default: none, then `from_env` is required."""
    from_env: EnvName | None = None
    """Environment variable holding a secret value, e.g. `QDRANT_API_KEY`. Default: none, then
    `value` is required."""
    plaintext_ok: StrictBool = False
    """Accept a literal `value` although the variable is named like a secret (a throwaway
    test password, say); needs a `reason`. Default: false, such values are errors."""
    reason: Annotated[str, Field(min_length=1)] | None = None
    """Why `plaintext_ok` is safe here, for reviewers. Default: no reason, and then
    `plaintext_ok` must stay false."""

    @model_validator(mode="before")
    @classmethod
    def _plain_scalar(cls, data: Any) -> Any:
        # YAML gives `PORT: 8080` or `DEBUG: true` as numbers and booleans; compose wants text.
        if isinstance(data, bool):
            return {"value": "true" if data else "false"}
        if isinstance(data, (str, int, float)):
            return {"value": str(data)}
        return data

    @model_validator(mode="after")
    def _one_source(self) -> StackVariable:
        if (self.value is None) == (self.from_env is None):
            raise ValueError("give a value, or {from_env: VARIABLE} for a secret")
        _check_plaintext_ok(self.plaintext_ok, self.reason, literal=self.value is not None)
        return self

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # Editors must accept the short form `NAME: text` as well as the mapping.
        mapping = dict(handler.resolve_ref_schema(handler(schema)))
        mapping.update(minProperties=1)
        return {
            "anyOf": [
                {"type": ["string", "number", "boolean"]},
                mapping,
            ],
            "description": cls.__doc__,
        }


ProbePath = Annotated[
    str,
    Matches(
        r"/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*",
        "probe path",
        "a URL path starting with '/', optionally with a query, like /healthz or /ready?full=1",
    ),
]

HttpStatus = Annotated[int, Field(strict=True, ge=100, le=599)]


class HttpProbe(ConfigModel):
    """An HTTP request the stack must answer once it is up. It is sent from the machine that
    runs the reconcile, the way a user reaches the service: through every gateway route to the
    probe's port on this guest, or straight to the guest when no route leads there."""

    port: Port
    """Host port the stack publishes (`ports:` in its compose file)."""
    path: ProbePath = "/"
    """Path requested, e.g. `/healthz`; behind a route it follows the route's prefix
    (`/qdrant/healthz`). Default: `/`."""
    status: HttpStatus = 200
    """The HTTP status that means up. Default: 200."""


class StackHealth(ConfigModel):
    """What "up" means for a stack. The reconcile always waits until every service the
    compose file starts is running, and healthy when it has a health check; probes add HTTP
    answers that must come back."""

    probes: list[HttpProbe] = []
    """HTTP probes, each through the gateway when a route leads to its port. Default: none,
    the running (and healthy) services are enough."""


class StackSpec(ConfigModel):
    """One compose stack."""

    compose_file: str = Field(min_length=1)
    """Compose file, relative to the config directory (e.g. `stacks/qdrant/compose.yaml`)."""
    description: str | None = None
    """What the stack is for, for people reading the config. Default: no description."""
    env: dict[EnvName, StackVariable] = {}
    """Stack variables for `${VAR}` interpolation in the compose file: a plain value, or
    `{from_env: NAME}` for secrets. Default: no variables."""
    health: StackHealth = StackHealth()
    """What "up" means, checked after every deploy. Default: every service the compose file
    starts is running (and healthy when it has a health check), no HTTP probe."""
    plaintext_ok: StrictBool = False
    """Accept what looks like a literal secret inside the compose file (a demo password, a
    public test key); needs a `reason`. Default: false, such values are errors."""
    reason: Annotated[str, Field(min_length=1)] | None = None
    """Why `plaintext_ok` is safe here, for reviewers. Default: no reason, and then
    `plaintext_ok` must stay false."""

    @model_validator(mode="after")
    def _explained(self) -> StackSpec:
        _check_plaintext_ok(self.plaintext_ok, self.reason, literal=True)
        return self

    @field_validator("compose_file")
    @classmethod
    def _inside_config_dir(cls, value: str) -> str:
        path = PurePosixPath(value)
        unprintable = any(not character.isprintable() for character in value)
        if path.is_absolute() or ".." in path.parts or "\\" in value or unprintable:
            raise ValueError(
                f"{shown(value)} must be a relative path inside the config directory, "
                "like stacks/<name>/compose.yaml"
            )
        return value

    @field_validator("env")
    @classmethod
    def _not_reserved(cls, env: dict[str, StackVariable]) -> dict[str, StackVariable]:
        reserved = sorted(name for name in env if name.upper().startswith(RESERVED_ENV_PREFIX))
        if reserved:
            raise ValueError(
                f"{', '.join(reserved)}: names starting with {RESERVED_ENV_PREFIX} are reserved "
                "for the markers Phoenix sets on its stacks"
            )
        return env


class StacksConfig(ConfigModel):
    """Contents of `stacks.yaml`: the compose stacks agents can run, by name."""

    stacks: dict[StackName, StackSpec] = {}
    """Stacks by name. The name is what Portainer shows: lower case, `[-_a-z0-9]` only.
    Default: no stacks."""
