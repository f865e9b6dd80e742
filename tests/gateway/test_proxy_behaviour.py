"""The generated site in a running nginx: real requests, stub upstreams, loopback only.

Upstream addresses mirror the reference (10.0.0.102 -> 127.0.0.102, ...), so the same routes
are exercised without leaving 127.0.0.0/8. nginx runs in the foreground as the current user,
on a free port of 127.0.0.1, and is stopped after the module.
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gateway import GatewaySite, Route, Upstream, render_site
from tests.fakes.tls import server_context

from .nginx import Nginx, RunningNginx, free_port
from .stubs import UpgradeEchoServer, echo_server

pytestmark = pytest.mark.e2e

TIMEOUT = 5
NOT_FOUND = b"phoenix gateway: no route for this host and path\n"


@dataclass(frozen=True)
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def echoed(self) -> dict[str, Any]:
        """What the stub upstream saw (its JSON answer)."""
        assert self.status == 200, (self.status, self.body)
        seen: dict[str, Any] = json.loads(self.body)
        return seen


@dataclass(frozen=True)
class Gateway:
    port: int
    upgrade: UpgradeEchoServer

    def get(
        self,
        path: str,
        *,
        host: str = "anything.example",
        method: str = "GET",
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> Response:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        try:
            connection.request(method, path, body=body, headers={"Host": host, **(headers or {})})
            response = connection.getresponse()
            return Response(response.status, response.headers, response.read())
        finally:
            connection.close()


@pytest.fixture(scope="module")
def gateway(nginx: Nginx, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with ExitStack() as stack:
        qdrant = stack.enter_context(echo_server("qdrant", "127.0.0.102"))
        portainer = stack.enter_context(
            echo_server("portainer", "127.0.0.101", server_context("127.0.0.101"))
        )
        admin = stack.enter_context(echo_server("admin", "127.0.0.103"))
        upgrade = stack.enter_context(UpgradeEchoServer("127.0.0.104"))
        site = GatewaySite(
            listen_address="127.0.0.1",
            listen_port=free_port(),
            client_max_body_size_mib=1,
            routes=[
                # Declared nested-first on purpose: matching must not depend on order.
                Route(path="/qdrant/admin/", upstream=Upstream("127.0.0.103", admin.port)),
                Route(path="/qdrant/", upstream=Upstream("127.0.0.102", qdrant.port)),
                Route(
                    host="portainer.phoenix.local",
                    upstream=Upstream("127.0.0.101", portainer.port, "https"),
                ),
                Route(path="/ws/", upstream=Upstream("127.0.0.104", upgrade.port)),
            ],
        )
        prefix: Path = tmp_path_factory.mktemp("nginx-run")
        stack.enter_context(RunningNginx(nginx, render_site(site), prefix, site.listen_port))
        yield Gateway(port=site.listen_port, upgrade=upgrade)


def test_path_route_strips_its_prefix(gateway: Gateway) -> None:
    seen = gateway.get("/qdrant/collections/demo?limit=1").echoed()
    assert seen["upstream"] == "qdrant"
    assert seen["uri"] == "/collections/demo?limit=1"


def test_path_route_root_reaches_upstream_root(gateway: Gateway) -> None:
    assert gateway.get("/qdrant/").echoed()["uri"] == "/"


def test_bare_path_redirects_to_the_slash_form_keeping_the_query(gateway: Gateway) -> None:
    plain = gateway.get("/qdrant")
    assert (plain.status, plain.headers["Location"]) == (301, "/qdrant/")
    query = gateway.get("/qdrant?x=1&y=2")
    assert (query.status, query.headers["Location"]) == (301, "/qdrant/?x=1&y=2")


def test_longest_prefix_wins_whatever_the_declaration_order(gateway: Gateway) -> None:
    seen = gateway.get("/qdrant/admin/users").echoed()
    assert (seen["upstream"], seen["uri"]) == ("admin", "/users")
    assert gateway.get("/qdrant/administrator").echoed()["upstream"] == "qdrant"
    assert gateway.get("/qdrant/admin").headers["Location"] == "/qdrant/admin/"


def test_forwarding_headers_reach_the_upstream(gateway: Gateway) -> None:
    headers = gateway.get("/qdrant/x", host="gateway.example:8080").echoed()["headers"]
    assert headers["host"] == "gateway.example:8080"
    assert headers["x-real-ip"] == "127.0.0.1"
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-forwarded-host"] == "gateway.example:8080"
    assert headers["x-forwarded-port"] == str(gateway.port)
    assert headers["x-forwarded-prefix"] == "/qdrant"
    assert headers["connection"] == "close"


def test_host_route_reaches_its_https_upstream_with_the_uri_untouched(gateway: Gateway) -> None:
    # Portainer's Docker proxy API puts %2F in paths: it must arrive as sent.
    path = "/api/endpoints/1/docker/images/library%2Fnginx/json?all=1"
    seen = gateway.get(path, host="portainer.phoenix.local").echoed()
    assert (seen["upstream"], seen["uri"]) == ("portainer", path)
    assert "x-forwarded-prefix" not in seen["headers"]


def test_host_matching_ignores_case_and_port(gateway: Gateway) -> None:
    seen = gateway.get("/", host=f"Portainer.Phoenix.Local:{gateway.port}").echoed()
    assert seen["upstream"] == "portainer"


def test_a_host_server_serves_only_its_own_routes(gateway: Gateway) -> None:
    seen = gateway.get("/qdrant/collections", host="portainer.phoenix.local").echoed()
    assert (seen["upstream"], seen["uri"]) == ("portainer", "/qdrant/collections")


def test_unknown_host_and_path_get_a_plain_404(gateway: Gateway) -> None:
    response = gateway.get("/nothing/here", host="unknown.example")
    assert response.status == 404
    assert response.body == NOT_FOUND
    assert response.headers["Content-Type"] == "text/plain"
    assert gateway.get("/qdrantx").status == 404


def test_path_routes_answer_any_host_name(gateway: Gateway) -> None:
    assert gateway.get("/qdrant/x", host="10.0.0.153").echoed()["upstream"] == "qdrant"


def test_request_bodies_up_to_the_limit_are_streamed_to_the_upstream(gateway: Gateway) -> None:
    body = b"x" * (512 * 1024)
    seen = gateway.get("/qdrant/upload", method="POST", body=body).echoed()
    assert (seen["method"], seen["body_length"]) == ("POST", len(body))


def test_request_bodies_over_the_limit_get_413(gateway: Gateway) -> None:
    response = gateway.get("/qdrant/upload", method="POST", body=b"x" * (2 * 1024 * 1024))
    assert response.status == 413


def test_websocket_upgrade_tunnels_both_ways(gateway: Gateway) -> None:
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=TIMEOUT) as client:
        client.sendall(
            b"GET /ws/chat HTTP/1.1\r\nHost: gateway.example\r\n"
            b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(4096)
            assert chunk, f"connection closed after {head!r}"
            head += chunk
        assert head.startswith(b"HTTP/1.1 101 "), head
        client.sendall(b"ping through the gateway")
        echoed = b""
        while len(echoed) < len(b"ping through the gateway"):
            chunk = client.recv(4096)
            assert chunk, f"tunnel closed after {echoed!r}"
            echoed += chunk
        assert echoed == b"ping through the gateway"
    (request,) = gateway.upgrade.requests
    lines = [line.lower() for line in request.split("\r\n")]
    assert lines[0] == "get /chat http/1.1"
    assert "upgrade: websocket" in lines
    assert "connection: upgrade" in lines
