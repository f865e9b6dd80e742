"""Fault injection and test controls for the fake Portainer: latency, failed or dropped
requests, expired tokens, racing writers, held or failing deployments, service behaviour, and
hooks at exact points of the conversation (never at moments in time)."""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Callable
from typing import Any

from tests.fakes.docker import FakeContainer, ServiceBehaviour, containers_of
from tests.fakes.portainer.records import Fault, normalize
from tests.fakes.portainer.state import PortainerState


class FaultInjection(PortainerState):
    """What a test arms; the server consults it on every request."""

    def set_latency(self, seconds: float) -> None:
        """Delay every request by ``seconds`` before handling it."""
        self._latency_s = seconds

    def fail_next(self, method: str, pattern: str, count: int = 1, status: int = 500) -> None:
        """Answer the next ``count`` requests matching ``method`` + path glob with ``status``."""
        with self._lock:
            self._faults.append(Fault(method, pattern, count, "status", status))

    def drop_next(self, method: str, pattern: str, count: int = 1, *, after: bool = False) -> None:
        """Close the connection without a response on the next ``count`` matching requests;
        with ``after`` the request is processed first (the response is lost)."""
        with self._lock:
            self._faults.append(
                Fault(method, pattern, count, "drop-after" if after else "drop-before")
            )

    def expire_tokens(self, *, before: tuple[str, str] | None = None) -> None:
        """Make every JWT issued so far expire now, or (``before=(method, path glob)``) just
        before the next matching request is handled."""
        with self._lock:
            if before is not None:
                self._faults.append(Fault(before[0], before[1], 1, "expire"))
                return
            self._tokens = {t: (u, 0.0) for t, (u, _) in self._tokens.items()}

    def race_on_create(self, name: str, owner: str | None = None) -> None:
        """Just before the next create of stack ``name`` lands, another writer creates it
        (carrying ``PHOENIX_OWNER=owner`` when given, else foreign)."""
        with self._lock:
            self._races[normalize(name)] = owner

    def race_on_endpoint_create(self, name: str, url: str) -> None:
        """Just before the next environment create named ``name`` lands, another writer
        creates an environment of that name pointing at ``url``."""
        with self._lock:
            self._endpoint_races[name] = url

    def gather(
        self, method: str, pattern: str, count: int, timeout_s: float = 60.0
    ) -> Callable[[], bool]:
        """Hold the next ``count`` matching requests until all of them have arrived: they are
        answered only once that many are in flight at the same time. Returns a check that says
        whether they were (False when ``timeout_s`` ran out first, e.g. for a client that sends
        them one at a time). Proves concurrency without measuring time."""
        barrier = threading.Barrier(count, timeout=timeout_s)
        with self._lock:
            self._gathers.append((Fault(method, pattern, count, "gather"), barrier))
        return lambda: not barrier.broken

    def after_next(self, method: str, pattern: str, action: Callable[[], object]) -> None:
        """Run ``action`` once the next request matching ``method`` + path glob has been
        handled (before its answer is sent): a test changes the world at an exact point of
        the conversation instead of at a moment in time."""
        with self._lock:
            self._after.append((Fault(method, pattern, 1, "after"), action))

    def hold_deployments(self, *, until: tuple[str, str] | None = None) -> None:
        """Deployments started from now on stay in Status 3 until `release_deployments`, or
        (``until=(method, path glob)``) until the next matching request has been answered: a
        test that needs a deployment still running does not depend on the clock."""
        with self._lock:
            self._holding_deploys = True
        if until is not None:
            self.after_next(*until, self.release_deployments)

    def release_deployments(self) -> None:
        """Let every held deployment finish (at the next read) and stop holding new ones."""
        with self._lock:
            self._holding_deploys = False
            for stack in self._stacks.values():
                if stack.deploy_until == math.inf:
                    stack.deploy_until = 0.0

    def fail_deploy(self, name: str) -> None:
        """Deployments of stack ``name`` end in Status 4 (error)."""
        with self._lock:
            self._failing_deploys.add(normalize(name))

    def set_service(self, stack: str, service: str, **behaviour: Any) -> None:
        """From now on, the containers of ``service`` in stack ``stack`` behave as
        :class:`~tests.fakes.docker.ServiceBehaviour` (``state``, ``health``, ``exit_code``,
        ``restart_count``, ``logs``, ...) says, on every environment; without arguments they
        run (and are healthy) again."""
        with self._lock:
            self._services[(normalize(stack), service)] = ServiceBehaviour(**behaviour)

    def containers(self, endpoint_id: int) -> list[FakeContainer]:
        """The containers of the environment's stacks, as its Docker reports them now."""
        with self._lock:
            return containers_of(self.stacks(endpoint_id), dict(self._services))

    def _wait_for_company(self, method: str, path: str) -> None:
        with self._lock:
            barrier = None
            for hook, candidate in self._gathers:
                if hook.matches(method, path):
                    hook.remaining -= 1
                    barrier = candidate
                    break
        if barrier is not None:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()

    def _take_after(self, method: str, path: str) -> list[Callable[[], object]]:
        with self._lock:
            due = [(hook, action) for hook, action in self._after if hook.matches(method, path)]
            self._after = [entry for entry in self._after if entry not in due]
        return [action for _, action in due]

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.remaining -= 1
                    return fault
        return None
