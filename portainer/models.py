"""Typed views of the Portainer objects the client reads (field names as the API spells them).

Only the fields Phoenix uses are declared; everything else in a response is ignored, so newer
servers that add fields keep working.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Api(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class EndpointType(IntEnum):
    """``Endpoint.Type`` (not the same enum as ``EndpointCreationType``)."""

    DOCKER = 1
    AGENT_ON_DOCKER = 2
    AZURE = 3
    EDGE_AGENT_ON_DOCKER = 4
    LOCAL_KUBERNETES = 5
    AGENT_ON_KUBERNETES = 6
    EDGE_AGENT_ON_KUBERNETES = 7


class StackStatus(IntEnum):
    """``Stack.Status``; 3 and 4 come with the async deploy model of Portainer 2.4x."""

    ACTIVE = 1
    INACTIVE = 2
    DEPLOYING = 3
    ERROR = 4


class StackType(IntEnum):
    """``Stack.Type``."""

    SWARM = 1
    COMPOSE = 2
    KUBERNETES = 3


class Pair(_Api):
    """``portainer.Pair``: a stack env entry (lower-case json tags)."""

    name: str
    value: str = ""


class TLSConfiguration(_Api):
    """``portainer.TLSConfiguration`` (only the flags Phoenix manages)."""

    TLS: bool = False
    TLSSkipVerify: bool = False


class Endpoint(_Api):
    """``portainer.Endpoint`` (an environment)."""

    Id: int
    Name: str
    Type: int
    URL: str = ""
    GroupId: int = 1
    Status: int = 0
    TLSConfig: TLSConfiguration = Field(default_factory=TLSConfiguration)

    @field_validator("TLSConfig", mode="before")
    @classmethod
    def _null_tls(cls, value: Any) -> Any:
        return {} if value is None else value


class StackDeploymentStatus(_Api):
    """One entry of ``Stack.DeploymentStatus`` (``Message`` is set on errors)."""

    Status: int = 0
    Time: int = 0
    Message: str = ""


class Stack(_Api):
    """``portainer.Stack`` / ``stacks.stackResponse``."""

    Id: int
    Name: str
    Type: int = StackType.COMPOSE
    EndpointId: int
    Status: int = StackStatus.ACTIVE
    Env: tuple[Pair, ...] = ()
    DeploymentStatus: tuple[StackDeploymentStatus, ...] = ()

    @field_validator("Env", "DeploymentStatus", mode="before")
    @classmethod
    def _null_list(cls, value: Any) -> Any:
        # Go encodes a nil slice as null.
        return () if value is None else value

    def env_value(self, name: str) -> str | None:
        """The value of stack env var ``name``, or None when absent."""
        for pair in self.Env:
            if pair.name == name:
                return pair.value
        return None

    def last_error(self) -> str:
        """The message of the newest deployment-status entry that has one."""
        for entry in reversed(self.DeploymentStatus):
            if entry.Message:
                return entry.Message
        return "no message from Portainer"


class StackFile(_Api):
    """``stacks.stackFileResponse``."""

    StackFileContent: str


class SystemStatus(_Api):
    """``system.status``."""

    Version: str = ""
    InstanceID: str = ""


class PublicSettings(_Api):
    """The part of ``settings.publicSettingsResponse`` the admin bootstrap needs."""

    RequiredPasswordLength: int = 12
    RequiresSetupToken: bool = False


class AuthResponse(_Api):
    """``auth.authenticateResponse``."""

    jwt: str
