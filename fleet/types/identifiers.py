"""Names and identifiers in configs: VMIDs, guest/node/network/stack names, PCI ids,
datastores, bridges, variables, tags, users and domains."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import (
    BeforeValidator,
    PlainValidator,
    WithJsonSchema,
)

from ..hints import lookalike_note, shown
from .constraints import Matches

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


def normalize_stack_name(name: str) -> str:
    """The name Portainer stores a stack under: lower case, only ``[-_a-z0-9]`` kept."""
    return re.sub(r"[^-_a-z0-9]", "", name.lower())
