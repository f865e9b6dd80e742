"""`gateway.yaml`: the Nginx reverse proxy and its routes to services on guests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import Field, PlainValidator, StrictBool, WithJsonSchema, model_validator

from gateway import syntax

from .base import ConfigModel
from .documents import kind_of
from .types import GuestName, Port


def _syntax(check: Callable[[str], str | None]) -> Callable[[object], str]:
    """A validator from one of the gateway renderer's own word rules (gateway/syntax.py), so
    the config accepts exactly what the renderer can write."""

    def validate(value: object) -> str:
        if not isinstance(value, str):
            raise ValueError(f"should be text (got {kind_of(value)})")
        problem = check(value.strip())
        if problem is not None:
            raise ValueError(problem)
        return value.strip()

    return validate


RoutePath = Annotated[
    str,
    PlainValidator(_syntax(syntax.path_problem)),
    WithJsonSchema({"type": "string", "pattern": r"^/((?!\.\.?/)[A-Za-z0-9._~-]+/)*$"}),
]
"""A URL prefix that starts and ends with '/', like /qdrant/, without '.' or '..' parts."""

VirtualHost = Annotated[
    str,
    PlainValidator(_syntax(syntax.host_problem)),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": 253,
            "pattern": r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+"
            r"[a-z]([a-z0-9-]{0,61}[a-z0-9])?$",
        }
    ),
]
"""A fully qualified lower-case name like portainer.phoenix.local (labels of at most 63
characters, not starting or ending with '-')."""


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
    strip_path: StrictBool = True
    """Remove `path` from the request before proxying (`/qdrant/collections` reaches the
    upstream as `/collections`); false forwards the request path unchanged, for services that
    serve under that prefix themselves (an OpenAI-style API under `/v1/`). Default: true."""
    host: VirtualHost | None = None
    """Virtual host name such as `portainer.phoenix.local`. Default: the gateway's default
    site, whatever host name a request carries."""
    to: Upstream
    """The upstream service."""

    @model_validator(mode="after")
    def _path_or_host(self) -> Route:
        if self.path is None and self.host is None:
            raise ValueError("a route needs a path, a host, or both")
        if not self.strip_path and self.path is None:
            raise ValueError("strip_path: false only applies to a route with a path")
        return self


class GatewayConfig(ConfigModel):
    """Contents of `gateway.yaml`: the Nginx gateway container and its routes."""

    guest: GuestName
    """Name of the container running Nginx (it needs a static address)."""
    listen_port: Port = 80
    """Port Nginx listens on. Default: 80."""
    routes: list[Route] = Field(min_length=1)
    """Routes, matched by host and then by the longest path prefix."""
