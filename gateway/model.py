"""The declared routes: small frozen dataclasses, checked as a whole when a site is built.

`Upstream` and `Route` are plain values; `GatewaySite` checks itself and every route in it when
it is constructed and raises one `GatewaySiteError` that lists every problem it found, so a
config with three mistakes is fixed in one round.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from . import syntax

Scheme = Literal["http", "https"]
"""Protocol from the gateway to an upstream."""

DEFAULT_CLIENT_MAX_BODY_SIZE_MIB = 1024
"""Default request body limit. Qdrant snapshot uploads and Portainer backups or image imports
run to hundreds of MiB; Nginx's own default (1 MiB) would reject them with 413."""

DEFAULT_READ_TIMEOUT_SECONDS = 300
"""Default time Nginx waits between two reads from an upstream. Long enough for a quiet
WebSocket (Portainer's container console) or a slow Qdrant snapshot; Nginx's default is 60."""


class GatewaySiteError(ValueError):
    """A site that cannot be rendered; ``problems`` holds one sentence per mistake."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        count = len(self.problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(
            f"invalid gateway site ({count} problem{'s' if count != 1 else ''}):\n{lines}"
        )


@dataclass(frozen=True)
class Upstream:
    """A service on a guest: where a route sends its requests."""

    address: str
    """IPv4 address (preferred: nothing to resolve) or host name of the guest."""
    port: int
    """TCP port of the service."""
    scheme: Scheme = "http"
    """``https`` for services that only speak TLS, such as Portainer on 9443."""

    @property
    def origin(self) -> str:
        """``scheme://address:port``, the upstream URL without a path."""
        return f"{self.scheme}://{self.address}:{self.port}"


@dataclass(frozen=True, kw_only=True)
class Route:
    """Requests for ``host`` (any host when ``None``) under ``path`` go to ``upstream``.

    The path is a mount point: ``/qdrant/collections`` reaches the upstream as
    ``/collections``. A route needs a path, a host, or both; a host route without a path
    takes the whole host (``/``).
    """

    upstream: Upstream
    """Where matching requests go."""
    path: str | None = None
    """URL prefix such as ``/qdrant/``, stripped before proxying; ``None`` means ``/``."""
    strip_path: bool = True
    """Remove ``path`` before proxying; false forwards the request URI unchanged (for a
    service that serves under the prefix itself, such as an OpenAI-style ``/v1/``)."""
    host: str | None = None
    """Virtual host such as ``portainer.phoenix.local``; ``None`` means the default server,
    which answers whatever host name a request carries."""
    name: str | None = None
    """Label used in comments of the generated file (such as ``drphoenix:6333``); the host
    and path are used when it is ``None``."""

    @property
    def mount(self) -> str:
        """The path prefix this route serves (``/`` for a whole host)."""
        return self.path if self.path is not None else "/"

    @property
    def label(self) -> str:
        """How messages and comments name this route."""
        return self.name if self.name is not None else f"{self.host or '*'}{self.mount}"


@dataclass(frozen=True, kw_only=True)
class GatewaySite:
    """Everything one generated Nginx site file contains.

    Constructing it checks every field and every route; an invalid site raises
    `GatewaySiteError` (a ``ValueError``) that lists all the problems.
    """

    routes: Sequence[Route]
    """The routes, in any order (the output is sorted). Stored as a tuple."""
    listen_port: int = 80
    """TCP port Nginx listens on."""
    listen_address: str | None = None
    """IPv4 address to listen on; ``None`` means all IPv4 addresses of the container."""
    server_name: str | None = None
    """Optional name of the default server (for example ``gateway.phoenix.local``). The
    default server answers every host name that no host route claims either way."""
    client_max_body_size_mib: int = DEFAULT_CLIENT_MAX_BODY_SIZE_MIB
    """Largest request body accepted, in MiB; 0 lifts the limit."""
    read_timeout_seconds: int = DEFAULT_READ_TIMEOUT_SECONDS
    """Longest wait between two reads from, or two writes to, an upstream."""

    def __post_init__(self) -> None:
        # Freeze the caller's sequence so the site stays immutable and hashable.
        object.__setattr__(self, "routes", tuple(self.routes))
        problems = _site_problems(self)
        if problems:
            raise GatewaySiteError(problems)

    @property
    def hosts(self) -> tuple[str, ...]:
        """The virtual hosts that have routes, sorted."""
        return tuple(sorted({route.host for route in self.routes if route.host is not None}))

    def routes_for(self, host: str | None) -> tuple[Route, ...]:
        """Routes served by ``host``'s server (``None``: the default server), by path."""
        return tuple(
            sorted((route for route in self.routes if route.host == host), key=_path_order)
        )


