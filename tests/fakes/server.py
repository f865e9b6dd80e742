"""Run a WSGI app over HTTPS on a loopback address in a background thread (werkzeug)."""

from __future__ import annotations

import socket
import ssl
import threading
from types import TracebackType
from typing import Any, TypeVar

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class DropConnectionError(ConnectionError):
    """Raised by a fake app to close the socket without sending any response."""


class _QuietHandler(WSGIRequestHandler):
    """No access log; a :class:`DropConnectionError` closes the connection without a reply."""

    def connection_dropped(self, error: BaseException, environ: Any = None) -> None:
        self.close_connection = True

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def log_error(self, format: str, *args: Any) -> None:
        pass

    def log(self, type: str, message: str, *args: Any) -> None:
        pass


def free_port(host: str) -> int:
    """A TCP port with no listener on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class BackgroundServer:
    """A threaded werkzeug server; a context manager that starts and stops it."""

    def __init__(self, app: Any, host: str, port: int, context: ssl.SSLContext | None) -> None:
        self._server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=_QuietHandler, ssl_context=context
        )
        self.host = host
        self.port: int = self._server.server_port
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> None:
        """Start serving in a daemon thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        self._server.shutdown()
        self._thread.join(timeout=5)

    def __enter__(self) -> BackgroundServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


_Served = TypeVar("_Served", bound="ServedFake")


class ServedFake:
    """Start, stop and `with` for a fake that serves through its `BackgroundServer`."""

    _server: BackgroundServer

    def start(self: _Served) -> _Served:
        """Start serving."""
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop serving: the fake becomes unreachable."""
        self._server.stop()

    def __enter__(self: _Served) -> _Served:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
