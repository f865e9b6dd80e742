"""The Docker side of the fake Portainer: the containers of its compose stacks, read through
Portainer's Docker proxy (``GET /api/endpoints/{id}/docker/<Docker Engine API path>``).

Portainer forwards everything under that prefix, unchanged, to the Docker Engine API of the
environment (through its agent), so requests and answers are the Engine API's: its paths
(optionally versioned, ``/v1.41/containers/json``), query parameters, JSON fields and
``{"message": ...}`` errors; an unknown path answers 404 ``page not found``. Implemented, read
only: ``ContainerList`` (``containers/json``), ``ContainerInspect`` (``containers/{id}/json``)
and ``ContainerLogs`` (``containers/{id}/logs``, the multiplexed stream of a container without
a TTY, raw bytes with one). Stricter than Docker where that catches client bugs: unknown query
parameters are refused, and ``follow`` (a stream that never ends) too.

Containers are derived from the stacks on every request: each service ``docker compose up``
starts (no ``profiles``, not scaled to zero) of a deployed stack has one container, named and
labelled the way Compose does it, running and (when the compose file gives it a
``healthcheck``) healthy. A test changes what a service does with :class:`ServiceBehaviour`
(``FakePortainer.set_service``): restarting, exited, unhealthy, with the log lines it wrote.
A new deployment of the stack recreates its containers (new ids).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import yaml
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
ONEOFF_LABEL = "com.docker.compose.oneoff"
NUMBER_LABEL = "com.docker.compose.container-number"

#: Query parameters the Engine API documents for each operation.
LIST_PARAMS = frozenset({"all", "limit", "size", "filters"})
INSPECT_PARAMS = frozenset({"size"})
LOGS_PARAMS = frozenset(
    {"follow", "stdout", "stderr", "since", "until", "timestamps", "tail", "details"}
)
#: ``docker ps`` filters (only ``label`` is implemented; the rest are accepted, not applied).
LIST_FILTERS = frozenset(
    {
        "ancestor",
        "before",
        "expose",
        "exited",
        "health",
        "id",
        "isolation",
        "is-task",
        "label",
        "name",
        "network",
        "publish",
        "since",
        "status",
        "volume",
    }
)
MULTIPLEXED = "application/vnd.docker.multiplexed-stream"
RAW_STREAM = "application/vnd.docker.raw-stream"

State = Literal["created", "running", "restarting", "exited", "paused", "dead"]
Health = Literal["starting", "healthy", "unhealthy", "none"]
_STREAMS = {"stdout": 1, "stderr": 2}


class StackView(Protocol):
    """What the fake Portainer's stack record offers (``tests.fakes.portainer.FakeStack``)."""

    id: int
    name: str
    endpoint_id: int
    content: str
    status: int
    deployments: int


@dataclass(frozen=True)
class ServiceBehaviour:
    """What the containers of one compose service do, as a test sets it."""

    state: State = "running"
    health: Health | None = None
    """``None``: as the compose file says (healthy with a ``healthcheck``, else none)."""
    exit_code: int = 0
    restart_count: int = 0
    logs: Sequence[str | tuple[str, str]] = ()
    """Lines the container wrote, oldest first: text (stdout) or ``(stream, text)``."""
    health_output: str = "health check failed (fake)"
    """What the last failing health check printed (``State.Health.Log``)."""
    tty: bool = False


