"""The fake Portainer server: its routes, request log and HTTPS listener (the package
docstring says what it fakes and how strictly)."""

from __future__ import annotations

import fnmatch
import json
import math
import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from tests.fakes.portainer.auth import AuthRoutes
from tests.fakes.portainer.endpoints import EndpointRoutes
from tests.fakes.portainer.faults import FaultInjection
from tests.fakes.portainer.records import VERSION, FakeStack, RequestRecord, normalize
from tests.fakes.portainer.stacks import StackRoutes
from tests.fakes.portainer.wire import TIMEOUT_EXEMPT, ApiError, error_response, plain_response
from tests.fakes.server import BackgroundServer, DropConnectionError, ServedFake
from tests.fakes.tls import ca_bundle_path, server_identity


class FakePortainer(FaultInjection, AuthRoutes, EndpointRoutes, StackRoutes, ServedFake):
    """The fake server. Thread-safe; every public method may be called while it serves.

    ``port`` 0 picks a free port; another server's port (once that one stopped) makes this one
    an impostor at the same address: same host names, a different certificate and key.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        deploy_seconds: float = 0.05,
        jwt_lifetime_s: float = 8 * 3600,
        setup_token: str | None = None,
        required_password_length: int = 12,
        agent_ping_timeout_s: float = 3.0,
        auth_rate_limit: int = 10,
    ) -> None:
        super().__init__(
            deploy_seconds=deploy_seconds,
            jwt_lifetime_s=jwt_lifetime_s,
            setup_token=setup_token,
            required_password_length=required_password_length,
            agent_ping_timeout_s=agent_ping_timeout_s,
            auth_rate_limit=auth_rate_limit,
        )
        self._routes = Map(
            [
                Rule("/api/auth", methods=["POST"], endpoint="auth"),
                Rule("/api/status", methods=["GET"], endpoint="status"),
                Rule("/api/system/status", methods=["GET"], endpoint="system_status"),
                Rule("/api/settings/public", methods=["GET"], endpoint="settings_public"),
                Rule("/api/users/admin/check", methods=["GET"], endpoint="admin_check"),
                Rule("/api/users/admin/init", methods=["POST"], endpoint="admin_init"),
                Rule("/api/users/me", methods=["GET"], endpoint="users_me"),
                Rule("/api/endpoints", methods=["GET"], endpoint="endpoint_list"),
                Rule("/api/endpoints", methods=["POST"], endpoint="endpoint_create"),
                Rule("/api/endpoints/<int:id>", methods=["GET"], endpoint="endpoint_get"),
                Rule("/api/endpoints/<int:id>", methods=["PUT"], endpoint="endpoint_update"),
                Rule("/api/endpoints/<int:id>", methods=["DELETE"], endpoint="endpoint_delete"),
                Rule("/api/endpoints/<int:id>/docker/<path:rest>", endpoint="docker"),
                Rule("/api/stacks", methods=["GET"], endpoint="stack_list"),
                Rule("/api/stacks/<int:id>", methods=["GET"], endpoint="stack_get"),
                Rule("/api/stacks/<int:id>", methods=["PUT"], endpoint="stack_update"),
                Rule("/api/stacks/<int:id>", methods=["DELETE"], endpoint="stack_delete"),
                Rule("/api/stacks/<int:id>/file", methods=["GET"], endpoint="stack_file"),
                Rule("/api/stacks/<int:id>/start", methods=["POST"], endpoint="stack_start"),
                Rule("/api/stacks/<int:id>/stop", methods=["POST"], endpoint="stack_stop"),
                Rule(
                    "/api/stacks/create/standalone/string",
                    methods=["POST"],
                    endpoint="stack_create",
                ),
            ],
            strict_slashes=False,
            merge_slashes=False,
        )
        context, self._leaf = server_identity(host, "localhost")
        self._server = BackgroundServer(self, host, port, context)
        self.host = host
        self.port = self._server.port

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        """Base URL, e.g. ``https://127.0.0.1:40123``."""
        return f"https://{self.host}:{self.port}"

    @property
    def certificate_pem(self) -> str:
        """The certificate this server presents, as Portainer keeps it in ``/data/certs``."""
        return self._leaf.cert_chain_pems[0].bytes().decode("ascii")

    @property
    def private_key_pem(self) -> str:
        """Its private key (``/data/certs/key.pem``): tests check it never leaves the "VM"."""
        return self._leaf.private_key_pem.bytes().decode("ascii")

    @property
    def ca_bundle(self) -> str:
        """Path of the CA certificate that signs this server's certificate."""
        return ca_bundle_path()

    # ------------------------------------------------------------------ seeding

    def seed_admin(self, username: str = "admin", password: str = "correct-horse-1") -> None:
        """Create the administrator (as if initialised earlier)."""
        with self._lock:
            self._admin = (username, password)

    def add_api_key(self, username: str = "admin") -> str:
        """Mint an API key (seeds the admin if needed) and return the raw ``ptr_`` value."""
        with self._lock:
            if self._admin is None:
                self._admin = (username, secrets.token_urlsafe(16))
            key = "ptr_" + secrets.token_urlsafe(24)
            self._api_keys[key] = username
            return key

    def seed_endpoint(
        self, name: str, url: str, *, type_: int = 2, tls: bool = True, skip_verify: bool = True
    ) -> dict[str, Any]:
        """Insert an environment directly (no agent ping)."""
        with self._lock:
            return self._insert_endpoint(name, url, type_, tls, skip_verify, {"Version": VERSION})

    def seed_stack(
        self,
        endpoint_id: int,
        name: str,
        content: str,
        env: dict[str, str] | None = None,
        *,
        status: int = 1,
        created_by: str = "someone-else",
    ) -> FakeStack:
        """Insert a stack directly (e.g. a foreign one without ``PHOENIX_OWNER``)."""
        with self._lock:
            stack = self._add_stack(
                endpoint_id,
                normalize(name),
                content,
                [{"name": k, "value": v} for k, v in (env or {}).items()],
                status=status,
                created_by=created_by,
            )
            if status == 3:
                stack.deploy_until = (
                    math.inf if self._holding_deploys else time.monotonic() + self.deploy_seconds
                )
            return stack

    # ------------------------------------------------------------------ inspection

    def writes(self) -> list[RequestRecord]:
        """Requests that may change state: POST/PUT/DELETE except ``POST /api/auth``."""
        with self._lock:
            return [r for r in self.log if r.is_write]

    def requests(self, method: str | None = None, pattern: str = "*") -> list[RequestRecord]:
        """Logged requests, optionally filtered by method and path glob."""
        with self._lock:
            return [
                r
                for r in self.log
                if (method is None or r.method == method) and fnmatch.fnmatchcase(r.path, pattern)
            ]

    def clear_log(self) -> None:
        """Forget the request log."""
        with self._lock:
            self.log.clear()

    def endpoints(self) -> list[dict[str, Any]]:
        """Copies of every environment record."""
        with self._lock:
            return [json.loads(json.dumps(e)) for e in self._endpoints.values()]

    def stack(self, endpoint_id: int, name: str) -> FakeStack | None:
        """The stack with normalized ``name`` on an environment, if any."""
        for stack in self.stacks(endpoint_id):
            if stack.name == normalize(name):
                return stack
        return None

    # ------------------------------------------------------------------ WSGI

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = Request(environ)
        record = RequestRecord(
            method=request.method,
            path=request.path,
            query=request.query_string.decode(),
            content_type=request.mimetype,
        )
        with self._lock:
            self.log.append(record)
        if self._latency_s:
            time.sleep(self._latency_s)
        self._wait_for_company(request.method, request.path)
        fault = self._take_fault(request.method, request.path)
        if fault is not None and fault.kind == "drop-before":
            raise DropConnectionError("fault injection: connection dropped")
        if fault is not None and fault.kind == "expire":
            self.expire_tokens()
            fault = None
        if fault is not None and fault.kind == "status":
            response = error_response(
                fault.status, "Fault injected by the fake", "transient failure"
            )
        else:
            response = self._dispatch(request, record)
            record.body = self._body_for_log(request)
        record.status = response.status_code
        for action in self._take_after(request.method, request.path):
            action()
        if fault is not None and fault.kind == "drop-after":
            record.status = None
            raise DropConnectionError("fault injection: response dropped")
        return response(environ, start_response)

    @staticmethod
    def _body_for_log(request: Request) -> Any:
        if request.mimetype == "application/json":
            try:
                return json.loads(request.get_data(as_text=True))
            except ValueError:
                return None
        if request.mimetype == "multipart/form-data":
            return dict(request.form)
        return None

    def _dispatch(self, request: Request, record: RequestRecord) -> Response:
        adapter = self._routes.bind_to_environ(request.environ)
        try:
            route, args = adapter.match()
        except NotFound:
            return plain_response(404, "404 page not found\n")
        except MethodNotAllowed:
            return plain_response(405, "")
        if self.admin_init_timed_out and route not in TIMEOUT_EXEMPT:
            response = error_response(303, "Administrator initialization timeout")
            response.headers["redirect-reason"] = "AdminInitTimeout"
            return response
        try:
            user = self._authorize(request, route, record)
            handler = getattr(self, f"_h_{route}")
            result: Response = handler(request, user, **args)
            return result
        except ApiError as exc:
            return error_response(exc.status, exc.message, exc.details)
