"""What "up" means for a deployed stack, judged from what its Docker and its probes answer.

Pure: the checker (``portainer.health_check``) reads, this module decides. A stack is healthy
when every service the compose file starts has containers, each of them running (healthy when
it has a health check, or finished with exit code 0 when it is not meant to restart), and
every probe got its expected status. Some states do not get better by waiting (an exited or
dead container): the wait for that stack ends at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from portainer.desired import ProbeTarget
from portainer.docker_proxy import ContainerDetails, ContainerSummary, printable

#: The verdict's name when no service is declared (outputs from before health checks) and the
#: stack has no container at all.
ANY_SERVICE = ""
#: Restart policies under which an exit with code 0 is the end of a job, not a crash.
_ONE_SHOT_POLICIES = frozenset({"", "no", "on-failure"})


@dataclass(frozen=True)
class ContainerVerdict:
    """One container of a service, as judged."""

    name: str
    id: str
    state: str
    """Docker's ``State.Status``: running, restarting, exited, created, paused, dead."""
    health: str
    """``State.Health.Status`` (starting, healthy, unhealthy), or '' without a health check."""
    ok: bool
    final: bool
    """Not ok, and waiting will not change that."""
    detail: str
    tty: bool = False
    """It has a terminal: its log is one raw stream, not Docker's multiplexed one."""


def judge_container(details: ContainerDetails) -> ContainerVerdict:
    """Running (and healthy with a health check), or a one-shot job that finished cleanly."""
    state = details.State
    health = state.Health.Status if state.Health is not None else ""
    health = "" if health == "none" else health
    restarts = f"restarted {details.RestartCount} times, last exit code {state.ExitCode}"
    ok, final = False, False
    if state.Status == "running" and health in ("", "healthy"):
        ok, detail = True, "running" + (" and healthy" if health else "")
    elif state.Status == "running" and health == "starting":
        detail = "running, its health check has not passed yet"
    elif state.Status == "running":
        detail = f"running but {health or 'unhealthy'}{_last_check(details)}"
    elif state.Status == "restarting":
        detail = f"restarting ({restarts})"
    elif state.Status == "exited":
        policy = details.HostConfig.RestartPolicy.Name
        ok = state.ExitCode == 0 and policy in _ONE_SHOT_POLICIES
        final = not ok
        detail = f"exited with code {state.ExitCode}" + (" (a finished job)" if ok else "")
        if state.Error:
            detail += f": {printable(state.Error)}"
    elif state.Status == "dead":
        final, detail = True, "dead (Docker could not stop or remove it)"
    elif state.Status == "created":
        detail = "created, not started"
    else:
        detail = state.Status or "in an unknown state"
    return ContainerVerdict(
        name=details.display_name,
        id=details.Id,
        state=state.Status,
        health=health,
        ok=ok,
        final=final,
        detail=detail,
        tty=details.config.Tty,
    )


def _last_check(details: ContainerDetails) -> str:
    """What the last failing run of the health check printed, if anything."""
    health = details.State.Health
    if health is None or not health.Log or health.Log[-1].ExitCode == 0:
        return ""
    last = health.Log[-1]
    lines = [printable(line) for line in last.Output.strip().splitlines() if line.strip()]
    said = f": {lines[-1]}" if lines else ""
    return f" (health check exit code {last.ExitCode}{said})"


@dataclass
class ServiceVerdict:
    """One compose service: its containers, judged."""

    service: str
    containers: list[ContainerVerdict] = field(default_factory=list)
    logs: dict[str, list[str]] = field(default_factory=dict)
    """Last log lines of its failing containers, by container name (filled on failure)."""

    @property
    def ok(self) -> bool:
        return bool(self.containers) and all(c.ok for c in self.containers)

    @property
    def final(self) -> bool:
        return any(c.final for c in self.containers)

    @property
    def detail(self) -> str:
        if not self.containers:
            return "no container (not created, or removed)"
        failing = [c for c in self.containers if not c.ok]
        if not failing:
            return self.containers[0].detail
        if len(self.containers) == 1:
            return failing[0].detail
        return "; ".join(f"{c.name} {c.detail}" for c in failing)