@dataclass(frozen=True)
class FakeContainer:
    """One container of a compose service, as Docker reports it."""

    id: str
    name: str
    project: str
    service: str
    image: str
    restart_policy: str
    behaviour: ServiceBehaviour
    state: State
    health: Health
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def running(self) -> bool:
        # Docker counts a container as running while it waits to be restarted.
        return self.state in ("running", "restarting", "paused")

    def summary(self) -> dict[str, Any]:
        """An entry of ``GET /containers/json``."""
        status = {
            "created": "Created",
            "running": "Up 5 seconds",
            "restarting": f"Restarting ({self.behaviour.exit_code}) 2 seconds ago",
            "exited": f"Exited ({self.behaviour.exit_code}) 3 seconds ago",
            "paused": "Up 5 seconds (Paused)",
            "dead": "Dead",
        }[self.state]
        if self.state == "running" and self.health != "none":
            status += " (health: starting)" if self.health == "starting" else f" ({self.health})"
        return {
            "Id": self.id,
            "Names": [f"/{self.name}"],
            "Image": self.image,
            "ImageID": "sha256:" + hashlib.sha256(self.image.encode()).hexdigest(),
            "Command": "/entrypoint.sh",
            "Created": 1_700_000_000,
            "Ports": [],
            "Labels": dict(self.labels),
            "State": self.state,
            "Status": status,
            "HostConfig": {"NetworkMode": f"{self.project}_default"},
            "NetworkSettings": {"Networks": {}},
            "Mounts": [],
        }

    def inspect(self) -> dict[str, Any]:
        """``GET /containers/{id}/json``."""
        behaviour = self.behaviour
        state: dict[str, Any] = {
            "Status": self.state,
            "Running": self.running,
            "Paused": self.state == "paused",
            "Restarting": self.state == "restarting",
            "OOMKilled": False,
            "Dead": self.state == "dead",
            "Pid": 4242 if self.state in ("running", "paused") else 0,
            "ExitCode": behaviour.exit_code if self.state != "running" else 0,
            "Error": "",
            "StartedAt": "2026-01-01T00:00:00.000000000Z",
            "FinishedAt": "0001-01-01T00:00:00Z",
        }
        if self.health != "none":
            failing = self.health == "unhealthy"
            state["Health"] = {
                "Status": self.health,
                "FailingStreak": 3 if failing else 0,
                "Log": [
                    {
                        "Start": "2026-01-01T00:00:01Z",
                        "End": "2026-01-01T00:00:02Z",
                        "ExitCode": 1 if failing else 0,
                        "Output": behaviour.health_output if failing else "ok",
                    }
                ],
            }
        return {
            "Id": self.id,
            "Created": "2026-01-01T00:00:00.000000000Z",
            "Path": "/entrypoint.sh",
            "Args": [],
            "State": state,
            "Image": "sha256:" + hashlib.sha256(self.image.encode()).hexdigest(),
            "Name": f"/{self.name}",
            "RestartCount": behaviour.restart_count,
            "Driver": "overlay2",
            "Platform": "linux",
            "Config": {"Image": self.image, "Labels": dict(self.labels), "Tty": behaviour.tty},
            "HostConfig": {
                "RestartPolicy": {"Name": self.restart_policy, "MaximumRetryCount": 0},
                "LogConfig": {"Type": "json-file", "Config": {}},
            },
        }


def containers_of(
    stacks: Iterable[StackView], behaviours: dict[tuple[str, str], ServiceBehaviour]
) -> list[FakeContainer]:
    """The containers the deployed stacks have now (a stopped or failed stack has none)."""
    out: list[FakeContainer] = []
    for stack in stacks:
        if stack.status not in (1, 3):
            continue
        for service, spec in _services(stack.content).items():
            behaviour = behaviours.get((stack.name, service), ServiceBehaviour())
            health: Health = behaviour.health or ("healthy" if _has_healthcheck(spec) else "none")
            seed = f"{stack.endpoint_id}/{stack.id}/{stack.deployments}/{service}"
            out.append(
                FakeContainer(
                    id=hashlib.sha256(seed.encode()).hexdigest(),
                    name=f"{stack.name}-{service}-1",
                    project=stack.name,
                    service=service,
                    image=str(spec.get("image", "busybox:latest")),
                    restart_policy=str(spec.get("restart", "no")),
                    behaviour=behaviour,
                    # While Portainer deploys, compose has created the container, not started it.
                    state="created" if stack.status == 3 else behaviour.state,
                    health="none" if stack.status == 3 else health,
                    labels={
                        PROJECT_LABEL: stack.name,
                        SERVICE_LABEL: service,
                        ONEOFF_LABEL: "False",
                        NUMBER_LABEL: "1",
                    },
                )
            )
    return out


@functools.lru_cache(maxsize=4096)
def _services(content: str) -> dict[str, dict[str, Any]]:
    """The services `docker compose up` starts, by name (cached: a list request reads every
    stack's file, and the bench lists 2,000 of them per re-run; callers only read it)."""
    try:
        document = yaml.safe_load(content)
    except yaml.YAMLError:
        return {}
    services = document.get("services") if isinstance(document, dict) else None
    if not isinstance(services, dict):
        return {}
    started: dict[str, dict[str, Any]] = {}
    for name, value in services.items():
        spec: dict[str, Any] = value if isinstance(value, dict) else {}
        deploy = spec.get("deploy")
        replicas = deploy.get("replicas") if isinstance(deploy, dict) else None
        if spec.get("profiles") or replicas == 0 or spec.get("scale") == 0:
            continue
        started[str(name)] = spec
    return started


def _has_healthcheck(spec: dict[str, Any]) -> bool:
    check = spec.get("healthcheck")
    return isinstance(check, dict) and not check.get("disable")


