"""`stacks.yaml`: the catalog of Docker compose stacks guests can run through Portainer."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from .base import ConfigModel
from .types import EnvName


class StackVariable(ConfigModel):
    """A stack variable: a plain value (`LOG_LEVEL: INFO`) or a secret reference
    (`API_KEY: {from_env: QDRANT_API_KEY}`) resolved, at reconcile time, from the environment of
    the machine running `python -m portainer reconcile`. Secret values never enter configs,
    plans, state or outputs."""

    value: str | None = None
    """The value, for plain variables."""
    from_env: EnvName | None = None
    """Environment variable holding a secret value, e.g. `QDRANT_API_KEY`."""

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
        return self


class StackSpec(ConfigModel):
    """One compose stack."""

    compose_file: str = Field(min_length=1)
    """Compose file, relative to the config directory (e.g. `stacks/qdrant/compose.yaml`)."""
    description: str | None = None
    """Default: none."""
    env: dict[EnvName, StackVariable] = {}
    """Stack variables for `${VAR}` interpolation in the compose file: a plain value, or
    `{from_env: NAME}` for secrets. Default: none."""


class StacksConfig(ConfigModel):
    """Contents of `stacks.yaml`."""

    stacks: dict[str, StackSpec] = {}
    """Stacks by name. The name is what Portainer shows: lower case, `[-_a-z0-9]` only."""