def judge_listed(summary: ContainerSummary) -> ContainerVerdict:
    """A container the list alone shows running and healthy (``plainly_up``)."""
    healthy = "(healthy)" in summary.Status.lower()
    return ContainerVerdict(
        name=summary.display_name,
        id=summary.Id,
        state="running",
        health="healthy" if healthy else "",
        ok=True,
        final=False,
        detail="running" + (" and healthy" if healthy else ""),
    )


def judge_services(
    expected: Sequence[str],
    containers: Sequence[tuple[ContainerSummary, ContainerDetails | None]],
) -> list[ServiceVerdict]:
    """Group a project's containers by service and judge them (by their inspection, or by the
    list alone when it was not needed). ``expected`` services must each have containers;
    without a list, every service found counts (at least one)."""
    by_service: dict[str, ServiceVerdict] = {name: ServiceVerdict(name) for name in expected}
    for summary, details in containers:
        if summary.one_off:
            continue  # `docker compose run`: not a replica of the service
        if expected and summary.service not in by_service:
            continue  # a service no longer in the compose file (compose up keeps orphans)
        verdict = by_service.setdefault(summary.service, ServiceVerdict(summary.service))
        verdict.containers.append(
            judge_container(details) if details is not None else judge_listed(summary)
        )
    if not by_service:
        return [ServiceVerdict(ANY_SERVICE)]
    return sorted(by_service.values(), key=lambda v: v.service)


@dataclass(frozen=True)
class ProbeVerdict:
    """One probe request and what came back."""

    target: ProbeTarget
    expected: int
    status: int | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == self.expected

    @property
    def detail(self) -> str:
        if self.status is None:
            return f"probe {self.target.label}: {self.error}"
        return f"probe {self.target.label}: HTTP {self.status}, expected {self.expected}"


@dataclass
class StackHealth:
    """The health of one stack after the wait: verdicts per service, then per probe."""

    services: list[ServiceVerdict] = field(default_factory=list)
    probes: list[ProbeVerdict] = field(default_factory=list)
    """Sent only once every service is up."""
    error: str = ""
    """Why the stack's containers could not be read (Portainer's answer)."""

    @property
    def healthy(self) -> bool:
        return (
            not self.error
            and bool(self.services)
            and all(s.ok for s in self.services)
            and all(p.ok for p in self.probes)
        )

    @property
    def final(self) -> bool:
        """Unhealthy in a way waiting will not change."""
        return any(s.final for s in self.services)

    def problems(self) -> list[str]:
        """One sentence per thing that is not up."""
        out = [
            f"service {s.service}: {s.detail}" if s.service != ANY_SERVICE else "no container"
            for s in self.services
            if not s.ok
        ]
        out += [p.detail for p in self.probes if not p.ok]
        if self.error:
            out.append(f"cannot read its containers: {self.error}")
        return out

    def summary(self) -> str:
        """``healthy``, or what is not up."""
        return "healthy" if self.healthy else "; ".join(self.problems()) or "not checked"

    def to_json(self) -> dict[str, Any]:
        """The per-stack health of the JSON report."""
        return {
            "healthy": self.healthy,
            "services": [
                {
                    "name": s.service,
                    "ok": s.ok,
                    "detail": s.detail,
                    "containers": [
                        {"name": c.name, "state": c.state, "health": c.health or None}
                        for c in s.containers
                    ],
                    "logs": {name: list(lines) for name, lines in s.logs.items()},
                }
                for s in self.services
            ],
            "probes": [
                {
                    "url": p.target.url,
                    "route": p.target.route,
                    "expected": p.expected,
                    "status": p.status,
                    "ok": p.ok,
                    "error": p.error or None,
                }
                for p in self.probes
            ],
            "error": self.error or None,
        }
