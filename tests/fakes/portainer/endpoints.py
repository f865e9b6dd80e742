"""The fake Portainer's environments (``/api/endpoints``): the multipart create that pings
and snapshots the agent as the real server does, update, delete, and the Docker proxy."""

from __future__ import annotations

import http.client
import ipaddress
import json
import re
import ssl

from werkzeug.wrappers import Request, Response

from tests.fakes.docker import containers_of, respond
from tests.fakes.portainer.records import VERSION
from tests.fakes.portainer.state import PortainerState
from tests.fakes.portainer.wire import (
    ENDPOINT_FORM_FIELDS,
    ENDPOINT_UPDATE_FIELDS,
    ApiError,
    decode_json,
    json_response,
)


class EndpointRoutes(PortainerState):
    """``/api/endpoints`` and ``/api/endpoints/{id}/docker/...``."""

    def _h_endpoint_list(self, request: Request, user: str) -> Response:
        name = request.args.get("name")
        with self._lock:
            items = [
                json.loads(json.dumps(e))
                for e in sorted(self._endpoints.values(), key=lambda e: e["Id"])
                if name is None or e["Name"] == name
            ]
        response = json_response(items)
        response.headers["X-Total-Count"] = str(len(items))
        response.headers["X-Total-Available"] = str(len(self._endpoints))
        return response

    def _h_endpoint_get(self, request: Request, user: str, id: int) -> Response:
        with self._lock:
            return json_response(self._endpoint(id))

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
            raise ApiError(400, "Invalid request payload", "Invalid environment name")
        form = request.form
        for key in list(form.keys()) + list(request.files.keys()):
            if key not in ENDPOINT_FORM_FIELDS:
                raise ApiError(400, "Invalid request payload", f"Unknown form field {key!r}")
        name = form.get("Name", "")
        if not name:
            raise ApiError(400, "Invalid request payload", "Invalid environment name")
        creation_type = form.get("EndpointCreationType", "")
        if creation_type not in {"1", "2", "3", "4", "5"}:
            raise ApiError(
                400,
                "Invalid request payload",
                "Invalid environment type value. Value must be one of: 1 (Docker environment), "
                "2 (Agent environment), 3 (Azure environment), 4 (Edge Agent environment) or "
                "5 (Local Kubernetes environment)",
            )
        if creation_type != "2":
            raise ApiError(400, "Invalid request payload", "Fake supports only type 2 (Agent)")
        url = form.get("URL", "")
        if not re.match(r"^tcp://[^:/]+:\d+$", url):
            raise ApiError(400, "Invalid request payload", "Invalid environment URL")
        tagids = form.get("TagIds")
        if tagids is not None:
            try:
                tags = json.loads(tagids)
            except ValueError:
                tags = None
            if not isinstance(tags, list):
                raise ApiError(400, "Invalid request payload", "Invalid TagIds parameter")
        tls = form.get("TLS") == "true"  # the real server compares with the literal "true"
        if tls and form.get("TLSSkipVerify") != "true" and "TLSCACertFile" not in request.files:
            raise ApiError(
                400,
                "Invalid request payload",
                "Invalid CA certificate file. Ensure that the file is uploaded correctly",
            )
        if tls and form.get("TLSSkipClientVerify") != "true":
            raise ApiError(
                400,
                "Invalid request payload",
                "Invalid certificate file. Ensure that the file is uploaded correctly",
            )
        with self._lock:
            if name in self._endpoint_races:
                other_url = self._endpoint_races.pop(name)
                self._insert_endpoint(name, other_url, 2, True, True, {"Version": VERSION})
            if any(e["Name"] == name for e in self._endpoints.values()):
                raise ApiError(409, "Name is not unique")
        if not tls:
            raise ApiError(
                500,
                "Unable to get environment type",
                f'Get "https://{url[6:]}/ping": x509: certificate signed by unknown authority',
            )
        version, error = self._ping_agent(url)  # outside the lock: may take seconds
        if version is None:
            raise ApiError(500, "Unable to get environment type", error)
        refused = self._snapshot_agent(url)
        if refused:
            raise ApiError(500, "Unable to initiate communications with environment", refused)
        with self._lock:
            if any(e["Name"] == name for e in self._endpoints.values()):
                raise ApiError(409, "Name is not unique")
            endpoint = self._insert_endpoint(name, url, 2, True, True, {"Version": version})
            return json_response(endpoint)

    def _h_endpoint_update(self, request: Request, user: str, id: int) -> Response:
        body = decode_json(request, ENDPOINT_UPDATE_FIELDS)
        with self._lock:
            endpoint = self._endpoint(id)
            name = body.get("Name")
            if name is not None and any(
                e["Name"] == name and e["Id"] != id for e in self._endpoints.values()
            ):
                raise ApiError(409, "Name is not unique")
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
            return json_response(endpoint)

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
