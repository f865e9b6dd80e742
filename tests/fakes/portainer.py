"""A stateful fake Portainer CE 2.44 server over real HTTPS on 127.0.0.1, strict like the real one.

It implements the routes Phoenix uses with the real paths, methods, query parameters, body
encodings (multipart for ``POST /api/endpoints``, JSON elsewhere), field names and casing,
status codes and ``{"message","details"}`` error bodies; an unknown route answers Go's plain-text
``404 page not found``. Facts: shared/reference/portainer-api.md and the CE 2.44 OpenAPI subset.

Deliberately *stricter* than the real server where that catches client bugs: JSON field names
must match the documented casing exactly and unknown fields are rejected (the real decoder is
case-insensitive and ignores unknown fields).

Usage::

    with FakePortainer() as fake, FakeAgent() as agent:
        key = fake.add_api_key()           # or fake.seed_admin(...) for login
        ...  # point the client at fake.url with verify=fake.ca_bundle
        assert fake.writes() == []

Fault injection: :meth:`set_latency`, :meth:`fail_next`, :meth:`drop_next`,
:meth:`expire_tokens`, :meth:`race_on_create`, :meth:`race_on_endpoint_create`,
:meth:`fail_deploy`, :meth:`set_service` (what a stack's containers do, seen through the Docker
proxy, tests/fakes/docker.py); plus the login rate limiter
(more than ``auth_rate_limit`` requests/s on ``/api/auth`` bans the client for good) and the
admin-init timeout (:attr:`admin_init_timed_out`). :attr:`log` records every request.
"""

from __future__ import annotations

import contextlib
import fnmatch
import http.client
import ipaddress
import json
import math
import re
import secrets
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from tests.fakes.docker import FakeContainer, ServiceBehaviour, containers_of, respond
from tests.fakes.server import BackgroundServer, DropConnectionError
from tests.fakes.tls import ca_bundle_path, server_identity

VERSION = "2.44.0"
#: A compose file containing this marker fails to deploy (Status 4).
FAIL_DEPLOY_MARKER = "fake:fail-deploy"

PUBLIC_ROUTES = frozenset(
    {"auth", "status", "system_status", "settings_public", "admin_check", "admin_init"}
)
# Routes still served after the admin-init timeout (everything else answers 303).
TIMEOUT_EXEMPT = frozenset({"status", "settings_public"})
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

ENDPOINT_FORM_FIELDS = frozenset(
    {
        "Name",
        "EndpointCreationType",
        "URL",
        "PublicURL",
        "GroupID",
        "TagIds",
        "TLS",
        "TLSSkipVerify",
        "TLSSkipClientVerify",
        "ContainerEngine",
        "Gpus",
        "EdgeCheckinInterval",
        "EdgeTunnelServerAddress",
        "AzureApplicationID",
        "AzureTenantID",
        "AzureAuthenticationKey",
    }
)
ENDPOINT_UPDATE_FIELDS: dict[str, type | tuple[type, ...]] = {
    "Name": str,
    "URL": str,
    "PublicURL": str,
    "GroupID": int,
    "TLS": bool,
    "TLSSkipVerify": bool,
    "TLSSkipClientVerify": bool,
    "Status": int,
    "TagIDs": list,
    "Gpus": list,
    "UserAccessPolicies": dict,
    "TeamAccessPolicies": dict,
    "EdgeCheckinInterval": int,
    "AzureApplicationID": str,
    "AzureTenantID": str,
    "AzureAuthenticationKey": str,
    "Kubernetes": dict,
}
STACK_CREATE_FIELDS: dict[str, type | tuple[type, ...]] = {
    "Name": str,
    "StackFileContent": str,
    "Env": list,
    "FromAppTemplate": bool,
    "Registries": list,
    "Webhook": str,
}
STACK_UPDATE_FIELDS: dict[str, type | tuple[type, ...]] = {
    "StackFileContent": str,
    "Env": list,
    "Prune": bool,
    "PullImage": bool,
    "RepullImageAndRedeploy": bool,
    "Registries": list,
    "RollbackTo": int,
    "Webhook": str,
}
CREDENTIAL_FIELDS: dict[str, type | tuple[type, ...]] = {"Username": str, "Password": str}


