"""After the writes of an environment: wait, bounded, until its stacks are up, and say why not.

Per environment, every poll lists the containers of all its Compose projects through
Portainer's Docker proxy (one request for all its stacks), inspects only those the list does
not show running and healthy, and, once a stack's containers are all up, sends its HTTP
probes. A stack leaves the wait when it is healthy or when something cannot get better by
waiting (an exited container); the rest are judged as last seen when the deadline passes. A
stack that is not healthy then gets the last lines of its failing containers' logs, masked by
the client's redactor: logs may quote secret values. Only reads: a converged re-run still
writes nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from portainer import normalize_stack_name
from portainer.client import PortainerClient, PortainerError
from portainer.docker_proxy import ContainerSummary, DockerProxy
from portainer.health import StackHealth, judge_services
from portainer.plan import Action, EnvironmentItem, StackItem
from portainer.probes import Prober
from portainer.waits import NotReadyError, WaitSettings, WaitTimeoutError, wait_until

Progress = Callable[[str], None]

#: Log lines shown per failing container.
LOG_LINES = 20


class HealthChecker:
    """Waits for the stacks of one environment at a time (thread-safe)."""

    def __init__(
        self,
        docker: DockerProxy,
        prober: Prober,
        timeout_s: float,
        interval_s: float,
        progress: Progress,
    ) -> None:
        self.docker = docker
        self.prober = prober
        self.timeout_s = timeout_s
        self.interval_s = interval_s
        self.progress = progress

    @classmethod
    def for_client(
        cls, client: PortainerClient, waits: WaitSettings, progress: Progress
    ) -> HealthChecker:
        """A checker reading through ``client`` and probing with its timeouts."""
        settings = client.settings
        return cls(
            DockerProxy(client),
            Prober(settings.connect_timeout_s, settings.read_timeout_s),
            timeout_s=waits.health_timeout_s,
            interval_s=waits.poll_interval_s,
            progress=progress,
        )

    def close(self) -> None:
        """Close the probes' connections."""
        self.prober.close()

    def check(self, env: EnvironmentItem) -> None:
        """Record the health of every stack of ``env`` that was deployed (or left unchanged);
        failed, conflicting and removed stacks are not checked."""
        endpoint_id = env.endpoint_id
        stacks = [
            s
            for s in env.stacks
            if s.desired is not None and not s.failed and s.action is not Action.CONFLICT
        ]
        if endpoint_id is None or env.failed or not stacks:
            return
        seen: dict[str, StackHealth] = {}
        pending = list(stacks)

        def poll() -> None:
            try:
                listed: dict[str, list[ContainerSummary]] | PortainerError = (
                    self.docker.compose_containers(endpoint_id)
                )
            except PortainerError as exc:
                listed = exc
            for stack in list(pending):
                health = self._observe(endpoint_id, stack, listed)
                seen[stack.name] = health
                if health.healthy or health.final:
                    pending.remove(stack)
            if pending:
                raise NotReadyError(
                    "; ".join(f"{s.name}: {seen[s.name].summary()}" for s in pending)
                )

        with contextlib.suppress(WaitTimeoutError):  # then each stack is judged as last seen
            wait_until(
                f"the stacks of {env.name} to be up",
                poll,
                timeout_s=self.timeout_s,
                interval_s=self.interval_s,
                progress=self.progress,
            )
        for stack in stacks:
            health = seen[stack.name]
            if not health.healthy:
                self._add_logs(endpoint_id, health)
            stack.health = health
            self.progress(f"stack {stack.label}: {health.summary()}")

    def _observe(
        self,
        endpoint_id: int,
        stack: StackItem,
        listed: dict[str, list[ContainerSummary]] | PortainerError,
    ) -> StackHealth:
        """One look at a stack: its containers, then (if they are up) its probes."""
        assert stack.desired is not None
        declared = stack.desired.health
        if isinstance(listed, PortainerError):
            return StackHealth(error=str(listed))
        try:
            containers = [
                (
                    summary,
                    None if summary.plainly_up else self.docker.inspect(endpoint_id, summary.Id),
                )
                for summary in listed.get(normalize_stack_name(stack.desired.name), [])
            ]
        except PortainerError as exc:
            return StackHealth(error=str(exc))
        health = StackHealth(services=judge_services(declared.services, containers))
        if all(service.ok for service in health.services):
            health.probes = [
                self.prober.probe(target, probe.status)
                for probe in declared.probes
                for target in probe.targets
            ]
        return health

    def _add_logs(self, endpoint_id: int, health: StackHealth) -> None:
        """The last log lines of each failing container (a failed read says so instead)."""
        for service in health.services:
            for container in service.containers:
                if container.ok:
                    continue
                try:
                    lines = self.docker.last_log_lines(
                        endpoint_id, container.id, tty=container.tty, lines=LOG_LINES
                    )
                except PortainerError as exc:
                    lines = [f"(its logs could not be read: {exc})"]
                service.logs[container.name] = [self.docker.client.redact(line) for line in lines]
