"""Reads of an environment's Docker through Portainer's Docker proxy, for stack health.

Portainer forwards ``/api/endpoints/{id}/docker/<path>`` to the Docker Engine API of the
environment (through its agent), so paths, query parameters and answers are the Engine API's
(shared/reference/portainer-api.md; the Portainer spec documents the prefix, the Engine API
the rest). Only reads, three of them:

- ``GET containers/json?all=1&filters={"label":["com.docker.compose.project"]}``
  (ContainerList): every container of every compose project, stopped ones included, with its
  state and Docker's status line (which says "(healthy)" or "(unhealthy)"): one request per
  environment and poll, whatever the number of stacks;
- ``GET containers/{id}/json`` (ContainerInspect): state, exit code, restart count, health,
  read only for a container the list does not show running and healthy;
- ``GET containers/{id}/logs?stdout=1&stderr=1&tail=N`` (ContainerLogs): the last lines, in
  Docker's multiplexed stream (8-byte frame headers) unless the container has a TTY.

Portainer deploys a compose stack under its normalized name as the Compose project, so the
project label finds exactly the stack's containers.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from portainer.client import PortainerClient

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
ONEOFF_LABEL = "com.docker.compose.oneoff"
_HEADER = 8  # bytes before each frame of a multiplexed stream
# ANSI escape sequences and other control characters a container may print.
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|[\x00-\x08\x0b-\x1f\x7f]")
_MAX_LINE = 300


class _Docker(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ContainerSummary(_Docker):
    """An entry of ContainerList."""

    Id: str
    Names: tuple[str, ...] = ()
    State: str = ""
    Status: str = ""
    """Docker's status line: "Up 2 hours (healthy)", "Up 3 seconds (health: starting)", ..."""
    Labels: dict[str, str] = Field(default_factory=dict)

    @field_validator("Names", mode="before")
    @classmethod
    def _no_names(cls, value: Any) -> Any:
        return value if value is not None else ()  # Go encodes a nil slice as null

    @field_validator("Labels", mode="before")
    @classmethod
    def _no_labels(cls, value: Any) -> Any:
        return value if value is not None else {}

    @property
    def service(self) -> str:
        """The Compose service it belongs to ('' when unlabelled)."""
        return self.Labels.get(SERVICE_LABEL, "")

    @property
    def project(self) -> str:
        """The Compose project (a Portainer stack's normalized name) it belongs to."""
        return self.Labels.get(PROJECT_LABEL, "")

    @property
    def display_name(self) -> str:
        """Its first name without Docker's leading '/'."""
        return self.Names[0].lstrip("/") if self.Names else self.Id[:12]

    @property
    def plainly_up(self) -> bool:
        """Running, and healthy or without a health check, by the list alone: nothing to
        inspect. Anything else (restarting, exited, a health check starting or failing) is
        inspected for its exit code, restarts and last check."""
        status = self.Status.lower()
        return self.State == "running" and "(health: " not in status and "unhealthy" not in status

    @property
    def one_off(self) -> bool:
        """A ``docker compose run`` container, not one of the service's replicas."""
        return self.Labels.get(ONEOFF_LABEL, "False").lower() == "true"


class HealthLogEntry(_Docker):
    """One run of the container's health check."""

    ExitCode: int = 0
    Output: str = ""


class ContainerHealth(_Docker):
    """``State.Health``: present only when the container has a health check."""

    Status: str = ""
    FailingStreak: int = 0
    Log: tuple[HealthLogEntry, ...] = ()

    @field_validator("Log", mode="before")
    @classmethod
    def _null(cls, value: Any) -> Any:
        return value if value is not None else ()


class ContainerState(_Docker):
    """``State`` of ContainerInspect. ``Running`` is also true while Docker waits to restart
    the container, so ``Status`` is what says running, restarting or exited."""

    Status: str = ""
    ExitCode: int = 0
    Error: str = ""
    Health: ContainerHealth | None = None


class ContainerRestartPolicy(_Docker):
    """``HostConfig.RestartPolicy``."""

    Name: str = ""


class ContainerHostConfig(_Docker):
    """The part of ``HostConfig`` health needs."""

    RestartPolicy: ContainerRestartPolicy = Field(default_factory=ContainerRestartPolicy)


