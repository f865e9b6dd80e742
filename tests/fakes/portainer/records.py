"""The fake Portainer's records: what it logs of each request, the faults a test arms, and
its stacks."""

from __future__ import annotations

import fnmatch
import re
import time
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.portainer.wire import UNSAFE_METHODS

VERSION = "2.44.0"
#: A compose file containing this marker fails to deploy (Status 4).
FAIL_DEPLOY_MARKER = "fake:fail-deploy"


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
class Fault:
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
