"""The operations Phoenix may send, as Portainer's and Docker's API documents define them.

Written from the documents, not from the fake: the Portainer CE 2.44 OpenAPI document
(operation ids, query parameters, body media types; see shared/reference/portainer-api.md and
its ``portainer-api-specs``), and for ``/api/endpoints/{id}/docker/...``, which Portainer's
document leaves to Docker ("any request made to this endpoint is proxied to the Docker API of
the associated environment"), the Docker Engine API (ContainerList, ContainerInspect,
ContainerLogs; an optional ``/v1.NN`` version prefix). `problems` says how a logged request
strays from them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

from tests.fakes.portainer import RequestRecord

PORTAINER = "Portainer CE 2.44 OpenAPI"
DOCKER = "Docker Engine API, through Portainer's Docker proxy"
DOCKER_PREFIX = r"/api/endpoints/[0-9]+/docker(?:/v[0-9]+\.[0-9]+)?"


@dataclass(frozen=True)
class Operation:
    """One documented operation."""

    method: str
    path: str
    """Path template: ``{id}`` a numeric id, ``{name}`` any path segment."""
    operation: str
    """Its operation id in the document."""
    document: str = PORTAINER
    query: frozenset[str] = frozenset()
    """The documented query parameters."""
    required: frozenset[str] = frozenset()
    body: str = ""
    """The documented request body media type ('' for none)."""

    def matches(self, method: str, path: str) -> bool:
        prefix = DOCKER_PREFIX if self.document == DOCKER else ""
        pattern = re.escape(self.path).replace(r"\{id\}", "[0-9]+").replace(r"\{name\}", "[^/]+")
        return method == self.method and re.fullmatch(prefix + pattern, path) is not None


def _q(*names: str) -> frozenset[str]:
    return frozenset(names)


ENDPOINT_LIST_QUERY = _q(
    "start", "limit", "sort", "order", "search", "groupIds", "status", "types",
    "platformTypes", "outdated", "excludeGroupIds", "tagIds", "tagsPartialMatch",
    "endpointIds", "excludeIds", "agentVersions", "edgeAsync", "edgeDeviceUntrusted",
    "edgeCheckInPassedSeconds", "excludeSnapshots", "name", "edgeStackId",
    "edgeStackStatus", "edgeGroupIds", "excludeEdgeGroupIds",
)  # fmt: skip

OPERATIONS: tuple[Operation, ...] = (
    Operation("GET", "/api/system/status", "systemStatus"),
    Operation("GET", "/api/settings/public", "SettingsPublic"),
    Operation("GET", "/api/users/admin/check", "UserAdminCheck"),
    Operation("POST", "/api/users/admin/init", "UserAdminInit", body="application/json"),
    Operation("POST", "/api/auth", "AuthenticateUser", body="application/json"),
    Operation("GET", "/api/endpoints", "EndpointList", query=ENDPOINT_LIST_QUERY),
    Operation("POST", "/api/endpoints", "EndpointCreate", body="multipart/form-data"),
    Operation("GET", "/api/endpoints/{id}", "EndpointInspect", query=_q("excludeSnapshot")),
    Operation("PUT", "/api/endpoints/{id}", "EndpointUpdate", body="application/json"),
    Operation("GET", "/api/stacks", "StackList", query=_q("filters")),
    Operation("GET", "/api/stacks/{id}", "StackInspect"),
    Operation("GET", "/api/stacks/{id}/file", "StackFileInspect"),
    Operation(
        "POST",
        "/api/stacks/create/standalone/string",
        "StackCreateDockerStandaloneString",
        query=_q("endpointId"),
        required=_q("endpointId"),
        body="application/json",
    ),
    Operation(
        "PUT",
        "/api/stacks/{id}",
        "StackUpdate",
        query=_q("endpointId"),
        required=_q("endpointId"),
        body="application/json",
    ),
    Operation(
        "POST",
        "/api/stacks/{id}/start",
        "StackStart",
        query=_q("endpointId"),
        required=_q("endpointId"),
    ),
    Operation(
        "DELETE",
        "/api/stacks/{id}",
        "StackDelete",
        query=_q("endpointId", "external"),
        required=_q("endpointId"),
    ),
    Operation(
        "GET",
        "/containers/json",
        "ContainerList",
        DOCKER,
        query=_q("all", "limit", "size", "filters"),
    ),
    Operation("GET", "/containers/{name}/json", "ContainerInspect", DOCKER, query=_q("size")),
    Operation(
        "GET",
        "/containers/{name}/logs",
        "ContainerLogs",
        DOCKER,
        query=_q("follow", "stdout", "stderr", "since", "until", "timestamps", "tail"),
    ),
)

#: ContainerList's documented filters (``filters`` is a JSON map of filter name to values).
CONTAINER_FILTERS = _q(
    "ancestor", "before", "expose", "exited", "health", "id", "isolation", "is-task", "label",
    "name", "publish", "network", "since", "status", "volume",
)  # fmt: skip
#: StackList's ``filters`` (a JSON object).
STACK_FILTERS = _q("EndpointID", "SwarmID", "IncludeOrphanedStacks")
_BOOLEAN = re.compile(r"^(1|0|true|false)$")


def operation_of(record: RequestRecord) -> Operation | None:
    """The documented operation a logged request is, if any."""
    return next((op for op in OPERATIONS if op.matches(record.method, record.path)), None)


def problems(record: RequestRecord) -> list[str]:
    """How ``record`` strays from the documents ([] when it does not)."""
    where = f"{record.method} {record.path}?{record.query}"
    op = operation_of(record)
    if op is None:
        return [f"{where}: no such operation in the {PORTAINER} or the {DOCKER}"]
    params = parse_qsl(record.query, keep_blank_values=True)
    names = {name for name, _ in params}
    out = [f"{where}: {op.operation} has no query parameter {n!r}" for n in names - op.query]
    out += [f"{where}: {op.operation} needs query parameter {n!r}" for n in op.required - names]
    if record.content_type != op.body:
        wanted = op.body or "no body"
        out.append(f"{where}: {op.operation} takes {wanted}, got {record.content_type or 'none'}")
    for name, value in params:
        out += [f"{where}: {problem}" for problem in _value_problems(op, name, value)]
    return out


def _value_problems(op: Operation, name: str, value: str) -> list[str]:
    if name == "endpointId" and not value.isdigit():
        return [f"endpointId {value!r} is not an integer"]
    if op.operation == "StackList" and name == "filters":
        filters = _json_object(value)
        if filters is None or set(filters) - STACK_FILTERS:
            return [f"filters {value!r} is not a JSON object of {sorted(STACK_FILTERS)}"]
    if op.operation == "ContainerList" and name == "filters":
        filters = _json_object(value)
        if filters is None or set(filters) - CONTAINER_FILTERS:
            return [f"filters {value!r} is not a JSON map of container filters"]
        if not all(
            isinstance(v, list) and all(isinstance(i, str) for i in v) for v in filters.values()
        ):
            return [f"filters {value!r}: each filter takes a list of strings"]
    booleans = ("all", "size", "follow", "stdout", "stderr")
    if op.document == DOCKER and name in booleans and not _BOOLEAN.match(value):
        return [f"{name}={value!r} is not a boolean"]
    tail_ok = value == "all" or value.isdigit()
    if op.operation == "ContainerLogs" and name == "tail" and not tail_ok:
        return [f"tail={value!r} is neither 'all' nor a number of lines"]
    return []


def _json_object(text: str) -> dict[str, object] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
