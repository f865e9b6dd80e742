"""Pure planning: what must change so Portainer matches the desired state.

No I/O here: the reconciler reads the current objects and hands them in. Items are mutable only
so the reconciler can record the outcome of applying them.

Compose comparison: exact content, except that CRLF line endings and trailing newlines are
ignored (editors and the Portainer UI differ on both; neither changes what compose deploys).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from portainer import OWNER_ENV, normalize_stack_name
from portainer.desired import COMPOSE_SHA_ENV, DesiredAgent, DesiredStack
from portainer.health import StackHealth
from portainer.models import Endpoint, EndpointType, Pair, Stack, StackStatus


class Action(str, Enum):
    """What happens (or happened) to one environment or stack."""

    CREATE = "create"
    UPDATE = "update"
    START = "start"
    DELETE = "delete"
    UNCHANGED = "unchanged"
    KEEP = "keep"  # owned but no longer in the config; deleted only with --prune
    CONFLICT = "conflict"
    FAILED = "failed"

    @property
    def symbol(self) -> str:
        """The terraform-plan-like marker of this action."""
        return _SYMBOLS[self]

    @property
    def is_change(self) -> bool:
        """True for actions that write to Portainer."""
        return self in (Action.CREATE, Action.UPDATE, Action.START, Action.DELETE)


_SYMBOLS = {
    Action.CREATE: "+",
    Action.UPDATE: "~",
    Action.START: "~",
    Action.DELETE: "-",
    Action.UNCHANGED: "=",
    Action.KEEP: "?",
    Action.CONFLICT: "!",
    Action.FAILED: "x",
}


class MissingSecretError(Exception):
    """A ``secret_env`` entry names a process env var that is not set."""


@dataclass
class StackItem:
    """The plan (and, after apply, the outcome) for one stack on one environment."""

    name: str
    action: Action
    reasons: list[str] = field(default_factory=list)
    desired: DesiredStack | None = None
    environment: str = ""
    env: tuple[Pair, ...] = field(default=(), repr=False)  # holds secret values: never shown
    stack_id: int | None = None
    endpoint_id: int | None = None
    wait_deploying: bool = False
    error: str | None = None
    health: StackHealth | None = None
    """What its containers and probes said after the apply (None: not checked)."""

    def fail(self, message: str) -> None:
        """Record a failure of this item."""
        self.error = message

    @property
    def unhealthy(self) -> bool:
        """Deployed (or left as it was) without error, but not up."""
        return self.error is None and self.health is not None and not self.health.healthy

    @property
    def label(self) -> str:
        """``stack@environment`` for progress lines."""
        return f"{self.name}@{self.environment}" if self.environment else self.name

    @property
    def failed(self) -> bool:
        """True when the item could not be planned or applied, or is not up after it."""
        return self.action is Action.FAILED or self.error is not None or self.unhealthy


@dataclass
class EnvironmentItem:
    """The plan (and outcome) for one agent environment and its stacks."""

    name: str
    url: str
    action: Action
    changes: dict[str, Any] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    endpoint_id: int | None = None
    stacks: list[StackItem] = field(default_factory=list)
    error: str | None = None

    def fail(self, message: str) -> None:
        """Record a failure of the environment; its pending stacks fail with it."""
        self.error = message
        for stack in self.stacks:
            if not stack.failed and stack.action not in (Action.CONFLICT,):
                stack.fail(f"environment {self.name} failed")

    @property
    def failed(self) -> bool:
        """True when the environment itself could not be planned or applied."""
        return self.action is Action.FAILED or self.error is not None


@dataclass
class Plan:
    """Everything one reconcile run plans and does."""

    owner: str
    server_url: str
    dry_run: bool
    admin_init: bool = False
    environments: list[EnvironmentItem] = field(default_factory=list)
    error: str | None = None  # a failure that stopped the whole run (server down, bad auth)

    def items(self) -> list[EnvironmentItem | StackItem]:
        """Every environment and stack item, in display order."""
        out: list[EnvironmentItem | StackItem] = []
        for env in self.environments:
            out.append(env)
            out.extend(env.stacks)
        return out

    @property
    def failed(self) -> bool:
        """True when anything failed or conflicts (the fleet is not converged)."""
        return self.error is not None or any(
            i.failed or i.action is Action.CONFLICT for i in self.items()
        )

    @property
    def has_changes(self) -> bool:
        """True when something is (dry run) or was (apply) changed."""
        return self.admin_init or any(i.action.is_change and not i.failed for i in self.items())


# --------------------------------------------------------------------------- env values


def resolve_env(stack: DesiredStack, owner: str, environ: Mapping[str, str]) -> tuple[Pair, ...]:
    """The full env list the stack must have: plain env, secrets from ``environ``, markers.

    Raises :class:`MissingSecretError` naming (never showing) missing variables.
    """
    missing = sorted(s.from_env for s in stack.secret_env if s.from_env not in environ)
    if missing:
        raise MissingSecretError(
            f"secret env of stack {stack.name} needs process environment variable(s) "
            f"{', '.join(missing)}, which are not set"
        )
    pairs = [Pair(name=e.name, value=e.value) for e in stack.env]
    pairs += [Pair(name=s.name, value=environ[s.from_env]) for s in stack.secret_env]
    pairs.append(Pair(name=OWNER_ENV, value=owner))
    pairs.append(Pair(name=COMPOSE_SHA_ENV, value=stack.compose_sha256.lower()))
    return tuple(sorted(pairs, key=lambda p: p.name))


def same_compose(current: str, desired: str) -> bool:
    """Compare compose files, ignoring CRLF vs LF and trailing newlines."""

    def norm(text: str) -> str:
        return text.replace("\r\n", "\n").rstrip("\n")

    return norm(current) == norm(desired)


def env_changes(current: Sequence[Pair], desired: Sequence[Pair]) -> list[str]:
    """Names (never values) of env vars added (+), changed (~) or removed (-)."""
    have = {p.name: p.value for p in current}
    want = {p.name: p.value for p in desired}
    out = [f"+{n}" for n in sorted(want.keys() - have.keys())]
    out += [f"~{n}" for n in sorted(want.keys() & have.keys()) if want[n] != have[n]]
    out += [f"-{n}" for n in sorted(have.keys() - want.keys())]
    return out


def is_owned(stack: Stack, owner: str) -> bool:
    """True when ``stack`` carries this fleet's ownership marker."""
    return stack.env_value(OWNER_ENV) == owner


