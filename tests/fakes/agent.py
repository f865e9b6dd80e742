"""A fake Portainer agent: HTTPS ``GET /ping`` -> 204 with the agent headers, and the Docker
``GET /info`` for a signed request (a server's public key header) unless it is paired with
another server, when it refuses the signature as the real agent does.

The real agent serves HTTPS with a self-signed certificate on port 9001; this one listens on a
loopback address such as 127.0.0.102 on a free port. An *unreachable* agent is simply an address
and port with no listener: see :func:`unreachable_agent_url`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from tests.fakes.server import BackgroundServer, ServedFake, free_port
from tests.fakes.tls import server_context

AGENT_VERSION = "2.44.0"


class FakeAgent(ServedFake):
    """Answers ``/ping`` like a Portainer agent on Docker (platform 1)."""

    def __init__(
        self, host: str = "127.0.0.102", port: int = 0, version: str = AGENT_VERSION
    ) -> None:
        """``port`` 0 picks a free port; pass an earlier agent's port to bring it back."""
        self.host = host
        self.version = version
        self.pings = 0
        self.paired_elsewhere = False
        """Refuse every signed request: another Portainer reached this agent first."""
        self._lock = threading.Lock()
        self._server = BackgroundServer(self._app, host, port, server_context(host))
        self.port = self._server.port

    @property
    def url(self) -> str:
        """The environment URL Portainer stores for this agent: ``tcp://host:port``."""
        return f"tcp://{self.host}:{self.port}"

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] == "GET" and environ["PATH_INFO"] == "/ping":
            with self._lock:
                self.pings += 1
            start_response(
                "204 No Content",
                [("Portainer-Agent", self.version), ("Portainer-Agent-Platform", "1")],
            )
            return [b""]
        signed = "HTTP_X_PORTAINERAGENT_PUBLICKEY" in environ
        if (
            environ["REQUEST_METHOD"] == "GET"
            and environ["PATH_INFO"] == "/info"
            and signed
            and not self.paired_elsewhere
        ):
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'{"OperatingSystem": "fake", "Containers": 0}']
        # Everything else needs a signature this agent accepts.
        start_response("403 Forbidden", [("Content-Type", "text/plain")])
        return [b"Invalid request signature\n"]


def unreachable_agent_url(host: str = "127.0.0.103") -> str:
    """A ``tcp://`` agent URL on a loopback address and port where nothing listens."""
    return f"tcp://{host}:{free_port(host)}"
