"""A small, strict Portainer API client on one ``requests.Session``.

Rules it follows (see shared/reference/portainer-api.md §3, §9):

- no cookie jar: Portainer >= 2.20 sets a JWT cookie and then enforces CSRF on cookie sessions;
- exactly one of ``X-API-Key`` (preferred) or ``Authorization: Bearer <jwt>``;
- ``POST /api/auth`` at most once per run plus at most one re-auth after a 401 (the endpoint
  bans an IP for an hour past 10 requests/s);
- an explicit timeout on every request; TLS verified (pinned certificate or CAs) unless told
  otherwise, and a refused certificate fails at once (:class:`UntrustedServerError`);
- urllib3 ``Retry`` for idempotent methods (GET) on 5xx and dropped connections, and for
  connection failures of any method (nothing reached the server). POST/PUT that may have
  reached the server are not retried here: the reconciler re-reads state first.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests
from pydantic import BaseModel, ValidationError

from portainer.models import (
    AuthResponse,
    Endpoint,
    Pair,
    PublicSettings,
    Stack,
    StackFile,
    SystemStatus,
)
from portainer.secrets import Redactor
from portainer.session import ClientSettings, build_session, refusal

_M = TypeVar("_M", bound=BaseModel)

#: Agent environments are created with EndpointCreationType 2 ("Agent").
AGENT_CREATION_TYPE = "2"


# --------------------------------------------------------------------------- errors


class PortainerError(Exception):
    """Base class of every error the client raises."""


class PortainerHTTPError(PortainerError):
    """Portainer answered with an unexpected status; carries its ``message`` and ``details``."""

    def __init__(self, method: str, path: str, status: int, message: str, details: str) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.message = message
        self.details = details
        text = f"{method} {path}: HTTP {status}"
        if message:
            text += f": {message}"
        if details and details != message:
            text += f" ({details})"
        super().__init__(text)


class PortainerConnectionError(PortainerError):
    """The request did not get an HTTP answer (refused, reset, timed out, TLS failure)."""

    def __init__(self, method: str, path: str, reason: str) -> None:
        self.method = method
        self.path = path
        self.reason = reason
        super().__init__(f"{method} {path}: no response from Portainer ({reason})")


class UntrustedServerError(PortainerError):
    """The server's TLS certificate was refused; nothing was sent to it. Never retried or waited
    for: a certificate does not become trusted by waiting."""

    def __init__(self, url: str, reason: str, help_text: str = "") -> None:
        self.url = url
        self.reason = reason
        text = f"refusing the Portainer server at {url}: {reason}. Nothing was sent to it."
        super().__init__(f"{text}\n{help_text}" if help_text else text)


class AuthenticationError(PortainerError):
    """Credentials are missing, wrong, or the server refused to authenticate us."""


class AdminInitTimeoutError(PortainerError):
    """Portainer disabled itself because no admin was created within 5 minutes of start."""

    def __init__(self) -> None:
        super().__init__(
            "Portainer answered 303 AdminInitTimeout: no administrator was created within 5 "
            "minutes of its start, so the instance locked itself. Restart the Portainer "
            "container, then run the reconcile again promptly."
        )


# --------------------------------------------------------------------------- credentials


@dataclass(frozen=True)
class Credentials:
    """How to authenticate; secret fields are excluded from ``repr``."""

    api_key: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    setup_token: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, default_username: str | None = None
    ) -> Credentials:
        """Read ``PORTAINER_API_KEY`` / ``PORTAINER_USERNAME`` + ``PORTAINER_PASSWORD`` and
        ``PORTAINER_SETUP_TOKEN``; the username defaults to ``default_username``."""
        env = os.environ if environ is None else environ
        password = env.get("PORTAINER_PASSWORD") or None
        return cls(
            api_key=env.get("PORTAINER_API_KEY") or None,
            username=(env.get("PORTAINER_USERNAME") or default_username) if password else None,
            password=password,
            setup_token=env.get("PORTAINER_SETUP_TOKEN") or None,
        )

    @property
    def can_login(self) -> bool:
        """True when a username and password are available (admin init and JWT login)."""
        return bool(self.username and self.password)

    @property
    def usable(self) -> bool:
        """True when the client can authenticate at all."""
        return bool(self.api_key) or self.can_login

    def secret_values(self) -> list[str]:
        """Every secret value, for the output redactor."""
        return [v for v in (self.api_key, self.password, self.setup_token) if v]


# --------------------------------------------------------------------------- client


class PortainerClient:
    """Typed calls to the Portainer API routes Phoenix needs (thread-safe)."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        settings: ClientSettings | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.settings = settings or ClientSettings()
        self._credentials = credentials
        self._redactor = redactor or Redactor()
        for value in credentials.secret_values():
            self._redactor.add(value)
        self._session = build_session(self.settings)
        self._auth_lock = threading.Lock()
        self._jwt: str | None = None
        self._generation = 0  # bumped on every successful login
        self._logins = 0
        self._login_error: PortainerError | None = None

    def __repr__(self) -> str:
        mode = "api-key" if self._credentials.api_key else "jwt"
        return f"PortainerClient({self.base_url!r}, auth={mode})"

    @property
    def credentials(self) -> Credentials:
        """The credentials in use (their repr hides secret values)."""
        return self._credentials

    def close(self) -> None:
        """Close pooled connections."""
        self._session.close()

    def redact(self, text: str) -> str:
        """``text`` with every secret value this run knows masked (for text read from the
        server that may quote them, such as container logs)."""
        return self._redactor(text)

    # ------------------------------------------------------------------ transport

    def _timeout(self) -> tuple[float, float]:
        return (self.settings.connect_timeout_s, self.settings.read_timeout_s)

    def _auth_header(self) -> tuple[dict[str, str], int]:
        if self._credentials.api_key:
            return {"X-API-Key": self._credentials.api_key}, 0
        with self._auth_lock:
            if self._jwt is None:
                self._login_locked()
            assert self._jwt is not None
            return {"Authorization": f"Bearer {self._jwt}"}, self._generation

    def _login_locked(self) -> None:
        """``POST /api/auth`` (caller holds the lock). Never loops: a failure is remembered."""
        if self._login_error is not None:
            raise self._login_error
        if not self._credentials.can_login:
            self._login_error = AuthenticationError(
                "no Portainer credentials: set PORTAINER_API_KEY, or PORTAINER_USERNAME and "
                "PORTAINER_PASSWORD"
            )
            raise self._login_error
        self._logins += 1
        payload = {"Username": self._credentials.username, "Password": self._credentials.password}
        try:
            response = self._send("POST", "/api/auth", json_body=payload, headers={})
        except PortainerError as exc:
            self._login_error = exc
            raise
        if response.status_code == 200:
            token = self.parse(
                AuthResponse, self.json_body(response, "POST", "/api/auth"), "POST", "/api/auth"
            ).jwt
            self._redactor.add(token)
            self._jwt = token
            self._generation += 1
            return
        error = self._http_error("POST", "/api/auth", response)
        if response.status_code == 422:
            self._login_error = AuthenticationError(
                f"Portainer rejected the credentials of user {self._credentials.username!r} "
                f"(HTTP 422: {error.message or 'Invalid credentials'})"
            )
        elif response.status_code == 403:
            self._login_error = AuthenticationError(
                "Portainer refused POST /api/auth with 403 Access denied: this client IP is "
                "probably banned by the login rate limiter (more than 10 requests/s; the ban "
                "lasts one hour). Wait, or use PORTAINER_API_KEY."
            )
        else:
            self._login_error = AuthenticationError(f"login failed: {error}")
        raise self._login_error

    def _reauthenticate(self, generation_used: int) -> None:
        """After a 401: log in again at most once per run (other threads share the result)."""
        with self._auth_lock:
            if self._generation != generation_used:
                return  # another thread already refreshed the token
            if self._credentials.api_key:
                raise AuthenticationError(
                    "Portainer rejected PORTAINER_API_KEY (HTTP 401): the key is unknown or revoked"
                )
            if self._logins >= 2:
                raise AuthenticationError(
                    "Portainer answered 401 again after re-authenticating; giving up "
                    "(not retrying /api/auth to avoid the login rate-limit ban)"
                )
            self._jwt = None
            self._login_locked()

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json_body: Any = None,
        files: Mapping[str, tuple[None, str]] | None = None,
        headers: Mapping[str, str],
    ) -> requests.Response:
        try:
            return self._session.request(
                method,
                self.base_url + path,
                params=params,
                json=json_body,
                files=files,
                headers=dict(headers),
                timeout=self._timeout(),
                allow_redirects=False,
            )
        except requests.exceptions.SSLError as exc:
            refused = refusal(self.base_url, self.settings, exc)
            if refused is not None:
                raise UntrustedServerError(
                    self.base_url, refused, self.settings.untrusted_help
                ) from None
            raise PortainerConnectionError(
                method, path, f"TLS error: {innermost_reason(exc)}"
            ) from None
        except requests.RequestException as exc:
            raise PortainerConnectionError(method, path, innermost_reason(exc)) from None

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json_body: Any = None,
        files: Mapping[str, tuple[None, str]] | None = None,
        expected: Sequence[int] = (200,),
        authenticated: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send one API request; raise :class:`PortainerError` unless the status is expected."""
        extra = dict(headers or {})
        generation = 0
        for attempt in range(2):
            all_headers = dict(extra)
            if authenticated:
                auth, generation = self._auth_header()
                all_headers.update(auth)
            response = self._send(
                method, path, params=params, json_body=json_body, files=files, headers=all_headers
            )
            if response.status_code == 303 and "AdminInitTimeout" in response.headers.get(
                "redirect-reason", ""
            ):
                raise AdminInitTimeoutError()
            if response.status_code == 401 and authenticated and attempt == 0:
                self._reauthenticate(generation)
                continue
            if response.status_code not in expected:
                raise self._http_error(method, path, response)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _http_error(
        self, method: str, path: str, response: requests.Response
    ) -> PortainerHTTPError:
        message, details = "", ""
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            message = str(body.get("message") or "")
            details = str(body.get("details") or "")
        elif response.text:
            message = response.text.strip()[:200]
        return PortainerHTTPError(
            method, path, response.status_code, self._redactor(message), self._redactor(details)
        )

    def json_body(self, response: requests.Response, method: str, path: str) -> Any:
        """The decoded JSON body (None when empty); not JSON raises PortainerHTTPError."""
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise PortainerHTTPError(
                method, path, response.status_code, "response is not JSON", ""
            ) from None

    @staticmethod
    def parse(model: type[_M], data: Any, method: str, path: str) -> _M:
        """Validate a response body; the error names fields only (bodies may hold secrets)."""
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            where = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '<body>'}: {err['msg']}"
                for err in exc.errors(include_input=False, include_url=False)
            )
            raise PortainerHTTPError(
                method, path, 200, f"unexpected {model.__name__} in the response", where[:300]
            ) from None

    # ------------------------------------------------------------------ server and admin

    def system_status(self) -> SystemStatus:
        """``GET /api/system/status`` (public)."""
        response = self.request("GET", "/api/system/status", authenticated=False)
        return self.parse(
            SystemStatus,
            self.json_body(response, "GET", "/api/system/status"),
            "GET",
            "/api/system/status",
        )

    def public_settings(self) -> PublicSettings:
        """``GET /api/settings/public`` (public)."""
        response = self.request("GET", "/api/settings/public", authenticated=False)
        return self.parse(
            PublicSettings,
            self.json_body(response, "GET", "/api/settings/public"),
            "GET",
            "/api/settings/public",
        )

    def admin_exists(self) -> bool:
        """``GET /api/users/admin/check``: 204 an admin exists, 404 none yet."""
        response = self.request(
            "GET", "/api/users/admin/check", authenticated=False, expected=(204, 404)
        )
        return response.status_code == 204

    def init_admin(self) -> bool:
        """``POST /api/users/admin/init`` with the login credentials; False when one existed."""
        creds = self._credentials
        if not creds.can_login:
            raise AuthenticationError(
                "Portainer has no administrator yet; set PORTAINER_USERNAME (or rely on the "
                "desired state's admin_username) and PORTAINER_PASSWORD to create it"
            )
        headers = {"X-Setup-Token": creds.setup_token} if creds.setup_token else {}
        try:
            response = self.request(
                "POST",
                "/api/users/admin/init",
                json_body={"Username": creds.username, "Password": creds.password},
                authenticated=False,
                expected=(200, 409),
                headers=headers,
            )
        except PortainerHTTPError as exc:
            if exc.status == 403:
                raise AuthenticationError(
                    "Portainer requires a setup token to create the first administrator "
                    "(HTTP 403). Set PORTAINER_SETUP_TOKEN to the setup_token= value printed in "
                    "the Portainer server log at start-up, or start Portainer with "
                    "--admin-password-file."
                ) from None
            raise
        return response.status_code == 200

    # ------------------------------------------------------------------ environments

    def find_endpoint(self, name: str) -> Endpoint | None:
        """The environment named exactly ``name`` (``GET /api/endpoints?name=``), or None."""
        response = self.request(
            "GET", "/api/endpoints", params={"name": name, "excludeSnapshots": "true"}
        )
        items = self.json_body(response, "GET", "/api/endpoints") or []
        # The server filters already; re-check so a server that ignores `name` is harmless.
        matches = [
            self.parse(Endpoint, item, "GET", "/api/endpoints")
            for item in items
            if isinstance(item, dict) and item.get("Name") == name
        ]
        return matches[0] if matches else None

    def list_endpoints(self) -> list[Endpoint]:
        """Every environment (``GET /api/endpoints``; no pagination without ``limit``)."""
        response = self.request("GET", "/api/endpoints", params={"excludeSnapshots": "true"})
        items = self.json_body(response, "GET", "/api/endpoints") or []
        return [
            self.parse(Endpoint, item, "GET", "/api/endpoints")
            for item in items
            if isinstance(item, dict)
        ]

    def create_agent_endpoint(self, name: str, url: str) -> Endpoint:
        """``POST /api/endpoints`` (multipart): an Agent environment over TLS, skip-verify."""
        form = {
            "Name": (None, name),
            "EndpointCreationType": (None, AGENT_CREATION_TYPE),
            "URL": (None, url),
            # The server compares these with the literal string "true".
            "TLS": (None, "true"),
            "TLSSkipVerify": (None, "true"),
            "TLSSkipClientVerify": (None, "true"),
        }
        response = self.request("POST", "/api/endpoints", files=form)
        return self.parse(
            Endpoint, self.json_body(response, "POST", "/api/endpoints"), "POST", "/api/endpoints"
        )

    def update_endpoint(self, endpoint_id: int, changes: Mapping[str, Any]) -> Endpoint:
        """``PUT /api/endpoints/{id}`` (JSON) with only the fields to change."""
        path = f"/api/endpoints/{endpoint_id}"
        response = self.request("PUT", path, json_body=dict(changes))
        return self.parse(Endpoint, self.json_body(response, "PUT", path), "PUT", path)

    # ------------------------------------------------------------------ stacks

    def list_stacks(self, endpoint_id: int) -> list[Stack]:
        """Compose stacks of one environment (``GET /api/stacks?filters={"EndpointID":N}``)."""
        filters = json.dumps({"EndpointID": endpoint_id}, separators=(",", ":"))
        response = self.request(
            "GET", "/api/stacks", params={"filters": filters}, expected=(200, 204)
        )
        items = self.json_body(response, "GET", "/api/stacks") or []
        return [self.parse(Stack, item, "GET", "/api/stacks") for item in items]

    def get_stack(self, stack_id: int) -> Stack:
        """``GET /api/stacks/{id}``."""
        path = f"/api/stacks/{stack_id}"
        return self.parse(
            Stack, self.json_body(self.request("GET", path), "GET", path), "GET", path
        )

    def get_stack_file(self, stack_id: int) -> str:
        """``GET /api/stacks/{id}/file``: the stored compose content."""
        path = f"/api/stacks/{stack_id}/file"
        data = self.json_body(self.request("GET", path), "GET", path)
        return self.parse(StackFile, data, "GET", path).StackFileContent

    def create_stack(self, endpoint_id: int, name: str, compose: str, env: Sequence[Pair]) -> Stack:
        """``POST /api/stacks/create/standalone/string?endpointId=N`` (JSON)."""
        path = "/api/stacks/create/standalone/string"
        body = {
            "Name": name,
            "StackFileContent": compose,
            "Env": [{"name": p.name, "value": p.value} for p in env],
        }
        response = self.request("POST", path, params={"endpointId": endpoint_id}, json_body=body)
        return self.parse(Stack, self.json_body(response, "POST", path), "POST", path)

    def update_stack(
        self, stack_id: int, endpoint_id: int, compose: str, env: Sequence[Pair]
    ) -> Stack:
        """``PUT /api/stacks/{id}?endpointId=N`` with the full file and the FULL env list."""
        path = f"/api/stacks/{stack_id}"
        body = {
            "StackFileContent": compose,
            "Env": [{"name": p.name, "value": p.value} for p in env],
            "Prune": False,
            "RepullImageAndRedeploy": False,
        }
        response = self.request("PUT", path, params={"endpointId": endpoint_id}, json_body=body)
        return self.parse(Stack, self.json_body(response, "PUT", path), "PUT", path)

    def start_stack(self, stack_id: int, endpoint_id: int) -> Stack:
        """``POST /api/stacks/{id}/start?endpointId=N``."""
        path = f"/api/stacks/{stack_id}/start"
        response = self.request("POST", path, params={"endpointId": endpoint_id})
        return self.parse(Stack, self.json_body(response, "POST", path), "POST", path)

    def delete_stack(self, stack_id: int, endpoint_id: int) -> None:
        """``DELETE /api/stacks/{id}?endpointId=N``."""
        self.request(
            "DELETE", f"/api/stacks/{stack_id}", params={"endpointId": endpoint_id}, expected=(204,)
        )


def innermost_reason(exc: BaseException) -> str:
    """The innermost cause of a requests/urllib3 error, short and free of request headers."""
    inner: BaseException = exc
    seen = 0
    while seen < 6:
        nxt = getattr(inner, "reason", None) or inner.__cause__ or inner.__context__
        if not isinstance(nxt, BaseException):
            break
        inner, seen = nxt, seen + 1
    text = str(inner) or type(inner).__name__
    return text[:300]
