"""Value types shared by the config models, with the rules Proxmox and Portainer apply."""

from __future__ import annotations

import re
from enum import Enum
from ipaddress import IPv4Interface
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, PlainSerializer, PlainValidator, WithJsonSchema


def _matching(pattern: str, rule: str) -> AfterValidator:
    """A validator that explains the rule in words instead of showing the regex."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"{value!r} is not valid: {rule}")
        return value

    return AfterValidator(check)


# Proxmox accepts VMIDs 100..999999999; below 100 is reserved.
VmId = Annotated[int, Field(ge=100, le=999_999_999)]

GuestName = Annotated[
    str,
    _matching(
        r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?",
        "a guest name is a DNS label: lower-case letters, digits and '-', at most 63 characters",
    ),
]

NodeName = Annotated[
    str,
    _matching(
        r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?",
        "a Proxmox node name is a host name: letters, digits and '-'",
    ),
]

DatastoreId = Annotated[
    str,
    _matching(
        r"[A-Za-z][A-Za-z0-9\-_.]*",
        "a Proxmox storage id starts with a letter, then letters, digits, '-', '_' or '.'",
    ),
]

BridgeName = Annotated[
    str,
    _matching(r"[A-Za-z][A-Za-z0-9_.-]{0,14}", "a Linux bridge name like vmbr0 (at most 15 characters)"),
]

EnvName = Annotated[
    str,
    _matching(
        r"[A-Za-z_][A-Za-z0-9_]*",
        "an environment variable name: letters, digits and '_', not starting with a digit",
    ),
]

Tag = Annotated[
    str,
    _matching(r"[a-z0-9][a-z0-9_.+-]*", "a Proxmox tag: lower-case letters, digits, '_', '.', '+', '-'"),
]

LinuxUser = Annotated[
    str,
    _matching(r"[a-z_][a-z0-9_-]{0,31}", "a Linux user name: lower-case letters, digits, '_', '-'"),
]

Port = Annotated[int, Field(ge=1, le=65535)]

VlanId = Annotated[int, Field(ge=1, le=4094)]

Version = Annotated[
    str,
    _matching(r"\d+\.\d+\.\d+", "pin an exact version like 2.33.6 (never 'latest')"),
]


def _absolute_path(value: str) -> str:
    if not value.startswith("/"):
        raise ValueError(f"{value!r} must be an absolute path")
    if any(part == ".." for part in value.split("/")):
        raise ValueError(f"{value!r} must not contain '..'")
    return value.rstrip("/") or "/"


AbsolutePath = Annotated[str, AfterValidator(_absolute_path)]

_MAC = re.compile(r"([0-9A-F]{2}:){5}[0-9A-F]{2}")


def _mac(value: str) -> str:
    upper = value.upper()
    if not _MAC.fullmatch(upper):
        raise ValueError(f"{value!r} is not a MAC address like BC:24:11:00:00:01")
    if int(upper[:2], 16) & 1:
        raise ValueError(f"{value} is a multicast address; a guest needs a unicast MAC")
    return upper


MacAddress = Annotated[str, AfterValidator(_mac)]

_SSH_KEY = re.compile(r"(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp\d+|sk-\S+) [A-Za-z0-9+/=]+( .*)?")


def _ssh_public_key(value: str) -> str:
    if "PRIVATE KEY" in value:
        raise ValueError("this is a private key; list public keys only (the .pub file)")
    if not _SSH_KEY.fullmatch(value):
        raise ValueError("not an OpenSSH public key (expected 'ssh-ed25519 AAAA... comment')")
    return value


SshPublicKey = Annotated[str, AfterValidator(_ssh_public_key)]


def _guest_ip(value: object) -> IPv4Interface | Literal["dhcp"]:
    if isinstance(value, IPv4Interface) or value == "dhcp":
        return value  # type: ignore[return-value]
    if isinstance(value, str) and "/" in value:
        try:
            return IPv4Interface(value)
        except ValueError:
            pass
    raise ValueError(
        f"{value!r} is not an IPv4 address with prefix length (like 10.0.0.102/24) or 'dhcp'"
    )


GuestIp = Annotated[
    IPv4Interface | Literal["dhcp"],
    PlainValidator(_guest_ip),
    PlainSerializer(str),
    WithJsonSchema({"type": "string", "pattern": r"^(dhcp|(\d{1,3}\.){3}\d{1,3}/\d{1,2})$"}),
]


def normalize_stack_name(name: str) -> str:
    """The name Portainer stores a stack under: lower case, only ``[-_a-z0-9]`` kept."""
    return re.sub(r"[^-_a-z0-9]", "", name.lower())


class FirewallAction(str, Enum):
    """What the Proxmox firewall does with a packet (a rule's action or a default policy)."""

    ACCEPT = "ACCEPT"
    REJECT = "REJECT"
    DROP = "DROP"


class ForwardPolicy(str, Enum):
    """Proxmox's cluster forward policy accepts only these two."""

    ACCEPT = "ACCEPT"
    DROP = "DROP"


__all__ = [
    "AbsolutePath",
    "BridgeName",
    "DatastoreId",
    "EnvName",
    "FirewallAction",
    "ForwardPolicy",
    "GuestIp",
    "GuestName",
    "LinuxUser",
    "MacAddress",
    "NodeName",
    "Port",
    "SshPublicKey",
    "Tag",
    "Version",
    "VlanId",
    "VmId",
    "normalize_stack_name",
]
