"""Typed calls to the Portainer API routes Phoenix needs, over `PortainerTransport`."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from portainer.credentials import Credentials
from portainer.errors import (
    AdminInitTimeoutError,
    AuthenticationError,
    PortainerConnectionError,
    PortainerError,
    PortainerHTTPError,
    UntrustedServerError,
)
from portainer.models import (
    Endpoint,
    Pair,
    PublicSettings,
    Stack,
    StackFile,
    SystemStatus,
)
from portainer.transport import PortainerTransport, innermost_reason

#: Agent environments are created with EndpointCreationType 2 ("Agent").
AGENT_CREATION_TYPE = "2"


class PortainerClient(PortainerTransport):
    """Typed calls to the Portainer API routes Phoenix needs (thread-safe)."""

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


__all__ = [
    "AGENT_CREATION_TYPE",
    "AdminInitTimeoutError",
    "AuthenticationError",
    "Credentials",
    "PortainerClient",
    "PortainerConnectionError",
    "PortainerError",
    "PortainerHTTPError",
    "UntrustedServerError",
    "innermost_reason",
]
