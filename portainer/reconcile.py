"""Reconcile = read current state, plan (pure), then apply, with per-item errors.

Order (shared/reference/portainer-api.md §9): server up -> admin check/init -> auth (lazy, in
the client) -> per agent, concurrently: environment by exact name -> stacks by normalized name
(one list call per environment) -> apply -> wait while deploying -> wait until the stacks are
up (portainer/health_check.py: containers through Portainer's Docker proxy, HTTP probes).

Only the Portainer API is contacted: Portainer itself reaches the agents. A new environment is
created once Portainer can ping its agent (bounded wait on "Unable to get environment type").

Writes that may have reached the server (POST/PUT/DELETE) are never repeated blindly: after a
dropped connection or an unexplained 5xx the current state is re-read first, so a create is
never duplicated. Answers no retry changes (portainer/answers.py) stop at once, and every
failure carries Portainer's status and message.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from portainer import OWNER_ENV, normalize_stack_name
from portainer.answers import (
    agent_hint,
    agent_not_reachable_yet,
    conflict,
    gave_up,
    internal_error,
    outcome_unknown,
)
from portainer.client import (
    AuthenticationError,
    PortainerClient,
    PortainerError,
    PortainerHTTPError,
)
from portainer.desired import DesiredAgent, DesiredStack, DesiredState
from portainer.health_check import HealthChecker
from portainer.models import Endpoint, EndpointType, Stack
from portainer.plan import (
    Action,
    EnvironmentItem,
    MissingSecretError,
    Plan,
    StackItem,
    is_owned,
    needs_file,
    plan_environment,
    plan_leftovers,
    plan_stack,
    resolve_env,
)
from portainer.stack_writes import StackWriter
from portainer.waits import (
    NotReadyError,
    WaitSettings,
    WaitTimeoutError,
    wait_for_server,
    wait_until,
)

Progress = Callable[[str], None]
_T = TypeVar("_T")
_R = TypeVar("_R")


@dataclass(frozen=True)
class ReconcileOptions:
    """Behaviour switches of one run."""

    dry_run: bool = False
    prune: bool = False
    #: Fetch every owned stack's file even when its hash marker matches (detects UI edits).
    verify_files: bool = False
    #: After the writes, wait until the stacks are up (``--no-wait-healthy`` turns it off).
    wait_healthy: bool = True
    #: Environments handled concurrently.
    workers: int = 16
    #: Attempts of one write when its outcome is unknown (dropped connection, 5xx) or 409.
    write_attempts: int = 3
    waits: WaitSettings = field(default_factory=WaitSettings)


class Reconciler:
    """Converge Portainer onto one desired state."""

    def __init__(
        self,
        client: PortainerClient,
        desired: DesiredState,
        options: ReconcileOptions | None = None,
        environ: Mapping[str, str] | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.client = client
        self.desired = desired
        self.options = options or ReconcileOptions()
        self.environ: Mapping[str, str] = environ or {}
        self._progress_lock = threading.Lock()
        self._progress_sink = progress or (lambda _line: None)
        self._endpoints_lock = threading.Lock()
        self._endpoints: dict[str, Endpoint] | None = None
        self._stacks = StackWriter(
            client, self.options.waits, self.options.write_attempts, self.progress, self._plan_one
        )
        self._health: HealthChecker | None = None

    def progress(self, line: str) -> None:
        """Emit one progress line (thread-safe)."""
        with self._progress_lock:
            self._progress_sink(line)

    # ------------------------------------------------------------------ entry point

    def run(self) -> Plan:
        """Plan, then (unless dry run) apply. Never raises for per-item problems."""
        plan = Plan(
            owner=self.desired.owner,
            server_url=self.client.base_url,
            dry_run=self.options.dry_run,
        )
        try:
            status = wait_for_server(self.client, self.options.waits, self.progress)
            self.progress(f"Portainer {status.Version or '(unknown version)'} is up")
            fresh = self._bootstrap_admin(plan)
        except (PortainerError, WaitTimeoutError) as exc:
            plan.error = str(exc)
            return plan

        agents = list(self.desired.agents)
        if fresh:
            # No admin yet (dry run): nothing can exist, and we cannot log in to read.
            plan.environments = [self._plan_fresh(agent) for agent in agents]
            return plan
        try:
            plan.environments = self._map(self._plan_agent, agents)
        except AuthenticationError as exc:
            plan.error = str(exc)  # nothing can be read or written: stop the whole run
            return plan
        if self.options.dry_run:
            return plan
        if self.options.wait_healthy:
            self._health = HealthChecker.for_client(self.client, self.options.waits, self.progress)
        try:
            self._map(self._apply_environment, plan.environments)
        finally:
            if self._health is not None:
                self._health.close()
        return plan

    def _map(self, fn: Callable[[_T], _R], items: list[_T]) -> list[_R]:
        workers = max(1, min(self.options.workers, len(items)))
        if workers == 1:
            return [fn(item) for item in items]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="reconcile") as pool:
            return list(pool.map(fn, items))

    # ------------------------------------------------------------------ admin

    def _bootstrap_admin(self, plan: Plan) -> bool:
        """Create the first admin when possible. Returns True if (dry run) none exists yet."""
        creds = self.client.credentials
        if not creds.can_login:
            return False  # with an API key an admin necessarily exists
        if self.client.admin_exists():
            return False
        settings = self.client.public_settings()
        if len(creds.password or "") < settings.RequiredPasswordLength:
            raise PortainerError(
                f"PORTAINER_PASSWORD is shorter than Portainer's RequiredPasswordLength "
                f"({settings.RequiredPasswordLength}); the admin cannot be created with it"
            )
        if settings.RequiresSetupToken and not creds.setup_token:
            raise PortainerError(
                "Portainer requires a setup token to create the first administrator: set "
                "PORTAINER_SETUP_TOKEN to the setup_token= value from the server log"
            )
        if self.options.dry_run:
            plan.admin_init = True  # would be created: the checks above passed
            self.progress("no administrator yet: a real run would create it")
            return True
        created = self.client.init_admin()
        self.progress(
            f"created administrator {creds.username!r}"
            if created
            else "an administrator already existed"
        )
        plan.admin_init = created
        return False

    # ------------------------------------------------------------------ read + plan

    def _stack_env(self, item: StackItem) -> bool:
        """Resolve secrets into ``item.env``; fail the item when a variable is missing."""
        assert item.desired is not None
        try:
            item.env = resolve_env(item.desired, self.desired.owner, self.environ)
        except MissingSecretError as exc:
            item.action = Action.FAILED
            item.fail(str(exc))
            return False
        return True

    def _plan_fresh(self, agent: DesiredAgent) -> EnvironmentItem:
        item = EnvironmentItem(name=agent.name, url=agent.url, action=Action.CREATE)
        for desired in agent.stacks:
            stack = StackItem(name=desired.name, action=Action.CREATE, desired=desired)
            self._stack_env(stack)
            item.stacks.append(stack)
        return item

    def _plan_agent(self, agent: DesiredAgent) -> EnvironmentItem:
        """Read one environment and its stacks and plan them; errors stay in the item."""
        pending = [StackItem(name=d.name, action=Action.CREATE, desired=d) for d in agent.stacks]
        try:
            endpoint = self._endpoint_named(agent.name) or self._renamed(agent)
            item = plan_environment(agent, endpoint)
            if endpoint is None or item.action is Action.CONFLICT:
                for stack in pending:
                    self._stack_env(stack)
                item.stacks = pending
                if item.action is Action.CONFLICT:
                    for stack in pending:
                        if not stack.failed:
                            stack.fail(f"environment {agent.name} is in conflict; not touched")
                return item
            item.stacks = self._plan_stacks(agent, endpoint.Id)
        except AuthenticationError:
            raise
        except PortainerError as exc:
            item = EnvironmentItem(name=agent.name, url=agent.url, action=Action.FAILED)
            item.stacks = pending
            item.fail(str(exc))
        except Exception as exc:  # a bug must not stop the other agents
            item = EnvironmentItem(name=agent.name, url=agent.url, action=Action.FAILED)
            item.stacks = pending
            item.fail(internal_error(exc))
        return item

    def _renamed(self, agent: DesiredAgent) -> Endpoint | None:
        """The environment an agent had under another name: same address, an agent on Docker,
        not named after another agent of this fleet, and holding only stacks this fleet owns
        (or none). A renamed guest keeps its environment and stacks; only the name changes."""
        others = {a.name for a in self.desired.agents if a.name != agent.name}
        with self._endpoints_lock:
            listed = list(self._endpoints.values()) if self._endpoints is not None else []
        for endpoint in listed:
            if (
                agent.url != endpoint.URL
                or endpoint.Type != EndpointType.AGENT_ON_DOCKER
                or endpoint.Name in others
            ):
                continue
            stacks = self.client.list_stacks(endpoint.Id)
            if all(is_owned(stack, self.desired.owner) for stack in stacks):
                return endpoint
        return None

    def _endpoint_named(self, name: str) -> Endpoint | None:
        """The environment called ``name`` from one list of all environments, read by the first
        agent that asks (one request per run instead of one per agent). A failed read is not
        kept: it fails that agent, and the next one reads again."""
        with self._endpoints_lock:
            if self._endpoints is None:
                listed: dict[str, Endpoint] = {}
                for endpoint in self.client.list_endpoints():
                    listed.setdefault(endpoint.Name, endpoint)  # the first, as find_endpoint
                self._endpoints = listed
            return self._endpoints.get(name)

    def _plan_stacks(self, agent: DesiredAgent, endpoint_id: int) -> list[StackItem]:
        current = self.client.list_stacks(endpoint_id)
        by_name = {normalize_stack_name(s.Name): s for s in current}
        items: list[StackItem] = []
        for desired in agent.stacks:
            items.append(self._plan_one(desired, by_name.get(desired.name), endpoint_id))
        items += plan_leftovers(
            current, {d.name for d in agent.stacks}, self.desired.owner, self.options.prune
        )
        return items

    def _plan_one(self, desired: DesiredStack, stack: Stack | None, endpoint_id: int) -> StackItem:
        probe = StackItem(name=desired.name, action=Action.CREATE, desired=desired)
        if not self._stack_env(probe):
            probe.stack_id = stack.Id if stack else None
            return probe
        content = None
        if (
            stack is not None
            and stack.env_value(OWNER_ENV) == self.desired.owner
            and needs_file(stack, desired, self.options.verify_files)
        ):
            content = self.client.get_stack_file(stack.Id)
        item = plan_stack(desired, probe.env, stack, content, self.desired.owner)
        item.endpoint_id = stack.EndpointId if stack else endpoint_id
        return item

    # ------------------------------------------------------------------ apply

    def _apply_environment(self, item: EnvironmentItem) -> None:
        if item.failed or item.action is Action.CONFLICT:
            return
        agent = next(a for a in self.desired.agents if a.name == item.name)
        try:
            if item.action is Action.CREATE:
                endpoint = self._create_environment(item, agent)
            elif item.action is Action.UPDATE:
                assert item.endpoint_id is not None
                self.progress(f"environment {item.name}: updating {', '.join(item.changes)}")
                endpoint = self._write(
                    lambda: self.client.update_endpoint(item.endpoint_id or 0, item.changes),
                    recheck=lambda: self._endpoint_matches(agent),
                )
            else:
                endpoint = None
        except PortainerError as exc:
            item.fail(str(exc))
            return
        except Exception as exc:
            item.fail(internal_error(exc))
            return
        if endpoint is not None:
            item.endpoint_id = endpoint.Id
        self._stacks.apply(item)
        if self._health is not None:
            try:
                self._health.check(item)
            except Exception as exc:  # a bug must not stop the other environments
                for stack in item.stacks:
                    if not stack.failed and stack.desired is not None:
                        stack.fail(f"health check: {internal_error(exc)}")

    def _endpoint_matches(self, agent: DesiredAgent) -> Endpoint | None:
        endpoint = self.client.find_endpoint(agent.name)
        if endpoint is not None and plan_environment(agent, endpoint).action is Action.UNCHANGED:
            return endpoint
        return None

    def _create_environment(self, item: EnvironmentItem, agent: DesiredAgent) -> Endpoint:
        """Create the agent's environment once Portainer can reach the agent (bounded)."""
        self.progress(f"environment {item.name}: creating ({agent.url})")
        unreachable: list[PortainerError] = []

        def attempt() -> Endpoint:
            try:
                return self._create_endpoint(item, agent)
            except PortainerHTTPError as exc:
                if agent_not_reachable_yet(exc):
                    unreachable[:] = [exc]
                    raise NotReadyError(f"Portainer cannot reach it yet: {exc}") from None
                raise

        try:
            return wait_until(
                f"Portainer to reach agent {agent.name} at {agent.url}",
                attempt,
                timeout_s=self.options.waits.agent_timeout_s,
                interval_s=self.options.waits.poll_interval_s,
                progress=self.progress,
            )
        except WaitTimeoutError as exc:
            hint = agent_hint(unreachable[0], agent.name, agent.port) if unreachable else ""
            raise PortainerError(f"{exc}; {hint}" if hint else str(exc)) from None
        except PortainerError as exc:
            hint = agent_hint(exc, agent.name, agent.port)
            if hint:
                raise PortainerError(f"{exc}; {hint}") from None
            raise

    def _create_endpoint(self, item: EnvironmentItem, agent: DesiredAgent) -> Endpoint:
        """One create, repeated (after a re-read) only while its outcome is unknown."""
        last: PortainerError | None = None
        for attempt in range(self.options.write_attempts):
            if attempt:
                self.progress(f"environment {item.name}: sending the create again")
            try:
                return self.client.create_agent_endpoint(agent.name, agent.url)
            except PortainerError as exc:
                if not (conflict(exc) or outcome_unknown(exc)):
                    raise
                last = exc
                # 409: someone created it meanwhile; unknown outcome: maybe we did. Re-list.
                self.progress(f"environment {item.name}: {exc}; reading the environments again")
                endpoint = self.client.find_endpoint(agent.name)
                if endpoint is None:
                    if conflict(exc):
                        raise
                    continue
                replanned = plan_environment(agent, endpoint)
                if replanned.action is Action.CONFLICT:
                    raise PortainerError("; ".join(replanned.reasons)) from None
                if replanned.action is Action.UPDATE:
                    return self.client.update_endpoint(endpoint.Id, replanned.changes)
                return endpoint
        raise gave_up(f"environment {item.name}: create", self.options.write_attempts, last)

    def _write(self, write: Callable[[], _R], recheck: Callable[[], _R | None]) -> _R:
        """Run an idempotent write; after an unknown outcome re-read before trying again."""
        last: PortainerError | None = None
        for _ in range(self.options.write_attempts):
            try:
                return write()
            except PortainerError as exc:
                if not outcome_unknown(exc):
                    raise
                last = exc
                done = recheck()
                if done is not None:
                    return done
        assert last is not None
        raise last
