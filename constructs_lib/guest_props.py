"""Props every guest kind shares: its NIC, IPv4 setup, DNS, boot ordering, and what a changed
bootstrap does to it."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum


class BootstrapChange(str, Enum):
    """What a changed bootstrap (a VM's cloud-init snippet or template, a container's root keys)
    does to a guest that already exists."""

    KEEP = "keep"
    """Keep the guest running as is (Terraform ignores the change); new guests and
    `terraform apply -replace=...` use the new bootstrap. cloud-init would not re-run on an
    existing VM anyway (its instance id does not change), nor does Proxmox install keys into
    an existing container."""
    REPLACE = "replace"
    """Destroy and create the guest again so the new bootstrap applies. Local disk data is
    lost; keep state on NFS volumes or bind mounts."""


@dataclass(frozen=True, kw_only=True)
class NicProps:
    """The guest's network interface."""

    bridge: str = "vmbr0"
    """Linux bridge on the node. Default: `vmbr0`."""
    vlan_id: int | None = None
    """802.1Q tag. Default: untagged."""
    mac_address: str | None = None
    """Fixed MAC. Default: Proxmox assigns one."""
    firewall: bool = False
    """Let the Proxmox firewall filter this NIC (needed for guest firewall rules to apply).
    Default: false."""


@dataclass(frozen=True, kw_only=True)
class Ipv4Props:
    """IPv4 configuration applied by cloud-init (VMs) or by Proxmox (containers)."""

    address: str
    """`dhcp`, or a static address with prefix length such as `10.0.0.102/24`."""
    gateway: str | None = None
    """Default gateway for a static address. Default: none."""

    def problems(self) -> list[tuple[bool, str]]:
        """Rules for the validation table of the construct using these props."""
        static = self.address != "dhcp"
        return [
            (
                static and not _is_interface(self.address),
                f"ipv4 address {self.address!r} is not 'dhcp' or an address/prefix",
            ),
            (not static and self.gateway is not None, "a gateway needs a static ipv4 address"),
            (
                self.gateway is not None and not _is_address(self.gateway),
                f"gateway {self.gateway!r} is not an IPv4 address",
            ),
        ]


@dataclass(frozen=True, kw_only=True)
class DnsProps:
    """Resolver settings handed to the guest."""

    servers: Sequence[str] = ()
    """Name servers. Default: none (the image's own)."""
    domain: str | None = None
    """Search domain. Default: none."""


@dataclass(frozen=True, kw_only=True)
class StartupProps:
    """Boot ordering when the node starts."""

    order: int | None = None
    """Lower starts first. Default: unordered."""
    up_delay_seconds: int | None = None
    """Pause after starting this guest. Default: none."""
    down_delay_seconds: int | None = None
    """Pause after stopping this guest. Default: none."""


def _is_interface(text: str) -> bool:
    try:
        ipaddress.IPv4Interface(text)
    except ValueError:
        return False
    return "/" in text


def _is_address(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True