class ContainerConfig(_Docker):
    """The part of ``Config`` health needs."""

    Tty: bool = False


class ContainerDetails(_Docker):
    """ContainerInspect."""

    Id: str
    Name: str = ""
    RestartCount: int = 0
    State: ContainerState = Field(default_factory=ContainerState)
    # `Config` as a field name would read as pydantic's old class-based settings.
    config: ContainerConfig = Field(default_factory=ContainerConfig, alias="Config")
    HostConfig: ContainerHostConfig = Field(default_factory=ContainerHostConfig)

    @property
    def display_name(self) -> str:
        """The container's name without Docker's leading '/'."""
        return self.Name.lstrip("/") or self.Id[:12]


class DockerProxy:
    """Docker Engine API reads through one Portainer client (thread-safe like the client)."""

    def __init__(self, client: PortainerClient) -> None:
        self.client = client

    @staticmethod
    def _path(endpoint_id: int, path: str) -> str:
        return f"/api/endpoints/{endpoint_id}/docker/{path}"

    def compose_containers(self, endpoint_id: int) -> dict[str, list[ContainerSummary]]:
        """Every container of every Compose project on the environment, stopped ones
        included, by project."""
        by_project: dict[str, list[ContainerSummary]] = {}
        for container in self._list(endpoint_id, PROJECT_LABEL):
            by_project.setdefault(container.project, []).append(container)
        return by_project

    def project_containers(self, endpoint_id: int, project: str) -> list[ContainerSummary]:
        """Every container of Compose project ``project``, stopped ones included."""
        return self._list(endpoint_id, f"{PROJECT_LABEL}={project}")

    def _list(self, endpoint_id: int, label: str) -> list[ContainerSummary]:
        path = self._path(endpoint_id, "containers/json")
        filters = json.dumps({"label": [label]}, separators=(",", ":"))
        response = self.client.request("GET", path, params={"all": "1", "filters": filters})
        items = self.client.json_body(response, "GET", path)
        if not isinstance(items, list):
            items = []
        return [
            self.client.parse(ContainerSummary, item, "GET", path)
            for item in items
            if isinstance(item, dict)
        ]

    def inspect(self, endpoint_id: int, container_id: str) -> ContainerDetails:
        """ContainerInspect."""
        path = self._path(endpoint_id, f"containers/{container_id}/json")
        data = self.client.json_body(self.client.request("GET", path), "GET", path)
        return self.client.parse(ContainerDetails, data, "GET", path)

    def last_log_lines(
        self, endpoint_id: int, container_id: str, *, tty: bool, lines: int
    ) -> list[str]:
        """The container's last ``lines`` lines of output (stdout and stderr), made printable.
        ``tty``: the container has a terminal (``Config.Tty``), so its log is not multiplexed.

        They may quote secrets: the caller passes them through the run's redactor."""
        path = self._path(endpoint_id, f"containers/{container_id}/logs")
        response = self.client.request(
            "GET", path, params={"stdout": "1", "stderr": "1", "tail": str(lines)}
        )
        data = response.content if tty else demultiplex(response.content)
        text = data.decode("utf-8", errors="replace")
        return [printable(line) for line in text.splitlines()][-lines:] if lines else []


def demultiplex(data: bytes) -> bytes:
    """The payload of Docker's multiplexed log stream: frames of an 8-byte header (stream 0-2,
    three zero bytes, big-endian size) and their bytes, in order. A cut last frame gives what
    arrived; from bytes that are no frame header on, the data is kept as it is."""
    out = bytearray()
    offset = 0
    while offset + _HEADER <= len(data):
        header = data[offset : offset + _HEADER]
        if header[0] not in (0, 1, 2) or header[1:4] != b"\0\0\0":
            break
        size = int.from_bytes(header[4:], "big")
        out += data[offset + _HEADER : offset + _HEADER + size]
        offset += _HEADER + size
    return bytes(out + data[offset:])


def printable(line: str) -> str:
    """A log line safe to print on a terminal: no escape sequences or control characters,
    at most 300 characters."""
    clean = _CONTROL.sub("", line.rstrip("\r"))
    return clean if len(clean) <= _MAX_LINE else clean[: _MAX_LINE - 3] + "..."
