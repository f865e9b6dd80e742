"""The one ``requests.Session`` a client uses: no cookie jar, urllib3 ``Retry``, TLS settings.

Rules (see shared/reference/portainer-api.md §3, §9): no cookie jar, because Portainer >= 2.20
sets a JWT cookie and then enforces CSRF on cookie sessions; retries only for idempotent
methods and for connections that never reached the server.

TLS: the server is accepted by a pinned certificate fingerprint (checked by urllib3 on every
new connection, right after the handshake and before any request byte), or by a CA bundle /
the system CAs, or, only when asked for, not at all. :func:`refusal` tells a refused
certificate (fatal: never wait for it) from a handshake that merely failed (server starting).
"""

from __future__ import annotations

import http.cookiejar
import ssl
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import DEFAULT_POOLBLOCK, HTTPAdapter
from urllib3.util.retry import Retry
from urllib3.util.ssl_match_hostname import CertificateError as HostnameMismatch

from portainer.certificates import display, presented_certificate, sha256_of

#: Statuses that mean "try again later" for an idempotent request.
RETRY_STATUSES = frozenset({500, 502, 503, 504})


@dataclass(frozen=True)
class ClientSettings:
    """Transport settings."""

    verify: bool | str = True
    """True (system CAs), a CA bundle path, or False (no verification at all)."""
    pinned_sha256: str | None = None
    """Accept exactly the server certificate with this SHA-256 (lower-case hex) and nothing
    else; replaces ``verify``."""
    untrusted_help: str = ""
    """What the operator can do when the server's certificate is refused (ends the error)."""
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 60.0
    retries: int = 3
    backoff_s: float = 0.5
    pool_size: int = 16


class _NoCookies(http.cookiejar.CookiePolicy):
    """Refuse to store or send any cookie (avoids Portainer's CSRF checks on cookie sessions)."""

    netscape = True
    rfc2965 = False
    hide_cookie2 = False

    def set_ok(self, cookie: http.cookiejar.Cookie, request: urllib.request.Request) -> bool:
        return False

    def return_ok(self, cookie: http.cookiejar.Cookie, request: urllib.request.Request) -> bool:
        return False

    def domain_return_ok(self, domain: str, request: urllib.request.Request) -> bool:
        return False

    def path_return_ok(self, path: str, request: urllib.request.Request) -> bool:
        return False


def no_cookies(session: requests.Session) -> None:
    """Make ``session`` refuse to store or send any cookie."""
    session.cookies.set_policy(_NoCookies())


def build_session(settings: ClientSettings) -> requests.Session:
    """A session with no cookie jar, TLS settings applied and ``Retry`` mounted."""
    session = requests.Session()
    no_cookies(session)
    session.trust_env = False  # no proxies or netrc credentials picked up behind our back
    session.verify = settings.verify
    retry = Retry(
        total=settings.retries,
        connect=settings.retries,
        read=settings.retries,
        status=settings.retries,
        other=0,
        redirect=0,
        allowed_methods=frozenset({"GET", "HEAD", "OPTIONS"}),
        status_forcelist=RETRY_STATUSES,
        backoff_factor=settings.backoff_s,
        backoff_max=max(settings.backoff_s * 8, 1.0),
        raise_on_status=False,
        raise_on_redirect=False,
        respect_retry_after_header=True,
    )
    adapter: HTTPAdapter
    if settings.pinned_sha256:
        # The pin replaces chain validation: urllib3 then checks the fingerprint instead.
        session.verify = False
        adapter = _PinnedAdapter(
            settings.pinned_sha256, max_retries=retry, pool_maxsize=settings.pool_size
        )
    else:
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=settings.pool_size)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = "phoenix-portainer/1"
    return session


class _PinnedAdapter(HTTPAdapter):
    """Every connection must present the certificate whose SHA-256 is ``sha256``."""

    def __init__(self, sha256: str, **kwargs: Any) -> None:
        self._sha256 = sha256  # before super().__init__, which builds the pool manager
        super().__init__(**kwargs)

    def init_poolmanager(
        self,
        connections: int,
        maxsize: int,
        block: bool = DEFAULT_POOLBLOCK,
        **pool_kwargs: Any,
    ) -> None:
        super().init_poolmanager(
            connections, maxsize, block, assert_fingerprint=self._sha256, **pool_kwargs
        )


def refusal(base_url: str, settings: ClientSettings, error: BaseException) -> str | None:
    """Why the server's certificate was refused, or None when ``error`` (a TLS failure) is
    something else: a handshake cut short while the server starts, say."""
    if settings.pinned_sha256:
        # Compare what is presented now instead of parsing urllib3's message.
        parts = urlsplit(base_url)
        der = presented_certificate(
            parts.hostname or "", parts.port or 443, settings.connect_timeout_s
        )
        if der is None or sha256_of(der) == settings.pinned_sha256:
            return None
        return (
            f"it presented the certificate {display(sha256_of(der))}, but "
            f"{display(settings.pinned_sha256)} is pinned for it"
        )
    if settings.verify is False:
        return None
    failure = _verification_failure(error)
    if failure is None:
        return None
    trusted_by = (
        f"the CA bundle {settings.verify}" if isinstance(settings.verify, str) else "the system CAs"
    )
    return f"its certificate is not trusted by {trusted_by} ({failure})"


def _verification_failure(error: BaseException) -> str | None:
    """The certificate-verification error somewhere in a requests/urllib3 error chain."""
    pending: list[object] = [error]
    seen: set[int] = set()
    while pending and len(seen) < 20:
        current = pending.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return current.verify_message or str(current)
        if isinstance(current, HostnameMismatch):
            return str(current)
        pending += [*current.args, getattr(current, "reason", None)]
        pending += [current.__cause__, current.__context__]
    return None