def _path_order(route: Route) -> str:
    return route.mount


def _site_problems(site: GatewaySite) -> list[str]:
    problems: list[str] = []
    problems += _optional(syntax.port_problem(site.listen_port, what="listen port"))
    if site.listen_address is not None:
        problems += _optional(syntax.ipv4_problem(site.listen_address, what="listen address"))
    if site.server_name is not None:
        problems += _optional(syntax.host_problem(site.server_name, what="server name"))
    if not _is_int(site.client_max_body_size_mib) or site.client_max_body_size_mib < 0:
        problems.append(
            f"client_max_body_size_mib {site.client_max_body_size_mib!r} is not valid: it must "
            "be a whole number of MiB, 0 for no limit"
        )
    if not _is_int(site.read_timeout_seconds) or not 1 <= site.read_timeout_seconds <= 86400:
        problems.append(
            f"read_timeout_seconds {site.read_timeout_seconds!r} is not valid: it must be a "
            "whole number of seconds from 1 to 86400"
        )

    claims: defaultdict[tuple[str | None, str], list[str]] = defaultdict(list)
    for index, item in enumerate(site.routes):
        route: object = item  # callers may pass anything at run time, whatever the hints say
        if not isinstance(route, Route):
            problems.append(f"routes[{index}] is a {type(route).__name__}, not a Route")
            continue
        problems += [f"route {route.label!r}: {problem}" for problem in _route_problems(route)]
        claims[(route.host, route.mount)].append(route.label)
        if route.host is not None and route.host == site.server_name:
            problems.append(
                f"route {route.label!r}: host {route.host!r} is also the default server's "
                "server_name; give the route no host, or the site another server_name"
            )
    for (host, mount), labels in sorted(
        claims.items(), key=lambda item: (item[0][0] or "", item[0][1])
    ):
        if len(labels) > 1:
            where = f"host {host!r}" if host is not None else "the default server"
            names = ", ".join(repr(label) for label in labels)
            problems.append(f"routes {names} claim the same path {mount!r} on {where}")
    return problems


def _route_problems(route: Route) -> list[str]:
    problems: list[str] = []
    if route.path is None and route.host is None:
        problems.append("a route needs a path, a host, or both")
    for what, value, check in (
        ("path", route.path, syntax.path_problem),
        ("host", route.host, syntax.host_problem),
        ("name", route.name, syntax.name_problem),
    ):
        if value is not None:
            problems += _optional(
                check(value) if isinstance(value, str) else _not_text(what, value)
            )
    upstream: object = route.upstream
    if not isinstance(upstream, Upstream):
        problems.append(f"upstream is a {type(upstream).__name__}, not an Upstream")
        return problems
    address = upstream.address
    problems += _optional(
        syntax.address_problem(address)
        if isinstance(address, str)
        else _not_text("upstream address", address)
    )
    problems += _optional(syntax.port_problem(upstream.port, what="upstream port"))
    if upstream.scheme not in ("http", "https"):
        problems.append(f"upstream scheme {upstream.scheme!r} is not valid: use http or https")
    return problems


def _not_text(what: str, value: object) -> str:
    return f"{what} {value!r} is a {type(value).__name__}, not a string"


def _optional(problem: str | None) -> list[str]:
    return [problem] if problem is not None else []


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
