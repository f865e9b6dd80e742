"""Pre-flight probe of a Portainer agent: ``GET https://<host>:<port>/ping`` -> 204.

The agent always serves HTTPS with a self-signed certificate generated at start (its SAN is
``localhost`` plus the advertised IP), so this one call skips certificate verification, the way
the Portainer server itself does. Nothing secret is sent. Uses the standard library so the
relaxed TLS settings can never leak into the API session.
"""

from __future__ import annotations

import http.client
import ssl
from dataclasses import dataclass


class AgentUnreachableError(Exception):
    """The agent did not answer ``/ping`` with 204."""


@dataclass(frozen=True)
class AgentInfo:
    """What the ping's headers say about the agent."""

    version: str
    platform: str


def _unverified_context() -> ssl.SSLContext:
    # Not create_default_context(): loading the system CA store costs more than the ping,
    # and nothing is verified here anyway.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # agent certs are self-signed by design
    return context


_CONTEXT = _unverified_context()  # SSLContext is safe to share between threads


def ping_agent(host: str, port: int, timeout_s: float = 3.0) -> AgentInfo:
    """Ping the agent once; raise :class:`AgentUnreachableError` with the reason."""
    connection = http.client.HTTPSConnection(host, port, timeout=timeout_s, context=_CONTEXT)
    try:
        connection.request("GET", "/ping", headers={"User-Agent": "phoenix-portainer/1"})
        response = connection.getresponse()
        response.read()
    except (TimeoutError, OSError, http.client.HTTPException) as exc:
        reason = str(exc) or type(exc).__name__
        raise AgentUnreachableError(f"https://{host}:{port}/ping: {reason}") from None
    finally:
        connection.close()
    if response.status != 204:
        raise AgentUnreachableError(
            f"https://{host}:{port}/ping answered HTTP {response.status}, expected 204 "
            "(is this a Portainer agent?)"
        )
    return AgentInfo(
        version=response.getheader("Portainer-Agent", ""),
        platform=response.getheader("Portainer-Agent-Platform", ""),
    )
