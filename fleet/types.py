"""Value types shared by the config models, with the rules Proxmox and Portainer apply.

Every rule explains itself in words (never a regex) and shows the bad value; the JSON Schema
still carries the pattern, so editors flag the same mistakes while typing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    HttpUrl,
    PlainSerializer,
    PlainValidator,
    StrictInt,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from .documents import kind_of
from .hints import lookalike_note, shown


@dataclass(frozen=True)
class Matches:
    """Annotation: the string must match `pattern`; a mismatch names the kind of value and the
    rule instead of the regex. The JSON Schema gets the same pattern."""

    pattern: str
    what: str
    rule: str

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        compiled = re.compile(self.pattern, re.ASCII)  # \d is 0-9, never other digits

        def check(value: str) -> str:
            if not compiled.fullmatch(value):
                raise ValueError(
                    f"{shown(value)} is not a valid {self.what}: {self.rule}{lookalike_note(value)}"
                )
            return value

        return core_schema.no_info_after_validator_function(check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["pattern"] = f"^(?:{self.pattern})$"
        return json_schema


@dataclass(frozen=True)
class Unique:
    """Annotation: a list without repeated items, compared by `key` and named `what` in the
    message (`uniqueItems` in the JSON Schema)."""

    key: Callable[[Any], Any] = str
    what: str = ""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        def check(items: list[Any]) -> list[Any]:
            seen: set[Any] = set()
            for item in items:
                key = self.key(item)
                if key in seen:
                    what = f"{self.what} " if self.what else ""
                    raise ValueError(f"{what}{shown(key)} is listed twice")
                seen.add(key)
            return items

        return core_schema.no_info_after_validator_function(check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["uniqueItems"] = True
        return json_schema


def _enum_value(item: Any) -> Any:
    return item.value if isinstance(item, Enum) else item


UniqueEnums = Unique(key=_enum_value)


# Proxmox accepts VMIDs 100..999999999; below 100 is reserved.
VMID_MIN = 100
VMID_MAX = 999_999_999


def _vmid(value: object) -> int:
    """A VMID value: a whole number in range (JSON Schema: integer)."""
    return _vmid_number(value, value)


def _vmid_key(value: object) -> int:
    """A VMID as a mapping key: YAML reads `1002:` as a number, JSON keys are always text."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 9:
        return _vmid_number(int(value), value)
    return _vmid_number(value, value)


def _vmid_number(number: object, value: object) -> int:
    if (
        isinstance(number, bool)
        or not isinstance(number, int)
        or not (VMID_MIN <= number <= VMID_MAX)
    ):
        note = lookalike_note(value) if isinstance(value, str) else ""
        raise ValueError(
            f"a VMID is a whole number from {VMID_MIN} to {VMID_MAX} (got {shown(value)}){note}"
        )
    return number


VmId = Annotated[
    int,
    PlainValidator(_vmid),
    WithJsonSchema({"type": "integer", "minimum": VMID_MIN, "maximum": VMID_MAX}),
]
"""A Proxmox VMID (VMs, containers and templates share the space)."""

VmIdKey = Annotated[
    int,
    PlainValidator(_vmid_key),
    # YAML and JSON keys are text to an editor; the digits pattern bounds 100..999999999.
    WithJsonSchema({"type": "string", "pattern": "^[1-9][0-9]{2,8}$"}),
]
"""A VMID used as a mapping key (`vms: {1002: ...}`)."""

GuestName = Annotated[
    str,
    Matches(
        r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?",
        "guest name",
        "a DNS label of lower-case letters, digits and '-', at most 63 characters",
    ),
]

NodeName = Annotated[
    str,
    Matches(
        r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?",
        "Proxmox node name",
        "a host name of letters, digits and '-'",
    ),
]

NetworkName = Annotated[
    str,
    Matches(
        r"[a-z][a-z0-9_-]{0,31}",
        "network name",
        "lower-case letters, digits, '_' and '-', starting with a letter",
    ),
]

StackName = Annotated[
    str,
    # Validation is the fleet check that explains Portainer's normalization; editors get the
    # pattern of names Portainer keeps as written.
    WithJsonSchema({"type": "string", "pattern": "^[-_a-z0-9]+$"}),
]

GpuName = Annotated[
    str,
    Matches(
        r"[a-z][a-z0-9_-]{1,31}",
        "GPU name",
        "2 to 32 lower-case letters, digits, '_' and '-', starting with a letter (Proxmox names "
        "the cluster's PCI mapping after it)",
    ),
]


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


PciAddress = Annotated[
    str,
    BeforeValidator(_lower),
    Matches(
        r"[a-f0-9]{4}:[a-f0-9]{2}:[a-f0-9]{2}\.[a-f0-9]",
        "PCI address",
        "domain:bus:device.function as `lspci -D` prints it, like 0000:01:00.0",
    ),
]

