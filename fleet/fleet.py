"""The validated fleet: every config file plus the compose files, with lookups stacks need."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from ipaddress import IPv4Address

from .compose import ComposeFile
from .gateway import GatewayConfig
from .guests import Container, GuestBase, GuestsConfig, Vm, VmFeature, VmTemplate
from .portainer import PortainerConfig
from .proxmox import Network, ProxmoxConfig, ProxmoxNode
from .stacks import StacksConfig
from .state import StateConfig


class GuestKind(str, Enum):
    """How Proxmox runs a guest."""

    VM = "vm"
    CONTAINER = "container"
    TEMPLATE = "template"


@dataclass(frozen=True)
class Guest:
    """Any guest with its VMID and kind, for fleet-wide questions (names, addresses, ports)."""

    vmid: int
    kind: GuestKind
    config: GuestBase | VmTemplate

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def address(self) -> IPv4Address | None:
        """Static IPv4 address, or None for DHCP guests and templates."""
        if isinstance(self.config, (Vm, Container)):
            return self.config.network.address
        return None


@dataclass(frozen=True)
class Fleet:
    """Everything Phoenix deploys, loaded from one config directory and already validated."""

    proxmox: ProxmoxConfig
    guests: GuestsConfig
    stacks: StacksConfig = field(default_factory=StacksConfig)
    portainer: PortainerConfig | None = None
    gateway: GatewayConfig | None = None
    compose: dict[str, ComposeFile] = field(default_factory=dict)
    """Compose files by stack name."""
    state: StateConfig = field(default_factory=StateConfig)
    """Where Terraform keeps each stack's state (`state.yaml`; default: local files)."""

    def all_guests(self) -> Iterator[Guest]:
        """Templates, VMs and containers, ordered by VMID."""
        guests = [
            *(Guest(vmid, GuestKind.TEMPLATE, t) for vmid, t in self.guests.templates.items()),
            *(Guest(vmid, GuestKind.VM, vm) for vmid, vm in self.guests.vms.items()),
            *(Guest(vmid, GuestKind.CONTAINER, ct) for vmid, ct in self.guests.containers.items()),
        ]
        return iter(sorted(guests, key=lambda guest: guest.vmid))

    def guest_named(self, name: str) -> Guest | None:
        """The guest with this name, if any."""
        return next((guest for guest in self.all_guests() if guest.name == name), None)

    def node_name(self, guest: GuestBase | VmTemplate) -> str:
        """The guest's node: its own setting, else the only node declared."""
        return guest.node or next(iter(self.proxmox.nodes))

    def node(self, guest: GuestBase | VmTemplate) -> ProxmoxNode:
        return self.proxmox.nodes[self.node_name(guest)]

    def network(self, guest: Vm | Container) -> Network:
        """The network the guest's NIC joins: its own setting, else the only network declared."""
        return self.proxmox.networks[guest.network.network or next(iter(self.proxmox.networks))]

    def vms_with(self, feature: VmFeature) -> list[tuple[int, Vm]]:
        """VMs that have a feature, ordered by VMID."""
        return sorted(
            ((vmid, vm) for vmid, vm in self.guests.vms.items() if feature in vm.features),
            key=lambda item: item[0],
        )

    def roles(self, guest: Guest) -> list[str]:
        """What the guest does, in the user's words (inventory output)."""
        roles: list[str] = []
        if isinstance(guest.config, Vm):
            roles.extend(feature.value for feature in guest.config.features)
        if self.gateway is not None and self.gateway.guest == guest.name:
            roles.append("gateway")
        return roles

    def declared_ports(self, guest: Guest) -> set[int]:
        """TCP ports a route may target: published by its stacks, opened by its roles, or listed
        in the guest's `ports`."""
        ports: set[int] = set()
        config = guest.config
        if isinstance(config, GuestBase):
            ports.update(config.ports)
        if isinstance(config, Vm):
            for stack in config.stacks:
                if stack in self.compose:
                    ports.update(self.compose[stack].published_ports)
            if self.portainer is not None:
                if VmFeature.PORTAINER_SERVER in config.features:
                    ports.add(self.portainer.https_port)
                if VmFeature.PORTAINER_AGENT in config.features:
                    ports.add(self.portainer.agent_port)
        return ports
