"""HTTP probes from the deploying machine: the requests a user would make, through the gateway
(or straight to the guest), compared with the status the stack declares.

A probe carries no credential and no cookie, follows no redirect, reads no more of the answer
than its status line and headers, and ignores proxy settings of the environment (a probe to
10.0.0.153 must not leave through a corporate proxy). Plain HTTP only: the gateway's side
towards users is HTTP.
"""

from __future__ import annotations

import requests

from portainer.client import innermost_reason
from portainer.desired import ProbeTarget
from portainer.health import ProbeVerdict
from portainer.session import no_cookies


class Prober:
    """Sends probes on one session (thread-safe for concurrent environments)."""

    def __init__(self, connect_timeout_s: float = 5.0, read_timeout_s: float = 10.0) -> None:
        self._timeout = (connect_timeout_s, read_timeout_s)
        self._session = requests.Session()
        self._session.trust_env = False
        no_cookies(self._session)
        self._session.headers["User-Agent"] = "phoenix-probe/1"

    def probe(self, target: ProbeTarget, expected: int) -> ProbeVerdict:
        """``GET`` the target once."""
        headers = {"Host": target.host} if target.host else {}
        try:
            with self._session.get(
                target.url,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
                stream=True,
            ) as response:
                return ProbeVerdict(target, expected, status=response.status_code)
        except requests.RequestException as exc:
            return ProbeVerdict(target, expected, error=_reason(exc))

    def close(self) -> None:
        """Close pooled connections."""
        self._session.close()


def _reason(exc: requests.RequestException) -> str:
    """A short reason: refused, timed out, reset (never the request's headers)."""
    if isinstance(exc, requests.ConnectTimeout):
        return "no answer (connect timed out)"
    if isinstance(exc, requests.ReadTimeout):
        return "no answer (read timed out)"
    text = innermost_reason(exc)
    if "Connection refused" in text:
        return "connection refused"
    if isinstance(exc, requests.ConnectionError):
        return f"no answer ({text[:200]})"
    return f"request failed ({type(exc).__name__})"
