"""Network values: hosts and URLs, ports, MAC and guest addresses, firewall addresses and
policies."""

from __future__ import annotations

import re
from enum import Enum
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    HttpUrl,
    PlainSerializer,
    PlainValidator,
    StrictInt,
    WithJsonSchema,
)

from ..hints import shown
from .text import _text

HOST_PATTERN = (
    r"((\d{1,3}\.){3}\d{1,3}|([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*"
    r"[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)"
)


def _no_credentials(url: HttpUrl) -> HttpUrl:
    if url.username or url.password:
        raise ValueError(
            "must not contain a user name or password (user:password@host): credentials "
            "come from the environment, never from a config"
        )
    return url


WebUrl = Annotated[HttpUrl, AfterValidator(_no_credentials)]
"""An http(s) URL without credentials in it."""

_DOTTED_QUAD = re.compile(r"\d+\.\d+\.\d+\.\d+", re.ASCII)
_DNS_NAME = re.compile(
    r"([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?",
    re.ASCII,
)


def _host(value: object) -> str:
    text = _text(value)
    if _DOTTED_QUAD.fullmatch(text):
        try:
            return str(IPv4Address(text))
        except ValueError:
            raise ValueError(f"{shown(text)} is not an IPv4 address (each part is 0-255)") from None
    if len(text) > 253 or not _DNS_NAME.fullmatch(text):
        raise ValueError(f"{shown(text)} is not a valid host: an IPv4 address or a DNS name")
    return text


HostName = Annotated[
    str,
    PlainValidator(_host),
    WithJsonSchema({"type": "string", "pattern": f"^(?:{HOST_PATTERN})$"}),
]
"""An IPv4 address or a DNS name."""


def _address_as_text(value: object) -> object:
    # Left to pydantic, `address: 167772161` (or `true`) would quietly become 10.0.0.1 (0.0.0.1):
    # addresses are written as text, as the JSON Schema says.
    if isinstance(value, (IPv4Address, IPv4Network, str)):
        return value
    raise ValueError("should be text like 10.0.0.1 or 10.0.0.0/24")


StrictIPv4Address = Annotated[IPv4Address, BeforeValidator(_address_as_text)]
"""An IPv4 address written as text (`10.0.0.1`); a number is an error, not an address."""

StrictIPv4Network = Annotated[IPv4Network, BeforeValidator(_address_as_text)]
"""An IPv4 network written as text (`10.0.0.0/24`); a number is an error, not a network."""

Port = Annotated[StrictInt, Field(ge=1, le=65535)]

VlanId = Annotated[StrictInt, Field(ge=1, le=4094)]

_MAC = re.compile(r"([0-9A-F]{2}:){5}[0-9A-F]{2}")


def _mac(value: object) -> str:
    upper = _text(value).upper()
    if not _MAC.fullmatch(upper):
        raise ValueError(f"{shown(value)} is not a MAC address like BC:24:11:00:00:01")
    if int(upper[:2], 16) & 1:
        raise ValueError(f"{upper} is a multicast address; a guest needs a unicast MAC")
    if upper == "00:00:00:00:00:00":
        raise ValueError("00:00:00:00:00:00 is not a usable MAC; leave mac out to get one")
    return upper


MacAddress = Annotated[
    str,
    PlainValidator(_mac),
    WithJsonSchema({"type": "string", "pattern": "^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$"}),
]


def _guest_ip(value: object) -> IPv4Interface | Literal["dhcp"]:
    if isinstance(value, IPv4Interface) or value == "dhcp":
        return value
    if isinstance(value, str) and "/" in value:
        try:
            return IPv4Interface(value)
        except ValueError:
            pass
    raise ValueError(
        f"{shown(value)} is not an IPv4 address with prefix length (like 10.0.0.102/24) or 'dhcp'"
    )


GuestIp = Annotated[
    IPv4Interface | Literal["dhcp"],
    PlainValidator(_guest_ip),
    PlainSerializer(str),
    WithJsonSchema({"type": "string", "pattern": r"^(dhcp|(\d{1,3}\.){3}\d{1,3}/\d{1,2})$"}),
]

_PORT_ITEM = re.compile(r"(\d{1,5})(?::(\d{1,5}))?", re.ASCII)


def _port_list(value: object) -> str:
    """Proxmox firewall port syntax: `6333`, `8000:8100`, `80,443`, each port 1..65535."""
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else _text(value)
    problem = f"{shown(text)} is not a port list like 6333, 8000:8100 or 80,443 (ports 1-65535)"
    for item in text.split(","):
        match = _PORT_ITEM.fullmatch(item.strip())
        if match is None:
            raise ValueError(problem)
        low = int(match.group(1))
        high = int(match.group(2) or low)
        if not (1 <= low <= high <= 65535):
            raise ValueError(problem)
    return text.replace(" ", "")


PortList = Annotated[
    str,
    PlainValidator(_port_list),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 1, "maximum": 65535},
                {"type": "string", "pattern": r"^\d+(:\d+)?(,\d+(:\d+)?)*$"},
            ]
        }
    ),
]
"""Firewall ports; a bare number is accepted and kept as text."""

_ALIAS = re.compile(r"((dc|guest)/)?[A-Za-z][A-Za-z0-9_-]*")
_IPSET = re.compile(r"\+((dc|guest)/)?[A-Za-z][A-Za-z0-9_-]*")


def _firewall_address(value: object) -> str:
    """Proxmox firewall source/dest: addresses, CIDRs, ranges, aliases or `+ipset`, comma
    separated."""
    text = _text(value)
    for item in text.split(","):
        item = item.strip()
        if _IPSET.fullmatch(item) or _ALIAS.fullmatch(item):
            continue
        try:
            if "-" in item:
                first, last = (IPv4Address(part) for part in item.split("-", 1))
                if first > last:
                    raise ValueError(item)
            else:
                IPv4Network(item, strict=False)
        except ValueError:
            raise ValueError(
                f"{shown(item)} is not an IPv4 address, CIDR, range (a-b), alias or +ipset"
            ) from None
    return text


FirewallAddress = Annotated[
    str,
    PlainValidator(_firewall_address),
    WithJsonSchema({"type": "string", "minLength": 1}),
]


class FirewallAction(str, Enum):
    """What the Proxmox firewall does with a packet (a rule's action or a default policy)."""

    ACCEPT = "ACCEPT"
    REJECT = "REJECT"
    DROP = "DROP"


class ForwardPolicy(str, Enum):
    """Proxmox's cluster forward policy accepts only these two."""

    ACCEPT = "ACCEPT"
    DROP = "DROP"
