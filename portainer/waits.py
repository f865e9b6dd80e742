"""Bounded readiness waits (tenacity): server up, stack done deploying, and the generic wait.

Every wait has a deadline and reports progress through a callback while it waits. Only
"not ready yet" conditions are retried; anything else (a 4xx, AdminInitTimeout) stops at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_delay, wait_fixed

from portainer.client import (
    PortainerClient,
    PortainerConnectionError,
    PortainerHTTPError,
)
from portainer.models import Stack, StackStatus, SystemStatus

T = TypeVar("T")
Progress = Callable[[str], None]


@dataclass(frozen=True)
class WaitSettings:
    """Deadlines and poll intervals (seconds)."""

    server_timeout_s: float = 300.0
    agent_timeout_s: float = 120.0
    """How long a new environment may wait for Portainer to reach its agent (VM booting)."""
    deploy_timeout_s: float = 600.0
    health_timeout_s: float = 120.0
    """How long deployed stacks may take to be up: services running (healthy), probes answered."""
    poll_interval_s: float = 2.0
    #: Pause before re-trying a write Portainer refused with 409 "in progress".
    conflict_retry_s: float = 2.0


class NotReadyError(Exception):
    """Raised by a probe: the thing is not ready yet (retry)."""


class WaitTimeoutError(Exception):
    """A bounded wait ran out of time."""


def wait_until(
    what: str,
    probe: Callable[[], T],
    *,
    timeout_s: float,
    interval_s: float,
    progress: Progress,
) -> T:
    """Call ``probe`` until it returns without raising :class:`NotReadyError`, within
    ``timeout_s``; report each retry through ``progress``."""
    started = time.monotonic()

    def report(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        elapsed = time.monotonic() - started
        progress(f"waiting for {what} ({elapsed:.1f}s of {timeout_s:g}s): {error}")

    retrying = Retrying(
        stop=stop_after_delay(timeout_s),
        wait=wait_fixed(interval_s),
        retry=retry_if_exception_type(NotReadyError),
        before_sleep=report,
        reraise=True,
    )
    try:
        for attempt in retrying:
            with attempt:
                return probe()
    except NotReadyError as exc:
        raise WaitTimeoutError(
            f"gave up waiting for {what} after {timeout_s:.0f}s: {exc}"
        ) from None
    raise AssertionError("unreachable")  # pragma: no cover


def wait_for_server(
    client: PortainerClient, settings: WaitSettings, progress: Progress
) -> SystemStatus:
    """``GET /api/system/status`` until it answers 200."""

    def probe() -> SystemStatus:
        try:
            return client.system_status()
        except PortainerConnectionError as exc:
            raise NotReadyError(exc.reason) from None
        except PortainerHTTPError as exc:
            if exc.status >= 500:
                raise NotReadyError(str(exc)) from None
            raise

    return wait_until(
        f"Portainer at {client.base_url}",
        probe,
        timeout_s=settings.server_timeout_s,
        interval_s=settings.poll_interval_s,
        progress=progress,
    )


def wait_while_deploying(
    client: PortainerClient, stack_id: int, label: str, settings: WaitSettings, progress: Progress
) -> Stack:
    """Poll ``GET /api/stacks/{id}`` while Status is 3 (deploying); return the final stack."""

    def probe() -> Stack:
        try:
            stack = client.get_stack(stack_id)
        except PortainerConnectionError as exc:
            raise NotReadyError(exc.reason) from None
        if stack.Status == StackStatus.DEPLOYING:
            raise NotReadyError("still deploying")
        return stack

    return wait_until(
        f"stack {label} to deploy",
        probe,
        timeout_s=settings.deploy_timeout_s,
        interval_s=settings.poll_interval_s,
        progress=progress,
    )
