"""`gateway.yaml`: the Nginx reverse proxy and its routes to services on guests."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from .base import ConfigModel
from .types import GuestName, Matches, Port

RoutePath = Annotated[
    str,
    Matches(
        # Nginx drops '.' and '..' segments before matching: such a route could never match.
        r"/((?!\.\.?/)[A-Za-z0-9._~-]+/)*",
        "route path",
        "a URL prefix that starts and ends with '/', like /qdrant/, without '.' or '..' parts",
    ),
]

VirtualHost = Annotated[
    str,
    Matches(
        r"([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*",
        "host name",
        "a fully qualified lower-case name like portainer.phoenix.local",
    ),
]


class Upstream(ConfigModel):
    """Where a route sends traffic."""

    guest: GuestName
    """Name of the guest serving it (it needs a static address)."""
    port: Port
    """TCP port on that guest; it must be declared (a stack's published port, a role's port,
    or the guest's `ports`)."""
    scheme: Literal["http", "https"] = "http"
    """Protocol towards the upstream. Default: http."""


class Route(ConfigModel):
    """A path prefix and/or virtual host forwarded to an upstream."""

    path: RoutePath | None = None
    """URL prefix such as `/qdrant/`; stripped before proxying. Default: `/` on the host."""
    host: VirtualHost | None = None
    """Virtual host name such as `portainer.phoenix.local`. Default: the gateway's default
    site, whatever host name a request carries."""
    to: Upstream
    """The upstream service."""

    @model_validator(mode="after")
    def _path_or_host(self) -> Route:
        if self.path is None and self.host is None:
            raise ValueError("a route needs a path, a host, or both")
        return self


class GatewayConfig(ConfigModel):
    """Contents of `gateway.yaml`: the Nginx gateway container and its routes."""

    guest: GuestName
    """Name of the container running Nginx (it needs a static address)."""
    listen_port: Port = 80
    """Port Nginx listens on. Default: 80."""
    routes: list[Route] = Field(min_length=1)
    """Routes, matched by host and then by the longest path prefix."""
