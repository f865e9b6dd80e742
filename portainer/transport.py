"""Requests to one Portainer server on one ``requests.Session``: authentication, timeouts,
errors. `PortainerClient` adds the typed routes on top.

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

import threading
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import requests
from pydantic import BaseModel, ValidationError

from portainer.credentials import Credentials
from portainer.errors import (
    AdminInitTimeoutError,
    AuthenticationError,
    PortainerConnectionError,
    PortainerError,
    PortainerHTTPError,
    UntrustedServerError,
)
from portainer.models import AuthResponse
from portainer.secrets import Redactor
from portainer.session import ClientSettings, build_session, refusal

_M = TypeVar("_M", bound=BaseModel)


class PortainerTransport:
    """Requests to one Portainer server: session, authentication, errors (thread-safe)."""

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
        return f"{type(self).__name__}({self.base_url!r}, auth={mode})"

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
