"""Word rules for the strings that end up in the Nginx config: paths, host names, addresses.

Each check returns ``None`` when the value is fine, or a sentence that shows the bad value and
states the rule, so a caller can collect every problem before raising. The rules are strict on
purpose: a value that passes needs no quoting in an Nginx config, so nothing a route declares
can inject a directive.
"""

from __future__ import annotations

import re
from ipaddress import AddressValueError, IPv4Address

# One path segment: RFC 3986 unreserved characters only (no %-escapes, no ';', '{', spaces).
_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_DOTTED_NUMBERS = re.compile(r"[0-9.]+")

MAX_NAME_LENGTH = 80
"""Longest route name accepted (it appears in comments of the generated file); room for
`<63-character guest name>:<port>`, the names the infra stack gives routes."""


def path_problem(path: str) -> str | None:
    """Check a route path: a URL prefix that starts and ends with ``/``, like ``/qdrant/``."""
    rule = "a URL prefix that starts and ends with '/', like /qdrant/"
    if not path.startswith("/") or not path.endswith("/"):
        return f"path {path!r} is not valid: it must be {rule}"
    segments = path[1:-1].split("/") if path != "/" else []
    for segment in segments:
        if not segment:
            return f"path {path!r} is not valid: it contains '//' (an empty segment)"
        if segment in {".", ".."}:
            return (
                f"path {path!r} is not valid: it contains a {segment!r} segment, which Nginx "
                "removes before matching, so the route could never match as written"
            )
        if not _SEGMENT.fullmatch(segment):
            return (
                f"path {path!r} is not valid: segment {segment!r} may only contain letters, "
                "digits and . _ ~ -"
            )
    return None


def host_problem(host: str, *, what: str = "host") -> str | None:
    """Check a virtual host name: fully qualified and lower case, like
    ``portainer.phoenix.local``."""
    rule = "a fully qualified lower-case name like portainer.phoenix.local"
    if host != host.lower():
        return f"{what} {host!r} is not valid: write it in lower case ({host.lower()!r})"
    if _DOTTED_NUMBERS.fullmatch(host):
        return (
            f"{what} {host!r} is not valid: it must be a DNS name, not an IP address "
            "(requests addressed by IP go to the default server)"
        )
    labels = host.split(".")
    if len(labels) < 2 or not _is_dns_name(host) or not labels[-1][0].isalpha():
        return f"{what} {host!r} is not valid: it must be {rule}"
    return None


def address_problem(address: str) -> str | None:
    """Check an upstream address: an IPv4 address, or a lower-case host name that the
    container can resolve (Nginx resolves it once, when it loads the config)."""
    if _DOTTED_NUMBERS.fullmatch(address):
        try:
            IPv4Address(address)
        except AddressValueError:
            return f"upstream address {address!r} is not a valid IPv4 address"
        return None
    if not _is_dns_name(address):
        return (
            f"upstream address {address!r} is not valid: it must be an IPv4 address like "
            "10.0.0.102 or a lower-case host name (no scheme, port or path)"
        )
    return None


def ipv4_problem(address: str, *, what: str) -> str | None:
    """Check a plain IPv4 address such as a listen address."""
    try:
        IPv4Address(address)
    except AddressValueError:
        return f"{what} {address!r} is not a valid IPv4 address"
    return None


def port_problem(port: object, *, what: str) -> str | None:
    """Check a TCP port number (an ``int`` from 1 to 65535; ``bool`` is refused)."""
    if not isinstance(port, int) or isinstance(port, bool):
        return f"{what} {port!r} is not valid: it must be an integer from 1 to 65535"
    if not 1 <= port <= 65535:
        return f"{what} {port} is out of range: it must be from 1 to 65535"
    return None


def name_problem(name: str) -> str | None:
    """Check a route name: printable ASCII on one line, at most ``MAX_NAME_LENGTH`` long."""
    if not name.strip():
        return "route name must not be empty (leave it out to use the host and path)"
    if len(name) > MAX_NAME_LENGTH:
        return f"route name {name!r} is longer than {MAX_NAME_LENGTH} characters"
    if not all(" " <= ch <= "~" for ch in name):
        return f"route name {name!r} may only contain printable ASCII characters on one line"
    return None


def _is_dns_name(name: str) -> bool:
    return len(name) <= 253 and all(_LABEL.fullmatch(label) for label in name.split("."))
