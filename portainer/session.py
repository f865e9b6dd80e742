"""The one ``requests.Session`` a client uses: no cookie jar, urllib3 ``Retry``, TLS settings.

Rules (see shared/reference/portainer-api.md §3, §9): no cookie jar, because Portainer >= 2.20
sets a JWT cookie and then enforces CSRF on cookie sessions; retries only for idempotent
methods and for connections that never reached the server.
"""

from __future__ import annotations

import http.cookiejar
import urllib.request
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

#: Statuses that mean "try again later" for an idempotent request.
RETRY_STATUSES = frozenset({500, 502, 503, 504})


@dataclass(frozen=True)
class ClientSettings:
    """Transport settings. ``verify`` is True, False (insecure) or a CA bundle path."""

    verify: bool | str = True
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


def build_session(settings: ClientSettings) -> requests.Session:
    """A session with no cookie jar, TLS settings applied and ``Retry`` mounted."""
    session = requests.Session()
    session.cookies.set_policy(_NoCookies())
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
    adapter = HTTPAdapter(max_retries=retry, pool_maxsize=settings.pool_size)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = "phoenix-portainer/1"
    return session