class _HTTPError(Exception):
    """Internal: abort a handler with a JSON error."""

    def __init__(self, status: int, message: str, details: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details


@dataclass
class RequestRecord:
    """One request the fake received."""

    method: str
    path: str
    query: str
    status: int | None = None  # None when the connection was dropped
    auth: str = "none"  # "api-key", "bearer", "both" or "none"
    cookie: bool = False
    body: Any = None  # parsed JSON body or form fields (for assertions)
    content_type: str = ""  # the body's media type ("" without a body)

    @property
    def is_write(self) -> bool:
        """True for requests that may change state (``/api/auth`` excluded)."""
        return self.method in UNSAFE_METHODS and self.path != "/api/auth"


@dataclass
class _Fault:
    method: str
    pattern: str
    remaining: int
    kind: str  # "status", "drop-before", "drop-after", "expire"
    status: int = 500

    def matches(self, method: str, path: str) -> bool:
        return (
            self.remaining > 0 and method == self.method and fnmatch.fnmatchcase(path, self.pattern)
        )


@dataclass
class FakeStack:
    """Server-side stack record."""

    id: int
    name: str
    endpoint_id: int
    content: str
    env: list[dict[str, str]]
    status: int
    created_by: str
    creation_date: int
    update_date: int = 0
    updated_by: str = ""
    deploy_until: float = 0.0
    deploy_fails: bool = False
    deployment_status: list[dict[str, Any]] = field(default_factory=list)
    deployments: int = 0  # each one recreates the stack's containers (new ids)

    def settle(self) -> None:
        """Finish a deployment whose time is up (Status 3 -> 1, or 4 on failure)."""
        if self.status == 3 and time.monotonic() >= self.deploy_until:
            self.status = 4 if self.deploy_fails else 1
            entry: dict[str, Any] = {"Status": self.status, "Time": int(time.time())}
            if self.deploy_fails:
                entry["Message"] = (
                    f"failed to deploy a stack: compose up {self.name}: service failed (fake)"
                )
            self.deployment_status.append(entry)

    def to_json(self) -> dict[str, Any]:
        """``portainer.Stack`` / ``stacks.stackResponse``."""
        return {
            "Id": self.id,
            "Name": self.name,
            "Type": 2,
            "EndpointId": self.endpoint_id,
            "SwarmId": "",
            "EntryPoint": "docker-compose.yml",
            "Env": [dict(pair) for pair in self.env],
            "ResourceControl": {"Id": self.id, "ResourceId": f"{self.endpoint_id}_{self.name}"},
            "Status": self.status,
            "ProjectPath": f"/data/compose/{self.id}",
            "CreationDate": self.creation_date,
            "CreatedBy": self.created_by,
            "UpdateDate": self.update_date,
            "UpdatedBy": self.updated_by,
            "AdditionalFiles": None,
            "AutoUpdate": None,
            "Option": None,
            "GitConfig": None,
            "FromAppTemplate": False,
            "Namespace": "",
            "IsDetachedFromGit": False,
            "DeploymentStatus": [dict(e) for e in self.deployment_status],
        }


def normalize(name: str) -> str:
    """Portainer's ``NormalizeStackName``: lower case, keep ``[-_a-z0-9]``."""
    return re.sub(r"[^-_a-z0-9]", "", name.lower())


def _json_response(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


def _error(status: int, message: str, details: str = "") -> Response:
    body = {"message": message}
    if details:
        body["details"] = details
    return _json_response(body, status)


def _plain(status: int, text: str) -> Response:
    return Response(text, status=status, mimetype="text/plain")


class FakePortainer:
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
        self.deploy_seconds = deploy_seconds
        self.jwt_lifetime_s = jwt_lifetime_s
        self.setup_token = setup_token
        self.required_password_length = required_password_length
        self.agent_ping_timeout_s = agent_ping_timeout_s
        self.auth_rate_limit = auth_rate_limit
        self.admin_init_timed_out = False
        self._holding_deploys = False
        self._after: list[tuple[_Fault, Callable[[], object]]] = []
        self._gathers: list[tuple[_Fault, threading.Barrier]] = []
        self._agent_routes: dict[str, str] = {}
        self.log: list[RequestRecord] = []
        self._lock = threading.RLock()
        self._admin: tuple[str, str] | None = None
        self._api_keys: dict[str, str] = {}  # raw key -> username
        self._tokens: dict[str, tuple[str, float]] = {}  # jwt -> (username, expiry)
        self._auth_times: list[float] = []
        self._banned = False
        self._endpoints: dict[int, dict[str, Any]] = {}
        self._stacks: dict[int, FakeStack] = {}
        self._next_endpoint = 1
        self._next_stack = 1
        self._faults: list[_Fault] = []
        self._latency_s = 0.0
        self._races: dict[str, str | None] = {}  # normalized name -> owner env value
        self._failing_deploys: set[str] = set()
        self._endpoint_races: dict[str, str] = {}
        self._services: dict[tuple[str, str], ServiceBehaviour] = {}
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

    def start(self) -> FakePortainer:
        """Start serving."""
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._server.stop()

    def __enter__(self) -> FakePortainer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

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
            stack = FakeStack(
                id=self._next_stack,
                name=normalize(name),
                endpoint_id=endpoint_id,
                content=content,
                env=[{"name": k, "value": v} for k, v in (env or {}).items()],
                status=status,
                created_by=created_by,
                creation_date=int(time.time()),
            )
            if status == 3:
                stack.deploy_until = (
                    math.inf if self._holding_deploys else time.monotonic() + self.deploy_seconds
                )
            self._next_stack += 1
            self._stacks[stack.id] = stack
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

    def stacks(self, endpoint_id: int | None = None) -> list[FakeStack]:
        """Stack records (settled), optionally of one environment."""
        with self._lock:
            out = []
            for stack in self._stacks.values():
                stack.settle()
                if endpoint_id is None or stack.endpoint_id == endpoint_id:
                    out.append(stack)
            return out

    def stack(self, endpoint_id: int, name: str) -> FakeStack | None:
        """The stack with normalized ``name`` on an environment, if any."""
        for stack in self.stacks(endpoint_id):
            if stack.name == normalize(name):
                return stack
        return None

    # ------------------------------------------------------------------ fault injection

    def set_latency(self, seconds: float) -> None:
        """Delay every request by ``seconds`` before handling it."""
        self._latency_s = seconds

    def fail_next(self, method: str, pattern: str, count: int = 1, status: int = 500) -> None:
        """Answer the next ``count`` requests matching ``method`` + path glob with ``status``."""
        with self._lock:
            self._faults.append(_Fault(method, pattern, count, "status", status))

    def drop_next(self, method: str, pattern: str, count: int = 1, *, after: bool = False) -> None:
        """Close the connection without a response on the next ``count`` matching requests;
        with ``after`` the request is processed first (the response is lost)."""
        with self._lock:
            self._faults.append(
                _Fault(method, pattern, count, "drop-after" if after else "drop-before")
            )

    def expire_tokens(self, *, before: tuple[str, str] | None = None) -> None:
        """Make every JWT issued so far expire now, or (``before=(method, path glob)``) just
        before the next matching request is handled."""
        with self._lock:
            if before is not None:
                self._faults.append(_Fault(before[0], before[1], 1, "expire"))
                return
            self._tokens = {t: (u, 0.0) for t, (u, _) in self._tokens.items()}

    def race_on_create(self, name: str, owner: str | None = None) -> None:
        """Just before the next create of stack ``name`` lands, another writer creates it
        (carrying ``PHOENIX_OWNER=owner`` when given, else foreign)."""
        with self._lock:
            self._races[normalize(name)] = owner

    def race_on_endpoint_create(self, name: str, url: str) -> None:
        """Just before the next environment create named ``name`` lands, another writer
        creates an environment of that name pointing at ``url``."""
        with self._lock:
            self._endpoint_races[name] = url

    def gather(
        self, method: str, pattern: str, count: int, timeout_s: float = 60.0
    ) -> Callable[[], bool]:
        """Hold the next ``count`` matching requests until all of them have arrived: they are
        answered only once that many are in flight at the same time. Returns a check that says
        whether they were (False when ``timeout_s`` ran out first, e.g. for a client that sends
        them one at a time). Proves concurrency without measuring time."""
        barrier = threading.Barrier(count, timeout=timeout_s)
        with self._lock:
            self._gathers.append((_Fault(method, pattern, count, "gather"), barrier))
        return lambda: not barrier.broken

    def after_next(self, method: str, pattern: str, action: Callable[[], object]) -> None:
        """Run ``action`` once the next request matching ``method`` + path glob has been
        handled (before its answer is sent): a test changes the world at an exact point of
        the conversation instead of at a moment in time."""
        with self._lock:
            self._after.append((_Fault(method, pattern, 1, "after"), action))

    def hold_deployments(self, *, until: tuple[str, str] | None = None) -> None:
        """Deployments started from now on stay in Status 3 until `release_deployments`, or
        (``until=(method, path glob)``) until the next matching request has been answered: a
        test that needs a deployment still running does not depend on the clock."""
        with self._lock:
            self._holding_deploys = True
        if until is not None:
            self.after_next(*until, self.release_deployments)

    def release_deployments(self) -> None:
        """Let every held deployment finish (at the next read) and stop holding new ones."""
        with self._lock:
            self._holding_deploys = False
            for stack in self._stacks.values():
                if stack.deploy_until == math.inf:
                    stack.deploy_until = 0.0

    def fail_deploy(self, name: str) -> None:
        """Deployments of stack ``name`` end in Status 4 (error)."""
        with self._lock:
            self._failing_deploys.add(normalize(name))

    def set_service(self, stack: str, service: str, **behaviour: Any) -> None:
        """From now on, the containers of ``service`` in stack ``stack`` behave as
        :class:`~tests.fakes.docker.ServiceBehaviour` (``state``, ``health``, ``exit_code``,
        ``restart_count``, ``logs``, ...) says, on every environment; without arguments they
        run (and are healthy) again."""
        with self._lock:
            self._services[(normalize(stack), service)] = ServiceBehaviour(**behaviour)

    def containers(self, endpoint_id: int) -> list[FakeContainer]:
        """The containers of the environment's stacks, as its Docker reports them now."""
        with self._lock:
            return containers_of(self.stacks(endpoint_id), dict(self._services))

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
            response = _error(fault.status, "Fault injected by the fake", "transient failure")
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

    def _wait_for_company(self, method: str, path: str) -> None:
        with self._lock:
            barrier = None
            for hook, candidate in self._gathers:
                if hook.matches(method, path):
                    hook.remaining -= 1
                    barrier = candidate
                    break
        if barrier is not None:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()

    def _take_after(self, method: str, path: str) -> list[Callable[[], object]]:
        with self._lock:
            due = [(hook, action) for hook, action in self._after if hook.matches(method, path)]
            self._after = [entry for entry in self._after if entry not in due]
        return [action for _, action in due]

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.remaining -= 1
                    return fault
        return None

    def _dispatch(self, request: Request, record: RequestRecord) -> Response:
        adapter = self._routes.bind_to_environ(request.environ)
        try:
            route, args = adapter.match()
        except NotFound:
            return _plain(404, "404 page not found\n")
        except MethodNotAllowed:
            return _plain(405, "")
        if self.admin_init_timed_out and route not in TIMEOUT_EXEMPT:
            response = _error(303, "Administrator initialization timeout")
            response.headers["redirect-reason"] = "AdminInitTimeout"
            return response
        try:
            user = self._authorize(request, route, record)
            handler = getattr(self, f"_h_{route}")
            result: Response = handler(request, user, **args)
            return result
        except _HTTPError as exc:
            return _error(exc.status, exc.message, exc.details)

    # ------------------------------------------------------------------ auth

    def _authorize(self, request: Request, route: str, record: RequestRecord) -> str:
        api_key = request.headers.get("X-API-Key")
        bearer = request.headers.get("Authorization", "")
        cookie = request.cookies.get("portainer_api_key")
        record.cookie = cookie is not None
        record.auth = (
            "both"
            if api_key and bearer
            else "api-key"
            if api_key
            else "bearer"
            if bearer
            else "none"
        )
        if cookie is not None and request.method in UNSAFE_METHODS:
            # gorilla/csrf: cookie sessions must carry the CSRF token.
            raise _HTTPError(403, "Forbidden - CSRF token not found in request")
        if route in PUBLIC_ROUTES:
            return ""
        if api_key and bearer and cookie is None:
            raise _HTTPError(403, "api key and auth header are not allowed at the same time")
        with self._lock:
            if api_key:
                user = self._api_keys.get(api_key)
                if user is None:
                    raise _HTTPError(401, "Invalid JWT token", "Invalid API key")
                return user
            token = cookie or (bearer[7:] if bearer.startswith("Bearer ") else "")
            if not token:
                raise _HTTPError(401, "A valid authorization token is missing")
            entry = self._tokens.get(token)
            if entry is None or entry[1] <= time.time():
                raise _HTTPError(401, "Invalid JWT token")
            return entry[0]

    def _json(self, request: Request, fields: dict[str, type | tuple[type, ...]]) -> dict[str, Any]:
        """Decode a JSON object body strictly: exact field names, expected types."""
        if request.mimetype != "application/json":
            raise _HTTPError(
                400, "Invalid request payload", "Content-Type must be application/json"
            )
        try:
            body = json.loads(request.get_data(as_text=True))
        except ValueError as exc:
            raise _HTTPError(400, "Invalid request payload", str(exc)) from None
        if not isinstance(body, dict):
            raise _HTTPError(400, "Invalid request payload", "Body must be a JSON object")
        for key, value in body.items():
            if key not in fields:
                raise _HTTPError(400, "Invalid request payload", f"Unknown field {key!r}")
            expected = fields[key]
            if isinstance(value, bool) and expected is int:
                raise _HTTPError(400, "Invalid request payload", f"Field {key!r}: wrong type")
            if value is not None and not isinstance(value, expected):
                raise _HTTPError(400, "Invalid request payload", f"Field {key!r}: wrong type")
        return body

    @staticmethod
    def _env(value: Any) -> list[dict[str, str]]:
        if value is None:
            return []
        for pair in value:
            if not isinstance(pair, dict) or set(pair) != {"name", "value"}:
                raise _HTTPError(
                    400, "Invalid request payload", "Env entries must be {name, value} objects"
                )
            if not isinstance(pair["name"], str) or not isinstance(pair["value"], str):
                raise _HTTPError(400, "Invalid request payload", "Env name/value must be strings")
        return [{"name": p["name"], "value": p["value"]} for p in value]

    def _h_auth(self, request: Request, user: str) -> Response:
        now = time.monotonic()
        with self._lock:
            self._auth_times = [t for t in self._auth_times if now - t < 1.0] + [now]
            if len(self._auth_times) > self.auth_rate_limit:
                self._banned = True
            if self._banned:
                raise _HTTPError(403, "Access denied")
        body = self._json(request, CREDENTIAL_FIELDS)
        username, password = body.get("Username"), body.get("Password")
        if not username:
            raise _HTTPError(400, "Invalid request payload", "Invalid username")
        if not password:
            raise _HTTPError(400, "Invalid request payload", "Invalid password")
        with self._lock:
            if self._admin != (username, password):
                raise _HTTPError(422, "Invalid credentials", "Unauthorized")
            token = "eyJfake." + secrets.token_urlsafe(24)
            self._tokens[token] = (username, time.time() + self.jwt_lifetime_s)
        response = _json_response({"jwt": token})
        response.set_cookie(
            "portainer_api_key", token, path="/", httponly=True, samesite="Strict", secure=True
        )
        return response

    # ------------------------------------------------------------------ status and admin

    def _h_status(self, request: Request, user: str) -> Response:
        return _json_response({"Version": VERSION, "InstanceID": "fake-instance"})

    _h_system_status = _h_status

    def _h_settings_public(self, request: Request, user: str) -> Response:
        with self._lock:
            needs_token = self._admin is None and self.setup_token is not None
        return _json_response(
            {
                "AuthenticationMethod": 1,
                "RequiredPasswordLength": self.required_password_length,
                "RequiresSetupToken": needs_token,
                "EnableEdgeComputeFeatures": False,
            }
        )

    def _h_admin_check(self, request: Request, user: str) -> Response:
        with self._lock:
            if self._admin is None:
                raise _HTTPError(404, "No administrator account found inside the database")
        return Response(status=204)

    def _h_admin_init(self, request: Request, user: str) -> Response:
        body = self._json(request, CREDENTIAL_FIELDS)
        username, password = body.get("Username") or "", body.get("Password") or ""
        if not username or re.search(r"\s", username):
            raise _HTTPError(400, "Invalid request payload", "Invalid username")
        if len(password) < self.required_password_length:
            raise _HTTPError(400, "Password does not meet the requirements")
        with self._lock:
            if self._admin is not None:
                raise _HTTPError(
                    409,
                    "Unable to create administrator user",
                    "An administrator user already exists",
                )
            if self.setup_token is not None and request.headers.get("X-Setup-Token") != (
                self.setup_token
            ):
                raise _HTTPError(
                    403,
                    "Invalid or missing setup token. Provide the X-Setup-Token header with the "
                    "token printed in the server logs at startup.",
                )
            self._admin = (username, password)
        return _json_response({"Id": 1, "Username": username, "Role": 1})

    def _h_users_me(self, request: Request, user: str) -> Response:
        return _json_response({"Id": 1, "Username": user, "Role": 1})

    # ------------------------------------------------------------------ endpoints

    def _insert_endpoint(
        self, name: str, url: str, type_: int, tls: bool, skip_verify: bool, agent: dict[str, str]
    ) -> dict[str, Any]:
        endpoint_id = self._next_endpoint
        endpoint: dict[str, Any] = {
            "Id": endpoint_id,
            "Name": name,
            "Type": type_,
            "URL": url,
            "PublicURL": "",
            "GroupId": 1,
            "TagIds": [],
            "Status": 1,
            "ContainerEngine": "docker",
            "TLSConfig": {
                "TLS": tls,
                "TLSSkipVerify": skip_verify,
                "TLSCACert": "",
                "TLSCert": "",
                "TLSKey": "",
            },
            "Agent": agent,
            "Snapshots": [],
            "EdgeID": "",
            "EdgeKey": "",
        }
        self._next_endpoint += 1
        self._endpoints[endpoint_id] = endpoint
        return endpoint

    def _endpoint(self, endpoint_id: int) -> dict[str, Any]:
        endpoint = self._endpoints.get(endpoint_id)
        if endpoint is None:
            raise _HTTPError(
                404,
                "Unable to find an environment with the specified identifier inside the database",
                "Object not found inside the database",
            )
        return endpoint

    def _h_endpoint_list(self, request: Request, user: str) -> Response:
        name = request.args.get("name")
        with self._lock:
            items = [
                json.loads(json.dumps(e))
                for e in sorted(self._endpoints.values(), key=lambda e: e["Id"])
                if name is None or e["Name"] == name
            ]
        response = _json_response(items)
        response.headers["X-Total-Count"] = str(len(items))
        response.headers["X-Total-Available"] = str(len(self._endpoints))
        return response

    def _h_endpoint_get(self, request: Request, user: str, id: int) -> Response:
        with self._lock:
            return _json_response(self._endpoint(id))

    def route_agent(self, address: str, to: str) -> None:
        """Portainer's own network view: connections to ``address`` (``host:port``, as the
        environment URL names it) reach ``to`` instead. Lets a test give the server a path to
        an agent that the machine running the reconcile does not have."""
        with self._lock:
            self._agent_routes[address] = to

    def _agent_address(self, url: str) -> tuple[str, int] | None:
        match = re.match(r"^(?:tcp|https?)://([^:/]+:\d+)$", url)
        if not match:
            return None
        with self._lock:
            address = self._agent_routes.get(match[1], match[1])
        host, _, port = address.rpartition(":")
        return host, int(port)

    def _agent_request(
        self, url: str, path: str, headers: dict[str, str] | None = None
    ) -> tuple[int | None, str, str]:
        """``GET https://<agent><path>`` as the server sends it (certificate not verified);
        refuses non-loopback hosts. Returns (status or None, ``Portainer-Agent`` header,
        error text in Portainer's words)."""
        address = self._agent_address(url)
        if address is None:
            return None, "", f'parse "{url}": invalid environment URL'
        host, port = address
        target = f"https://{url.split('://', 1)[1]}{path}"
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            # Never send traffic off this machine from a test fake.
            timeout = f"dial tcp {host}:{port}: i/o timeout (fake: not loopback)"
            return None, "", f'Get "{target}": {timeout}'
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection = http.client.HTTPSConnection(
            host, port, timeout=self.agent_ping_timeout_s, context=context
        )
        try:
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as exc:
            return None, "", f'Get "{target}": {exc}'
        finally:
            connection.close()
        return response.status, response.getheader("Portainer-Agent", ""), ""

    def _ping_agent(self, url: str) -> tuple[str | None, str]:
        """``GET /ping`` like the server does before it saves an agent environment.

        Returns (agent version, error)."""
        status, version, error = self._agent_request(url, "/ping")
        if status is None:
            return None, error
        if status != 204:
            return None, f'Get "https://{url[6:]}/ping": unexpected status {status}'
        return version, ""

    def _snapshot_agent(self, url: str) -> str:
        """The first signed request (the environment's snapshot); returns an error or ''."""
        signed = {
            "X-PortainerAgent-PublicKey": "fake-server-key",
            "X-PortainerAgent-Signature": "x",
        }
        status, _, error = self._agent_request(url, "/info", signed)
        if status == 403:
            return "agent already paired with another Portainer instance"
        if status != 200:
            return error or f"unexpected status {status}"
        return ""

    def _h_endpoint_create(self, request: Request, user: str) -> Response:
        if request.mimetype != "multipart/form-data":
            # The real handler reads form values only: a JSON body has no Name.
            raise _HTTPError(400, "Invalid request payload", "Invalid environment name")
        form = request.form
        for key in list(form.keys()) + list(request.files.keys()):
            if key not in ENDPOINT_FORM_FIELDS:
                raise _HTTPError(400, "Invalid request payload", f"Unknown form field {key!r}")
        name = form.get("Name", "")
        if not name:
            raise _HTTPError(400, "Invalid request payload", "Invalid environment name")
        creation_type = form.get("EndpointCreationType", "")
        if creation_type not in {"1", "2", "3", "4", "5"}:
            raise _HTTPError(
                400,
                "Invalid request payload",
                "Invalid environment type value. Value must be one of: 1 (Docker environment), "
                "2 (Agent environment), 3 (Azure environment), 4 (Edge Agent environment) or "
                "5 (Local Kubernetes environment)",
            )
        if creation_type != "2":
            raise _HTTPError(400, "Invalid request payload", "Fake supports only type 2 (Agent)")
        url = form.get("URL", "")
        if not re.match(r"^tcp://[^:/]+:\d+$", url):
            raise _HTTPError(400, "Invalid request payload", "Invalid environment URL")
        tagids = form.get("TagIds")
        if tagids is not None:
            try:
                tags = json.loads(tagids)
            except ValueError:
                tags = None
            if not isinstance(tags, list):
                raise _HTTPError(400, "Invalid request payload", "Invalid TagIds parameter")
        tls = form.get("TLS") == "true"  # the real server compares with the literal "true"
        if tls and form.get("TLSSkipVerify") != "true" and "TLSCACertFile" not in request.files:
            raise _HTTPError(
                400,
                "Invalid request payload",
                "Invalid CA certificate file. Ensure that the file is uploaded correctly",
            )
        if tls and form.get("TLSSkipClientVerify") != "true":
            raise _HTTPError(
                400,
                "Invalid request payload",
                "Invalid certificate file. Ensure that the file is uploaded correctly",
            )
        with self._lock:
            if name in self._endpoint_races:
                other_url = self._endpoint_races.pop(name)
                self._insert_endpoint(name, other_url, 2, True, True, {"Version": VERSION})
            if any(e["Name"] == name for e in self._endpoints.values()):
                raise _HTTPError(409, "Name is not unique")
        if not tls:
            raise _HTTPError(
                500,
                "Unable to get environment type",
                f'Get "https://{url[6:]}/ping": x509: certificate signed by unknown authority',
            )
        version, error = self._ping_agent(url)  # outside the lock: may take seconds
        if version is None:
            raise _HTTPError(500, "Unable to get environment type", error)
        refused = self._snapshot_agent(url)
        if refused:
            raise _HTTPError(500, "Unable to initiate communications with environment", refused)
        with self._lock:
            if any(e["Name"] == name for e in self._endpoints.values()):
                raise _HTTPError(409, "Name is not unique")
            endpoint = self._insert_endpoint(name, url, 2, True, True, {"Version": version})
            return _json_response(endpoint)

    def _h_endpoint_update(self, request: Request, user: str, id: int) -> Response:
        body = self._json(request, ENDPOINT_UPDATE_FIELDS)
        with self._lock:
            endpoint = self._endpoint(id)
            name = body.get("Name")
            if name is not None and any(
                e["Name"] == name and e["Id"] != id for e in self._endpoints.values()
            ):
                raise _HTTPError(409, "Name is not unique")
            for key in ("Name", "URL", "PublicURL", "Status"):
                if body.get(key) is not None:
                    endpoint[key] = body[key]
            if body.get("GroupID") is not None:
                endpoint["GroupId"] = body["GroupID"]
            if body.get("TagIDs") is not None:
                endpoint["TagIds"] = list(body["TagIDs"])
            if body.get("TLS") is not None:
                tls_config = endpoint["TLSConfig"]
                if body["TLS"]:
                    tls_config["TLS"] = True
                    if body.get("TLSSkipVerify") is not None:
                        tls_config["TLSSkipVerify"] = body["TLSSkipVerify"]
                else:
                    tls_config.update(TLS=False, TLSSkipVerify=False)
            return _json_response(endpoint)

    def _h_endpoint_delete(self, request: Request, user: str, id: int) -> Response:
        with self._lock:
            self._endpoint(id)
            del self._endpoints[id]
        return Response(status=204)

    def _h_docker(self, request: Request, user: str, id: int, rest: str) -> Response:
        """Portainer's Docker proxy: the Engine API of the environment (tests/fakes/docker.py)."""
        with self._lock:
            self._endpoint(id)
            containers = containers_of(self.stacks(id), dict(self._services))
        return respond(request.method, rest, request.args, containers)

    # ------------------------------------------------------------------ stacks

    def _stack(self, stack_id: int) -> FakeStack:
        stack = self._stacks.get(stack_id)
        if stack is None:
            raise _HTTPError(
                404,
                "Unable to find a stack with the specified identifier inside the database",
                "Object not found inside the database",
            )
        stack.settle()
        return stack

    @staticmethod
    def _endpoint_id_param(request: Request) -> int:
        raw = request.args.get("endpointId", "")
        if not raw.isdigit() or int(raw) == 0:
            raise _HTTPError(400, "Invalid query parameter: endpointId", "Invalid query parameter")
        return int(raw)

    def _deploy(self, stack: FakeStack) -> None:
        stack.status = 3
        stack.deployments += 1
        stack.deploy_until = (
            math.inf if self._holding_deploys else time.monotonic() + self.deploy_seconds
        )
        stack.deploy_fails = (
            FAIL_DEPLOY_MARKER in stack.content or stack.name in self._failing_deploys
        )
        stack.deployment_status = [{"Status": 3, "Time": int(time.time())}]

    def _h_stack_list(self, request: Request, user: str) -> Response:
        raw = request.args.get("filters")
        endpoint_id: int | None = None
        if raw is not None:
            try:
                filters = json.loads(raw)
            except ValueError:
                filters = None
            if not isinstance(filters, dict) or any(
                k not in {"EndpointID", "SwarmID", "IncludeOrphanedStacks"} for k in filters
            ):
                raise _HTTPError(400, "Invalid query parameter: filters", "Invalid filters")
            value = filters.get("EndpointID")
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise _HTTPError(400, "Invalid query parameter: filters", "EndpointID: not an int")
            endpoint_id = value
        with self._lock:
            items = []
            for stack in sorted(self._stacks.values(), key=lambda s: s.id):
                stack.settle()
                if endpoint_id is not None and stack.endpoint_id != endpoint_id:
                    continue
                items.append(stack.to_json())
        return _json_response(items)

    def _h_stack_get(self, request: Request, user: str, id: int) -> Response:
        with self._lock:
            return _json_response(self._stack(id).to_json())

    def _h_stack_file(self, request: Request, user: str, id: int) -> Response:
        with self._lock:
            return _json_response({"StackFileContent": self._stack(id).content})

    def _h_stack_create(self, request: Request, user: str) -> Response:
        endpoint_id = self._endpoint_id_param(request)
        body = self._json(request, STACK_CREATE_FIELDS)
        name = body.get("Name") or ""
        if not name:
            raise _HTTPError(400, "Invalid request payload", "Invalid stack name")
        content = body.get("StackFileContent") or ""
        if not content:
            raise _HTTPError(400, "Invalid request payload", "Invalid stack file content")
        env = self._env(body.get("Env"))
        normalized = normalize(name)
        with self._lock:
            self._endpoint(endpoint_id)
            if normalized in self._races:
                owner = self._races.pop(normalized)
                other_env = {"PHOENIX_OWNER": owner} if owner is not None else {}
                self.seed_stack(endpoint_id, normalized, content, other_env)
            if any(
                s.name == normalized and s.endpoint_id == endpoint_id for s in self._stacks.values()
            ):
                message = f"A stack with the normalized name '{normalized}' already exists"
                raise _HTTPError(409, message, message)
            now = int(time.time())
            stack = FakeStack(
                id=self._next_stack,
                name=normalized,
                endpoint_id=endpoint_id,
                content=content,
                env=env,
                status=3,
                created_by=user,
                creation_date=now,
            )
            self._next_stack += 1
            self._deploy(stack)
            self._stacks[stack.id] = stack
            return _json_response(stack.to_json())

    def _h_stack_update(self, request: Request, user: str, id: int) -> Response:
        endpoint_id = self._endpoint_id_param(request)
        body = self._json(request, STACK_UPDATE_FIELDS)
        content = body.get("StackFileContent") or ""
        env = self._env(body.get("Env"))  # replaces the whole list; absent wipes it
        with self._lock:
            stack = self._stack(id)
            if endpoint_id not in self._endpoints:
                raise _HTTPError(
                    404,
                    "Unable to find the environment associated to the stack inside the database",
                )
            if not content:
                raise _HTTPError(400, "Invalid request payload", "Invalid stack file content")
            if stack.status == 3:
                raise _HTTPError(409, "Stack deployment is already in progress")
            stack.endpoint_id = endpoint_id  # legacy behaviour: the query overwrites it
            stack.content = content
            stack.env = env
            stack.update_date = int(time.time())
            stack.updated_by = user
            self._deploy(stack)
            return _json_response(stack.to_json())

    def _h_stack_start(self, request: Request, user: str, id: int) -> Response:
        self._endpoint_id_param(request)
        with self._lock:
            stack = self._stack(id)
            if stack.status != 2:
                raise _HTTPError(409, "Stack is already active, deploying, or in error state")
            self._deploy(stack)
            return _json_response(stack.to_json())

    def _h_stack_stop(self, request: Request, user: str, id: int) -> Response:
        self._endpoint_id_param(request)
        with self._lock:
            stack = self._stack(id)
            if stack.status != 1:
                raise _HTTPError(400, "Stack is already inactive")
            stack.status = 2
            return _json_response(stack.to_json())

    def _h_stack_delete(self, request: Request, user: str, id: int) -> Response:
        self._endpoint_id_param(request)
        with self._lock:
            self._stack(id)
            del self._stacks[id]
        return Response(status=204)
