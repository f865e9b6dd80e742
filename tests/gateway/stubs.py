"""Stub upstreams on loopback for the running-gateway tests.

`echo_server` answers every request with JSON describing what reached it (raw request URI,
headers, body length), so a test sees the request exactly as Nginx forwarded it.
`UpgradeEchoServer` accepts an HTTP upgrade with ``101`` and then echoes raw bytes, enough to
prove that a WebSocket tunnel through the gateway works end to end.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

from werkzeug.wsgi import get_input_stream

from tests.fakes.server import BackgroundServer

_READ_LIMIT = 64 * 1024 * 1024


def _echo_app(name: str) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        # Bounded by Content-Length (or chunked framing): never waits for the peer to close.
        body = get_input_stream(environ, max_content_length=_READ_LIMIT).read()
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        payload = {
            "upstream": name,
            "method": environ["REQUEST_METHOD"],
            # werkzeug's raw request target, before any decoding
            "uri": environ["REQUEST_URI"],
            "headers": headers,
            "body_length": len(body),
        }
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(payload).encode()]

    return app


def echo_server(name: str, host: str, context: ssl.SSLContext | None = None) -> BackgroundServer:
    """A threaded HTTP(S) server on ``host`` (free port) that describes each request as JSON."""
    return BackgroundServer(_echo_app(name), host, 0, context)


class UpgradeEchoServer:
    """Answers an upgrade request with ``101 Switching Protocols``, then echoes raw bytes."""

    def __init__(self, host: str) -> None:
        self._listener = socket.create_server((host, 0))
        self._listener.settimeout(0.1)
        self.host = host
        self.port: int = self._listener.getsockname()[1]
        self.requests: list[str] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> UpgradeEchoServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self._listener.close()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    def _handle(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(5)
            request = b""
            try:
                while b"\r\n\r\n" not in request:
                    chunk = connection.recv(4096)
                    if not chunk:
                        return
                    request += chunk
                head, _, rest = request.partition(b"\r\n\r\n")
                self.requests.append(head.decode("latin-1"))
                connection.sendall(
                    b"HTTP/1.1 101 Switching Protocols\r\n"
                    b"Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n" + rest
                )
                while chunk := connection.recv(4096):
                    connection.sendall(chunk)
            except OSError:
                return


class HealthStub:
    """A service's health endpoint on loopback: ``status`` at ``path``, 404 anywhere else. It
    records each request (raw URI, Host header) and can go away and come back on its port."""

    def __init__(self, host: str, path: str = "/healthz", status: int = 200, port: int = 0) -> None:
        self.host = host
        self.path = path
        self.status = status
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._server: BackgroundServer | None = BackgroundServer(self._app, host, port, None)
        self.port = self._server.port

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        uri = environ["REQUEST_URI"]
        with self._lock:
            self.requests.append((uri, environ.get("HTTP_HOST", "")))
        status = self.status if uri == self.path else 404
        start_response(f"{status} Stub", [("Content-Type", "text/plain")])
        return [b"ok\n" if status == self.status else b"not here\n"]

    def start(self) -> HealthStub:
        """Listen (again, on the same port after `stop`)."""
        if self._server is None:
            self._server = BackgroundServer(self._app, self.host, self.port, None)
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop listening: connections to the port are refused."""
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> HealthStub:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
