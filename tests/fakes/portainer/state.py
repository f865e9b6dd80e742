"""The fake Portainer's state and the lookups its routes share. The mixins that serve it
(auth.py, endpoints.py, stacks.py) and arm its faults (faults.py) all work on this class;
server.py puts them together behind HTTPS."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

from tests.fakes.docker import ServiceBehaviour
from tests.fakes.portainer.records import FAIL_DEPLOY_MARKER, FakeStack, Fault, RequestRecord
from tests.fakes.portainer.wire import ApiError


class PortainerState:
    """Everything the fake server knows, guarded by one re-entrant lock."""

    def __init__(
        self,
        *,
        deploy_seconds: float,
        jwt_lifetime_s: float,
        setup_token: str | None,
        required_password_length: int,
        agent_ping_timeout_s: float,
        auth_rate_limit: int,
    ) -> None:
        self.deploy_seconds = deploy_seconds
        self.jwt_lifetime_s = jwt_lifetime_s
        self.setup_token = setup_token
        self.required_password_length = required_password_length
        self.agent_ping_timeout_s = agent_ping_timeout_s
        self.auth_rate_limit = auth_rate_limit
        self.admin_init_timed_out = False
        self._holding_deploys = False
        self._after: list[tuple[Fault, Callable[[], object]]] = []
        self._gathers: list[tuple[Fault, threading.Barrier]] = []
        self._agent_routes: dict[str, str] = {}
        self.log: list[RequestRecord] = []
        self._lock = threading.RLock()
        self._admin: tuple[str, str] | None = None
        self._api_keys: dict[str, str] = {}  # raw key -> username
        self._tokens: dict[str, tuple[str, float]] = {}  # jwt -> (username, expiry)
        self._auth_times: list[float] = []
        self._banned = False
        self._endpoints: dict[int, dict[str, Any]] = {}
        self._stacks: dict[int, FakeStack] = {}
        self._next_endpoint = 1
        self._next_stack = 1
        self._faults: list[Fault] = []
        self._latency_s = 0.0
        self._races: dict[str, str | None] = {}  # normalized name -> owner env value
        self._failing_deploys: set[str] = set()
        self._endpoint_races: dict[str, str] = {}
        self._services: dict[tuple[str, str], ServiceBehaviour] = {}

    def stacks(self, endpoint_id: int | None = None) -> list[FakeStack]:
        """Stack records (settled), optionally of one environment."""
        with self._lock:
            out = []
            for stack in self._stacks.values():
                stack.settle()
                if endpoint_id is None or stack.endpoint_id == endpoint_id:
                    out.append(stack)
            return out

    def _add_stack(
        self,
        endpoint_id: int,
        name: str,
        content: str,
        env: list[dict[str, str]],
        *,
        status: int,
        created_by: str,
    ) -> FakeStack:
        """Store a new stack record under the next id (the caller holds the lock)."""
        stack = FakeStack(
            id=self._next_stack,
            name=name,
            endpoint_id=endpoint_id,
            content=content,
            env=env,
            status=status,
            created_by=created_by,
            creation_date=int(time.time()),
        )
        self._next_stack += 1
        self._stacks[stack.id] = stack
        return stack

    def _stack(self, stack_id: int) -> FakeStack:
        stack = self._stacks.get(stack_id)
        if stack is None:
            raise ApiError(
                404,
                "Unable to find a stack with the specified identifier inside the database",
                "Object not found inside the database",
            )
        stack.settle()
        return stack

    def _deploy(self, stack: FakeStack) -> None:
        stack.status = 3
        stack.deployments += 1
        stack.deploy_until = (
            math.inf if self._holding_deploys else time.monotonic() + self.deploy_seconds
        )
        stack.deploy_fails = (
            FAIL_DEPLOY_MARKER in stack.content or stack.name in self._failing_deploys
        )
        stack.deployment_status = [{"Status": 3, "Time": int(time.time())}]

    def _insert_endpoint(
        self, name: str, url: str, type_: int, tls: bool, skip_verify: bool, agent: dict[str, str]
    ) -> dict[str, Any]:
        endpoint_id = self._next_endpoint
        endpoint: dict[str, Any] = {
            "Id": endpoint_id,
            "Name": name,
            "Type": type_,
            "URL": url,
            "PublicURL": "",
            "GroupId": 1,
            "TagIds": [],
            "Status": 1,
            "ContainerEngine": "docker",
            "TLSConfig": {
                "TLS": tls,
                "TLSSkipVerify": skip_verify,
                "TLSCACert": "",
                "TLSCert": "",
                "TLSKey": "",
            },
            "Agent": agent,
            "Snapshots": [],
            "EdgeID": "",
            "EdgeKey": "",
        }
        self._next_endpoint += 1
        self._endpoints[endpoint_id] = endpoint
        return endpoint

    def _endpoint(self, endpoint_id: int) -> dict[str, Any]:
        endpoint = self._endpoints.get(endpoint_id)
        if endpoint is None:
            raise ApiError(
                404,
                "Unable to find an environment with the specified identifier inside the database",
                "Object not found inside the database",
            )
        return endpoint