def needs_file(stack: Stack, desired: DesiredStack, verify_files: bool) -> bool:
    """Whether the compose file must be fetched to decide if the stack changed.

    Phoenix stores the sha256 of what it deployed in ``PHOENIX_COMPOSE_SHA256``; when it equals
    the desired hash the file is not fetched (one request less per stack) unless
    ``verify_files`` asks to detect edits made outside Phoenix.
    """
    return verify_files or stack.env_value(COMPOSE_SHA_ENV) != desired.compose_sha256.lower()


# --------------------------------------------------------------------------- planning


def plan_environment(agent: DesiredAgent, endpoint: Endpoint | None) -> EnvironmentItem:
    """Create, update (only the differing fields), leave alone, or refuse (wrong type)."""
    item = EnvironmentItem(name=agent.name, url=agent.url, action=Action.UNCHANGED)
    if endpoint is None:
        item.action = Action.CREATE
        return item
    item.endpoint_id = endpoint.Id
    if endpoint.Type != EndpointType.AGENT_ON_DOCKER:
        item.action = Action.CONFLICT
        item.reasons.append(
            f"an environment named {agent.name!r} exists with Type {endpoint.Type}, not an "
            "agent on Docker (2); Phoenix does not change it - rename or delete it"
        )
        return item
    if agent.name != endpoint.Name:  # found by its address: the guest was renamed
        item.changes["Name"] = agent.name
        item.reasons.append(f"name {endpoint.Name} -> {agent.name}")
    if agent.url != endpoint.URL:
        item.changes["URL"] = agent.url
        item.reasons.append(f"URL {endpoint.URL} -> {agent.url}")
    tls = endpoint.TLSConfig
    if not (tls.TLS and tls.TLSSkipVerify):
        # Agents are HTTPS with self-signed certs: all three flags go together.
        item.changes.update({"TLS": True, "TLSSkipVerify": True, "TLSSkipClientVerify": True})
        item.reasons.append("TLS flags -> TLS, skip verify")
    if item.changes:
        item.action = Action.UPDATE
    return item


def plan_stack(
    desired: DesiredStack,
    env: tuple[Pair, ...],
    current: Stack | None,
    current_file: str | None,
    owner: str,
) -> StackItem:
    """Plan one stack. ``current_file`` is None when it was not fetched (hash marker matched)."""
    item = StackItem(name=desired.name, action=Action.UNCHANGED, desired=desired, env=env)
    if current is None:
        item.action = Action.CREATE
        return item
    item.stack_id = current.Id
    item.endpoint_id = current.EndpointId
    if not is_owned(current, owner):
        marker = current.env_value(OWNER_ENV)
        whose = f"owned by {marker!r}" if marker else f"without {OWNER_ENV}"
        item.action = Action.CONFLICT
        item.reasons.append(
            f"stack {current.Name!r} (id {current.Id}) exists on this environment {whose}; "
            "left untouched"
        )
        return item
    if current_file is not None and not same_compose(current_file, desired.compose):
        item.reasons.append("compose changed")
    changed_env = env_changes(current.Env, env)
    if changed_env:
        item.reasons.append("env " + " ".join(changed_env))
    if item.reasons:
        item.action = Action.UPDATE
    elif current.Status == StackStatus.ERROR:
        item.action = Action.UPDATE
        item.reasons.append(f"redeploy: last deployment failed ({current.last_error()})")
    elif current.Status == StackStatus.INACTIVE:
        item.action = Action.START
        item.reasons.append("stack is stopped")
    elif current.Status == StackStatus.DEPLOYING:
        item.wait_deploying = True
        item.reasons.append("deployment in progress")
    return item


def plan_leftovers(
    current: Sequence[Stack], desired_names: set[str], owner: str, prune: bool
) -> list[StackItem]:
    """Owned stacks no longer in the config: delete with ``prune``, else keep and report."""
    out: list[StackItem] = []
    for stack in sorted(current, key=lambda s: s.Name):
        if normalize_stack_name(stack.Name) in desired_names or not is_owned(stack, owner):
            continue
        item = StackItem(
            name=stack.Name,
            action=Action.DELETE if prune else Action.KEEP,
            stack_id=stack.Id,
            endpoint_id=stack.EndpointId,
        )
        item.reasons.append(
            "no longer in the config" + ("" if prune else "; kept (pass --prune to delete)")
        )
        out.append(item)
    return out
