"""The fake Portainer's authentication (API keys, JWTs, the cookie session and its CSRF
rule, the login rate limiter) and its status and administrator routes."""

from __future__ import annotations

import re
import secrets
import time

from werkzeug.wrappers import Request, Response

from tests.fakes.portainer.records import VERSION, RequestRecord
from tests.fakes.portainer.state import PortainerState
from tests.fakes.portainer.wire import (
    CREDENTIAL_FIELDS,
    PUBLIC_ROUTES,
    UNSAFE_METHODS,
    ApiError,
    decode_json,
    json_response,
)


class AuthRoutes(PortainerState):
    """``/api/auth``, ``/api/status``, ``/api/settings/public``, ``/api/users/...``."""

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
            raise ApiError(403, "Forbidden - CSRF token not found in request")
        if route in PUBLIC_ROUTES:
            return ""
        if api_key and bearer and cookie is None:
            raise ApiError(403, "api key and auth header are not allowed at the same time")
        with self._lock:
            if api_key:
                user = self._api_keys.get(api_key)
                if user is None:
                    raise ApiError(401, "Invalid JWT token", "Invalid API key")
                return user
            token = cookie or (bearer[7:] if bearer.startswith("Bearer ") else "")
            if not token:
                raise ApiError(401, "A valid authorization token is missing")
            entry = self._tokens.get(token)
            if entry is None or entry[1] <= time.time():
                raise ApiError(401, "Invalid JWT token")
            return entry[0]

    def _h_auth(self, request: Request, user: str) -> Response:
        now = time.monotonic()
        with self._lock:
            self._auth_times = [t for t in self._auth_times if now - t < 1.0] + [now]
            if len(self._auth_times) > self.auth_rate_limit:
                self._banned = True
            if self._banned:
                raise ApiError(403, "Access denied")
        body = decode_json(request, CREDENTIAL_FIELDS)
        username, password = body.get("Username"), body.get("Password")
        if not username:
            raise ApiError(400, "Invalid request payload", "Invalid username")
        if not password:
            raise ApiError(400, "Invalid request payload", "Invalid password")
        with self._lock:
            if self._admin != (username, password):
                raise ApiError(422, "Invalid credentials", "Unauthorized")
            token = "eyJfake." + secrets.token_urlsafe(24)
            self._tokens[token] = (username, time.time() + self.jwt_lifetime_s)
        response = json_response({"jwt": token})
        response.set_cookie(
            "portainer_api_key", token, path="/", httponly=True, samesite="Strict", secure=True
        )
        return response

    # ------------------------------------------------------------------ status and admin

    def _h_status(self, request: Request, user: str) -> Response:
        return json_response({"Version": VERSION, "InstanceID": "fake-instance"})

    _h_system_status = _h_status

    def _h_settings_public(self, request: Request, user: str) -> Response:
        with self._lock:
            needs_token = self._admin is None and self.setup_token is not None
        return json_response(
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
                raise ApiError(404, "No administrator account found inside the database")
        return Response(status=204)

    def _h_admin_init(self, request: Request, user: str) -> Response:
        body = decode_json(request, CREDENTIAL_FIELDS)
        username, password = body.get("Username") or "", body.get("Password") or ""
        if not username or re.search(r"\s", username):
            raise ApiError(400, "Invalid request payload", "Invalid username")
        if len(password) < self.required_password_length:
            raise ApiError(400, "Password does not meet the requirements")
        with self._lock:
            if self._admin is not None:
                raise ApiError(
                    409,
                    "Unable to create administrator user",
                    "An administrator user already exists",
                )
            if self.setup_token is not None and request.headers.get("X-Setup-Token") != (
                self.setup_token
            ):
                raise ApiError(
                    403,
                    "Invalid or missing setup token. Provide the X-Setup-Token header with the "
                    "token printed in the server logs at startup.",
                )
            self._admin = (username, password)
        return json_response({"Id": 1, "Username": username, "Role": 1})

    def _h_users_me(self, request: Request, user: str) -> Response:
        return json_response({"Id": 1, "Username": user, "Role": 1})
