"""The fake Portainer's wire format: which routes are public, the field tables it decodes
request bodies against (strictly: exact names, expected types), and its answers' shapes."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request, Response

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


class ApiError(Exception):
    """Internal: abort a handler with a JSON error."""

    def __init__(self, status: int, message: str, details: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details


def json_response(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


def error_response(status: int, message: str, details: str = "") -> Response:
    body = {"message": message}
    if details:
        body["details"] = details
    return json_response(body, status)


def plain_response(status: int, text: str) -> Response:
    return Response(text, status=status, mimetype="text/plain")


def decode_json(request: Request, fields: dict[str, type | tuple[type, ...]]) -> dict[str, Any]:
    """Decode a JSON object body strictly: exact field names, expected types."""
    if request.mimetype != "application/json":
        raise ApiError(400, "Invalid request payload", "Content-Type must be application/json")
    try:
        body = json.loads(request.get_data(as_text=True))
    except ValueError as exc:
        raise ApiError(400, "Invalid request payload", str(exc)) from None
    if not isinstance(body, dict):
        raise ApiError(400, "Invalid request payload", "Body must be a JSON object")
    for key, value in body.items():
        if key not in fields:
            raise ApiError(400, "Invalid request payload", f"Unknown field {key!r}")
        expected = fields[key]
        if isinstance(value, bool) and expected is int:
            raise ApiError(400, "Invalid request payload", f"Field {key!r}: wrong type")
        if value is not None and not isinstance(value, expected):
            raise ApiError(400, "Invalid request payload", f"Field {key!r}: wrong type")
    return body


def decode_env(value: Any) -> list[dict[str, str]]:
    if value is None:
        return []
    for pair in value:
        if not isinstance(pair, dict) or set(pair) != {"name", "value"}:
            raise ApiError(
                400, "Invalid request payload", "Env entries must be {name, value} objects"
            )
        if not isinstance(pair["name"], str) or not isinstance(pair["value"], str):
            raise ApiError(400, "Invalid request payload", "Env name/value must be strings")
    return [{"name": p["name"], "value": p["value"]} for p in value]
