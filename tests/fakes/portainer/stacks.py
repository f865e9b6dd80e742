"""The fake Portainer's standalone compose stacks (``/api/stacks``): list with filters,
create from a string, update (which redeploys), start, stop, delete."""

from __future__ import annotations

import json
import time

from werkzeug.wrappers import Request, Response

from tests.fakes.portainer.records import normalize
from tests.fakes.portainer.state import PortainerState
from tests.fakes.portainer.wire import (
    STACK_CREATE_FIELDS,
    STACK_UPDATE_FIELDS,
    ApiError,
    decode_env,
    decode_json,
    json_response,
)


class StackRoutes(PortainerState):
    """``/api/stacks`` and ``/api/stacks/{id}/...``."""

    @staticmethod
    def _endpoint_id_param(request: Request) -> int:
        raw = request.args.get("endpointId", "")
        if not raw.isdigit() or int(raw) == 0:
            raise ApiError(400, "Invalid query parameter: endpointId", "Invalid query parameter")
        return int(raw)

    def _h_stack_list(self, request: Request, user: str) -> Response:
        raw = request.args.get("filters")
        endpoint_id: int | None = None
        if raw is not None:
            try:
                filters = json.loads(raw)
            except ValueError:
                filters = None
            if not isinstance(filters, dict) or any(
                k not in {"EndpointID", "SwarmID", "IncludeOrphanedStacks"} for k in filters
            ):
                raise ApiError(400, "Invalid query parameter: filters", "Invalid filters")
            value = filters.get("EndpointID")
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise ApiError(400, "Invalid query parameter: filters", "EndpointID: not an int")
            endpoint_id = value
        with self._lock:
            items = []
            for stack in sorted(self._stacks.values(), key=lambda s: s.id):
                stack.settle()
                if endpoint_id is not None and stack.endpoint_id != endpoint_id:
                    continue
                items.append(stack.to_json())
        return json_response(items)

    def _h_stack_get(self, request: Request, user: str, id: int) -> Response:
        with self._lock:
            return json_response(self._stack(id).to_json())

    def _h_stack_file(self, request: Request, user: str, id: int) -> Response:
        with self._lock:
            return json_response({"StackFileContent": self._stack(id).content})

    def _h_stack_create(self, request: Request, user: str) -> Response:
        endpoint_id = self._endpoint_id_param(request)
        body = decode_json(request, STACK_CREATE_FIELDS)
        name = body.get("Name") or ""
        if not name:
            raise ApiError(400, "Invalid request payload", "Invalid stack name")
        content = body.get("StackFileContent") or ""
        if not content:
            raise ApiError(400, "Invalid request payload", "Invalid stack file content")
        env = decode_env(body.get("Env"))
        normalized = normalize(name)
        with self._lock:
            self._endpoint(endpoint_id)
            if normalized in self._races:
                owner = self._races.pop(normalized)
                # Another writer's stack, finished deploying (a foreign one without an owner).
                other_env = [{"name": "PHOENIX_OWNER", "value": owner}] if owner is not None else []
                self._add_stack(
                    endpoint_id, normalized, content, other_env, status=1, created_by="someone-else"
                )
            if any(
                s.name == normalized and s.endpoint_id == endpoint_id for s in self._stacks.values()
            ):
                message = f"A stack with the normalized name '{normalized}' already exists"
                raise ApiError(409, message, message)
            stack = self._add_stack(
                endpoint_id, normalized, content, env, status=3, created_by=user
            )
            self._deploy(stack)
            return json_response(stack.to_json())

    def _h_stack_update(self, request: Request, user: str, id: int) -> Response:
        endpoint_id = self._endpoint_id_param(request)
        body = decode_json(request, STACK_UPDATE_FIELDS)
        content = body.get("StackFileContent") or ""
        env = decode_env(body.get("Env"))  # replaces the whole list; absent wipes it
        with self._lock:
            stack = self._stack(id)
            if endpoint_id not in self._endpoints:
                raise ApiError(
                    404,
                    "Unable to find the environment associated to the stack inside the database",
                )
            if not content:
                raise ApiError(400, "Invalid request payload", "Invalid stack file content")
            if stack.status == 3:
                raise ApiError(409, "Stack deployment is already in progress")
            stack.endpoint_id = endpoint_id  # legacy behaviour: the query overwrites it
            stack.content = content
            stack.env = env
            stack.update_date = int(time.time())
            stack.updated_by = user
            self._deploy(stack)
            return json_response(stack.to_json())

    def _h_stack_start(self, request: Request, user: str, id: int) -> Response:
        self._endpoint_id_param(request)
        with self._lock:
            stack = self._stack(id)
            if stack.status != 2:
                raise ApiError(409, "Stack is already active, deploying, or in error state")
            self._deploy(stack)
            return json_response(stack.to_json())

    def _h_stack_stop(self, request: Request, user: str, id: int) -> Response:
        self._endpoint_id_param(request)
        with self._lock:
            stack = self._stack(id)
            if stack.status != 1:
                raise ApiError(400, "Stack is already inactive")
            stack.status = 2
            return json_response(stack.to_json())

    def _h_stack_delete(self, request: Request, user: str, id: int) -> Response:
        self._endpoint_id_param(request)
        with self._lock:
            self._stack(id)
            del self._stacks[id]
        return Response(status=204)