# --------------------------------------------------------------------------- the Engine API


def _error(status: int, message: str) -> Response:
    return Response(json.dumps({"message": message}), status=status, mimetype="application/json")


def _bool(args: MultiDict[str, str], name: str) -> bool:
    """Docker's reading of a boolean query value: anything but '', 0, no, false, none."""
    value = args.get(name, "").strip().lower()
    return value not in ("", "0", "no", "false", "none")


def respond(
    method: str, rest: str, args: MultiDict[str, str], containers: list[FakeContainer]
) -> Response:
    """Answer one Docker Engine API request (``rest``: the path after ``/docker/``)."""
    path = re.sub(r"^v\d+\.\d+/", "", rest)
    if method != "GET":
        return _error(405, "fake: only reads are implemented")
    if path == "containers/json":
        return _list(args, containers)
    match = re.fullmatch(r"containers/([^/]+)/(json|logs)", path)
    if match is None:
        return _error(404, "page not found")
    wanted = match[1]
    found = [c for c in containers if c.id == wanted or c.name == wanted.lstrip("/")]
    if not found and len(wanted) >= 12:
        found = [c for c in containers if c.id.startswith(wanted)]
    if len(found) != 1:
        return _error(404, f"No such container: {wanted}")
    if match[2] == "json":
        return _unknown(args, INSPECT_PARAMS, "ContainerInspect") or _json(found[0].inspect())
    return _logs(args, found[0])


def _unknown(args: MultiDict[str, str], known: frozenset[str], operation: str) -> Response | None:
    extra = sorted(set(args) - known)
    if extra:
        return _error(400, f"fake: {operation} has no query parameter {', '.join(extra)}")
    return None


def _json(data: Any) -> Response:
    return Response(json.dumps(data), status=200, mimetype="application/json")


def _list(args: MultiDict[str, str], containers: list[FakeContainer]) -> Response:
    refused = _unknown(args, LIST_PARAMS, "ContainerList")
    if refused is not None:
        return refused
    labels: list[str] = []
    raw = args.get("filters")
    if raw:
        try:
            filters = json.loads(raw)
        except ValueError:
            return _error(400, "invalid filter: the filters parameter is not JSON")
        if not isinstance(filters, dict):
            return _error(400, "invalid filter: expected a JSON object")
        for key, values in filters.items():
            if key not in LIST_FILTERS:
                return _error(400, f"invalid filter '{key}'")
            # {"label": ["a=b"]}, or the older {"label": {"a=b": true}}
            if isinstance(values, dict):
                values = [v for v, on in values.items() if on is True]
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                return _error(400, f"invalid filter '{key}': values must be a list of strings")
            if key == "label":
                labels += values
    shown = [
        c
        for c in containers
        if (_bool(args, "all") or c.running) and all(_labelled(c, label) for label in labels)
    ]
    return _json([c.summary() for c in shown])


def _labelled(container: FakeContainer, label: str) -> bool:
    key, equals, value = label.partition("=")
    if key not in container.labels:
        return False
    return not equals or container.labels[key] == value


def _logs(args: MultiDict[str, str], container: FakeContainer) -> Response:
    refused = _unknown(args, LOGS_PARAMS, "ContainerLogs")
    if refused is not None:
        return refused
    if _bool(args, "follow"):
        return _error(400, "fake: follow streams until the container stops; not implemented")
    streams = {name for name in _STREAMS if _bool(args, name)}
    if not streams:
        return _error(400, "Bad parameters: you must choose at least one stream")
    written = container.behaviour.logs or (f"{container.service} started (fake)",)
    lines = [
        (entry, "stdout") if isinstance(entry, str) else (entry[1], entry[0]) for entry in written
    ]
    lines = [(text, stream) for text, stream in lines if stream in streams]
    tail = args.get("tail", "all")
    if tail.isdigit():
        lines = lines[len(lines) - int(tail) :] if int(tail) else []
    if container.behaviour.tty:
        body = b"".join(text.encode() + b"\r\n" for text, _ in lines)
        return Response(body, status=200, mimetype=RAW_STREAM)
    body = b"".join(_frame(_STREAMS[stream], text.encode() + b"\n") for text, stream in lines)
    return Response(body, status=200, mimetype=MULTIPLEXED)


def _frame(stream: int, payload: bytes) -> bytes:
    """One frame of Docker's multiplexed stream: stream type, three zero bytes, big-endian size."""
    return struct.pack(">BxxxI", stream, len(payload)) + payload
