"""What Portainer's error answers mean for a write: try again, wait, or stop with its reason.

Portainer answers 500 both for "something went wrong, maybe try again" and for reasons that
no retry fixes; the message says which (shared/reference/portainer-api.md §4, §5):

- ``Unable to get environment type``: the server could not ping the agent. While the agent's
  VM boots that is a matter of time (wait, bounded); a certificate error is not.
- ``Unable to initiate communications with environment``: the agent answered its ping but
  refused the server's signature, usually because another Portainer paired with it first.

A dropped connection, a gateway error (502-504) or an unexplained 5xx leave the outcome of a
write unknown: the current state is read again before the write is repeated.
"""

from __future__ import annotations

from portainer.client import PortainerConnectionError, PortainerError, PortainerHTTPError

AGENT_UNREACHABLE = "Unable to get environment type"
AGENT_REFUSED = "Unable to initiate communications with environment"
_CERTIFICATE_WORDS = ("x509", "certificate")


def outcome_unknown(exc: PortainerError) -> bool:
    """The write may or may not have landed: re-read, then maybe send it again."""
    if isinstance(exc, PortainerConnectionError):
        return True
    return (
        isinstance(exc, PortainerHTTPError)
        and exc.status >= 500
        and not agent_not_reachable_yet(exc)
        and not permanent(exc)
    )


def conflict(exc: PortainerError) -> bool:
    """409: a name is taken or a deployment is running."""
    return isinstance(exc, PortainerHTTPError) and exc.status == 409


def agent_not_reachable_yet(exc: PortainerError) -> bool:
    """Portainer could not ping the agent (not up yet, or a firewall between them)."""
    return (
        isinstance(exc, PortainerHTTPError)
        and exc.status == 500
        and exc.message == AGENT_UNREACHABLE
        and not any(word in exc.details.lower() for word in _CERTIFICATE_WORDS)
    )


def permanent(exc: PortainerError) -> bool:
    """A 5xx whose reason no retry changes."""
    if not isinstance(exc, PortainerHTTPError) or exc.status < 500:
        return False
    if exc.message == AGENT_REFUSED:
        return True
    return exc.message == AGENT_UNREACHABLE and any(
        word in exc.details.lower() for word in _CERTIFICATE_WORDS
    )


def agent_hint(exc: PortainerError, agent: str, port: int) -> str:
    """What the operator can do about an agent Portainer cannot register ('' if nothing)."""
    if not isinstance(exc, PortainerHTTPError):
        return ""
    if exc.message == AGENT_REFUSED:
        return (
            f"the agent on {agent} accepts another Portainer server (an agent without "
            "AGENT_SECRET pairs with the first server that reaches it): restart the agent "
            f"container on {agent}, or set agent_secret: true in portainer.yaml"
        )
    if exc.message == AGENT_UNREACHABLE and permanent(exc):
        return f"Portainer refused the certificate of the agent on {agent}"
    if agent_not_reachable_yet(exc):
        return (
            f"the Portainer server (not this machine) connects to the agent: check that the "
            f"agent container runs on {agent} and that its firewall lets the Portainer server "
            f"reach port {port}"
        )
    return ""


def gave_up(what: str, attempts: int, last: PortainerError | None) -> PortainerError:
    """The error after the last attempt: how often, and Portainer's own last answer."""
    text = f"{what} failed {attempts} times"
    return PortainerError(f"{text}; last answer: {last}" if last is not None else text)


def internal_error(exc: Exception) -> str:
    """A bug's report: only the type, since its message may quote data holding secrets."""
    return f"internal error ({type(exc).__name__}); please report it"
