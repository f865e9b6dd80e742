"""Stack writes on one environment: create, update, start, delete, then wait while Portainer
deploys. Writes whose outcome is unknown are re-read before they are repeated, so a stack is
never created twice (see portainer/answers.py for what each answer means)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from portainer import normalize_stack_name
from portainer.answers import conflict, gave_up, internal_error, outcome_unknown
from portainer.client import (
    PortainerClient,
    PortainerConnectionError,
    PortainerError,
    PortainerHTTPError,
)
from portainer.desired import COMPOSE_SHA_ENV, DesiredStack
from portainer.models import Stack, StackStatus
from portainer.plan import Action, EnvironmentItem, StackItem, env_changes
from portainer.waits import (
    NotReadyError,
    WaitSettings,
    WaitTimeoutError,
    wait_until,
    wait_while_deploying,
)

Progress = Callable[[str], None]
Replan = Callable[[DesiredStack, Stack, int], StackItem]
"""Plan one desired stack against a stack found on the server (after an interrupted create)."""


@dataclass(frozen=True)
class Deploying:
    """A stack write was sent; wait for its deployment (``stack`` None: re-read it first)."""

    stack: Stack | None


class StackWriter:
    """Applies the planned stack items of environments, one environment per call."""

    def __init__(
        self,
        client: PortainerClient,
        waits: WaitSettings,
        write_attempts: int,
        progress: Progress,
        replan: Replan,
    ) -> None:
        self.client = client
        self.waits = waits
        self.write_attempts = write_attempts
        self.progress = progress
        self.replan = replan

    def apply(self, env: EnvironmentItem) -> None:
        """Send every stack write of ``env`` first, then wait for the deployments: they run
        concurrently. Failures stay in their item."""
        deploying: list[tuple[StackItem, Deploying]] = []
        for stack in env.stacks:
            stack.environment = env.name
            if stack.endpoint_id is None:
                stack.endpoint_id = env.endpoint_id
            try:
                started = self._send(stack)
            except (PortainerError, WaitTimeoutError) as exc:
                stack.fail(str(exc))
                continue
            except Exception as exc:  # a bug must not stop the other stacks
                stack.fail(internal_error(exc))
                continue
            if started is not None:
                deploying.append((stack, started))
        settled = self._settle(env, deploying)
        for stack, started in deploying:
            if stack.failed:
                continue
            try:
                self._await_deploy(stack, settled.get(stack.stack_id or 0, started.stack))
            except (PortainerError, WaitTimeoutError) as exc:
                stack.fail(str(exc))
            except Exception as exc:
                stack.fail(internal_error(exc))

    def _settle(
        self, env: EnvironmentItem, deploying: list[tuple[StackItem, Deploying]]
    ) -> dict[int, Stack]:
        """Wait until no stack these writes started is deploying, by polling the environment's
        stack list: one request per poll for all of them instead of one per stack. Returns the
        listed stacks by id; a stack missing from the list is left to `_await_deploy`, and a
        timeout or read error fails the stacks still deploying."""
        busy = {
            stack.stack_id
            for stack, started in deploying
            if stack.stack_id is not None
            and (started.stack is None or started.stack.Status == StackStatus.DEPLOYING)
        }
        if not busy or env.endpoint_id is None:
            return {}
        endpoint_id = env.endpoint_id
        still = set(busy)

        def probe() -> dict[int, Stack]:
            try:
                listed = {stack.Id: stack for stack in self.client.list_stacks(endpoint_id)}
            except PortainerConnectionError as exc:
                raise NotReadyError(exc.reason) from None
            still.intersection_update(
                i for i in busy if i in listed and listed[i].Status == StackStatus.DEPLOYING
            )
            if still:
                raise NotReadyError(f"{len(still)} still deploying")
            return listed

        try:
            return wait_until(
                f"stacks of {env.name} to deploy",
                probe,
                timeout_s=self.waits.deploy_timeout_s,
                interval_s=self.waits.poll_interval_s,
                progress=self.progress,
            )
        except (PortainerError, WaitTimeoutError) as exc:
            message = str(exc)
        except Exception as exc:
            message = internal_error(exc)
        for stack, _ in deploying:
            if stack.stack_id in still:
                stack.fail(message)
        return {}

    def _send(self, item: StackItem) -> Deploying | None:
        """Send the item's write; return what to wait for (None: nothing)."""
        if item.failed or item.action in (Action.UNCHANGED, Action.KEEP, Action.CONFLICT):
            return Deploying(None) if item.wait_deploying and item.stack_id is not None else None
        assert item.endpoint_id is not None
        if item.action is Action.CREATE:
            return self._create_stack(item)
        if item.action is Action.UPDATE:
            return Deploying(self._update_stack(item))
        if item.action is Action.START:
            return Deploying(self._start_stack(item))
        assert item.action is Action.DELETE
        self._delete_stack(item)
        return None

    def _delete_stack(self, item: StackItem) -> None:
        assert item.stack_id is not None
        assert item.endpoint_id is not None
        self.progress(f"stack {item.label}: deleting")
        try:
            self.client.delete_stack(item.stack_id, item.endpoint_id)
        except PortainerError as exc:
            gone = isinstance(exc, PortainerHTTPError) and exc.status == 404
            if not (gone or outcome_unknown(exc)):
                raise
            # Re-read before reporting: a DELETE whose answer was lost may well have landed.
            listed = self.client.list_stacks(item.endpoint_id)
            if any(stack.Id == item.stack_id for stack in listed):
                raise
            self.progress(f"stack {item.label}: gone ({exc})")

    def _find_stack(self, endpoint_id: int, name: str) -> Stack | None:
        for stack in self.client.list_stacks(endpoint_id):
            if normalize_stack_name(stack.Name) == name:
                return stack
        return None

    def _create_stack(self, item: StackItem) -> Deploying | None:
        assert item.desired is not None
        assert item.endpoint_id is not None
        self.progress(f"stack {item.label}: creating")
        last: PortainerError | None = None
        for attempt in range(self.write_attempts):
            if attempt:
                self.progress(f"stack {item.label}: sending the create again")
            try:
                created = self.client.create_stack(
                    item.endpoint_id, item.desired.name, item.desired.compose, item.env
                )
            except PortainerError as exc:
                if not (conflict(exc) or outcome_unknown(exc)):
                    raise
                last = exc
                # Never create twice: re-list and continue with what is there.
                self.progress(f"stack {item.label}: {exc}; reading the stacks again")
                existing = self._find_stack(item.endpoint_id, item.desired.name)
                if existing is None:
                    if conflict(exc):
                        raise PortainerError(
                            f"{exc}; no Portainer stack of that name is listed on this "
                            "environment, so containers of a compose project with that name "
                            "probably exist outside Portainer"
                        ) from None
                    continue
                return self._adopt(item, existing)
            item.stack_id = created.Id
            return Deploying(created)
        raise gave_up("create", self.write_attempts, last)

    def _adopt(self, item: StackItem, stack: Stack) -> Deploying | None:
        """A same-named stack appeared while creating: converge it if ours, else conflict."""
        assert item.desired is not None
        replanned = self.replan(item.desired, stack, stack.EndpointId)
        item.stack_id = replanned.stack_id
        item.endpoint_id = replanned.endpoint_id
        if replanned.action is Action.CONFLICT:
            item.action = Action.CONFLICT
            item.reasons = replanned.reasons
            self.progress(f"stack {item.label}: a foreign stack of that name appeared")
            return None
        item.reasons = ["found after an interrupted create", *replanned.reasons]
        if replanned.action is Action.UPDATE:
            return Deploying(self._update_stack(item))
        if replanned.action is Action.START:
            return Deploying(self._start_stack(item))
        return Deploying(stack)  # the create did land (or another Phoenix run made it)

    def _update_stack(self, item: StackItem) -> Stack:
        assert item.desired is not None
        assert item.stack_id is not None
        assert item.endpoint_id is not None
        self.progress(f"stack {item.label}: updating ({'; '.join(item.reasons)})")
        last: PortainerError | None = None
        for attempt in range(self.write_attempts):
            if attempt:
                self.progress(f"stack {item.label}: sending the update again")
            try:
                return self.client.update_stack(
                    item.stack_id, item.endpoint_id, item.desired.compose, item.env
                )
            except PortainerError as exc:
                last = exc
                if conflict(exc):
                    # Another deployment is running: let it finish, then try again.
                    self.progress(f"stack {item.label}: deployment in progress, waiting")
                    wait_while_deploying(
                        self.client, item.stack_id, item.label, self.waits, self.progress
                    )
                    continue
                if not outcome_unknown(exc):
                    raise
                self.progress(f"stack {item.label}: {exc}; reading the stack again")
                current = self.client.get_stack(item.stack_id)
                if not env_changes(current.Env, item.env) and (
                    current.env_value(COMPOSE_SHA_ENV) == item.desired.compose_sha256.lower()
                ):
                    return current  # our PUT landed; only its response was lost
        raise gave_up("update", self.write_attempts, last)

    def _start_stack(self, item: StackItem) -> Stack:
        assert item.stack_id is not None
        assert item.endpoint_id is not None
        self.progress(f"stack {item.label}: starting")
        try:
            return self.client.start_stack(item.stack_id, item.endpoint_id)
        except PortainerError as exc:
            retryable = isinstance(exc, PortainerHTTPError) and exc.status in (400, 409)
            if not (retryable or outcome_unknown(exc)):
                raise
            current = self.client.get_stack(item.stack_id)  # "already active" is fine
            if current.Status == StackStatus.INACTIVE:
                raise
            return current

    def _await_deploy(self, item: StackItem, stack: Stack | None) -> None:
        """Wait while the stack deploys; Status 4 fails the item with Portainer's message."""
        assert item.stack_id is not None
        if stack is None or stack.Status == StackStatus.DEPLOYING:
            stack = wait_while_deploying(
                self.client, item.stack_id, item.label, self.waits, self.progress
            )
        if stack.Status == StackStatus.ERROR:
            raise PortainerError(f"deployment failed: {stack.last_error()}")
        if item.action.is_change:
            self.progress(f"stack {item.label}: {item.action.value} done")
