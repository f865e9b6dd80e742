"""Value types shared by the config models, with the rules Proxmox and Portainer apply.

Every rule explains itself in words (never a regex) and shows the bad value; the JSON Schema
still carries the pattern, so editors flag the same mistakes while typing.
"""

from __future__ import annotations

from .constraints import Matches, Unique, UniqueEnums
from .identifiers import (
    VMID_MAX,
    VMID_MIN,
    BridgeName,
    DatastoreId,
    DnsDomain,
    EnvName,
    GpuName,
    GuestName,
    LinuxUser,
    NetworkName,
    NodeName,
    NvidiaDriverVersion,
    PciAddress,
    PciDeviceId,
    StackName,
    Tag,
    VmId,
    VmIdKey,
    normalize_stack_name,
)
from .network import (
    FirewallAction,
    FirewallAddress,
    ForwardPolicy,
    GuestIp,
    HostName,
    MacAddress,
    Port,
    PortList,
    StrictIPv4Address,
    StrictIPv4Network,
    VlanId,
    WebUrl,
)
from .text import AbsolutePath, MountPath, NumberAsText, SshPublicKey, Version

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
    "StrictIPv4Address",
    "StrictIPv4Network",
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