PciDeviceId = Annotated[
    str,
    BeforeValidator(_lower),
    Matches(
        r"[a-f0-9]{4}:[a-f0-9]{4}",
        "PCI device id",
        "vendor:device in hexadecimal as `lspci -n` prints it, like 10de:2684",
    ),
]

NvidiaDriverVersion = Annotated[
    str,
    Matches(
        r"[0-9]{3,4}\.[0-9]{1,3}(\.[0-9]{1,3})?",
        "NVIDIA driver version",
        "the full version `nvidia-smi` reports, like 550.127.05",
    ),
]

DatastoreId = Annotated[
    str,
    Matches(
        r"[A-Za-z][A-Za-z0-9\-_.]*",
        "Proxmox storage id",
        "a letter, then letters, digits, '-', '_' or '.'",
    ),
]

BridgeName = Annotated[
    str,
    Matches(
        r"[A-Za-z][A-Za-z0-9_.-]{0,14}",
        "bridge name",
        "a Linux bridge like vmbr0 (at most 15 characters)",
    ),
]

EnvName = Annotated[
    str,
    Matches(
        r"[A-Za-z_][A-Za-z0-9_]*",
        "environment variable name",
        "letters, digits and '_', not starting with a digit",
    ),
]

Tag = Annotated[
    str,
    Matches(
        r"[a-z0-9_][a-z0-9_.+-]*",
        "Proxmox tag",
        "lower-case letters, digits, '_', '.', '+' and '-'",
    ),
]

LinuxUser = Annotated[
    str,
    Matches(
        r"[a-z_][a-z0-9_-]{0,31}",
        "Linux user name",
        "lower-case letters, digits, '_' and '-', at most 32 characters",
    ),
]

DnsDomain = Annotated[
    str,
    Matches(
        r"([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z]([a-z0-9-]{0,61}[a-z0-9])?",
        "DNS domain",
        "dot-separated lower-case labels such as phoenix.local",
    ),
]

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


def _number_as_text(value: object) -> object:
    return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


NumberAsText = BeforeValidator(_number_as_text)
"""YAML reads `version: 2.44` or `tag: 1` as numbers; keep them as the text written."""


Port = Annotated[StrictInt, Field(ge=1, le=65535)]

VlanId = Annotated[StrictInt, Field(ge=1, le=4094)]

Version = Annotated[
    str,
    NumberAsText,
    Matches(r"\d+\.\d+\.\d+", "version", "pin an exact version like 2.33.6 (never 'latest')"),
]


def _absolute_path(value: str) -> str:
    if not value.startswith("/"):
        raise ValueError(f"{shown(value)} must be an absolute path")
    if any(part == ".." for part in value.split("/")):
        raise ValueError(f"{shown(value)} must not contain '..'")
    return value.rstrip("/") or "/"


def _not_root(value: str) -> str:
    if value == "/":
        raise ValueError("'/' would hide the whole file system; mount into a directory")
    return value


AbsolutePath = Annotated[
    str,
    PlainValidator(lambda value: _absolute_path(_text(value))),
    WithJsonSchema({"type": "string", "pattern": "^/"}),
]

MountPath = Annotated[
    str,
    PlainValidator(lambda value: _not_root(_absolute_path(_text(value)))),
    WithJsonSchema({"type": "string", "pattern": "^/.+"}),
]
"""An absolute directory a mount appears at; never `/` itself."""


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"should be text (got {kind_of(value)})")
    return value.strip()


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

_SSH_KEY = re.compile(r"(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp\d+|sk-\S+) [A-Za-z0-9+/=]+( .*)?")


def _ssh_public_key(value: object) -> str:
    text = _text(value)
    if "PRIVATE KEY" in text:
        raise ValueError("this is a private key; list public keys only (the .pub file)")
    if not _SSH_KEY.fullmatch(text):
        raise ValueError(
            f"{shown(text)} is not an OpenSSH public key (expected 'ssh-ed25519 AAAA... comment')"
        )
    return text


SshPublicKey = Annotated[
    str,
    PlainValidator(_ssh_public_key),
    WithJsonSchema({"type": "string", "pattern": "^(ssh-|ecdsa-|sk-)"}),
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
    "VMID_MAX",
    "VMID_MIN",
    "AbsolutePath",
    "BridgeName",
    "DatastoreId",
    "DnsDomain",
    "EnvName",
    "FirewallAction",
    "FirewallAddress",
    "ForwardPolicy",
    "GpuName",
    "GuestIp",
    "GuestName",
    "HostName",
    "LinuxUser",
    "MacAddress",
    "Matches",
    "MountPath",
    "NetworkName",
    "NodeName",
    "NumberAsText",
    "NvidiaDriverVersion",
    "PciAddress",
    "PciDeviceId",
    "Port",
    "PortList",
    "SshPublicKey",
    "StackName",
    "Tag",
    "Unique",
    "UniqueEnums",
    "Version",
    "VlanId",
    "VmId",
    "VmIdKey",
    "WebUrl",
    "normalize_stack_name",
]
