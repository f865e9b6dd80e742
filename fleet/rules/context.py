"""What every fleet rule sees: the file names for messages, what was already reported as
invalid, and small lookups over the fleet's guests."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from ..errors import ConfigProblem
from ..fleet import Fleet, Guest, GuestKind
from ..guests import Container, GuestNetwork, Vm
from ..invalid import InvalidParts


@dataclass(frozen=True)
class ConfigFiles:
    """Display paths of the config files, for messages."""

    proxmox: str
    guests: str
    stacks: str
    portainer: str
    gateway: str
    state: str


@dataclass(frozen=True)
class CheckContext:
    """What rules need besides the fleet: file names and what was already found invalid."""

    files: ConfigFiles
    invalid: InvalidParts = field(default_factory=InvalidParts)
    positions: Mapping[tuple[str, str], Sequence[int]] = field(default_factory=dict)
    """(file, list field) -> original index of each item that validated."""

    def position(self, section: str, name: str, index: int) -> int:
        """The index an item had in the file, before invalid items were dropped."""
        positions = self.positions.get((section, name))
        return positions[index] if positions is not None else index


Rule = Callable[[Fleet, CheckContext], Iterable[ConfigProblem]]


_SECTION = {GuestKind.VM: "vms", GuestKind.CONTAINER: "containers", GuestKind.TEMPLATE: "templates"}


def guest_location(guest: Guest) -> str:
    return f"{_SECTION[guest.kind]}.{guest.vmid}"


def nic_guests(fleet: Fleet) -> Iterator[tuple[Guest, Vm | Container]]:
    for guest in fleet.all_guests():
        if isinstance(guest.config, (Vm, Container)):
            yield guest, guest.config


def network_name(fleet: Fleet, ctx: CheckContext, nic: GuestNetwork) -> str | None:
    """The network a NIC joins when that is known for sure, else None (reported elsewhere)."""
    if ctx.invalid.field("proxmox", "networks"):
        return None
    if nic.network is not None:
        return nic.network if nic.network in fleet.proxmox.networks else None
    declared = list(fleet.proxmox.networks) + ctx.invalid.invalid_key_names("proxmox", "networks")
    return declared[0] if len(declared) == 1 and declared[0] in fleet.proxmox.networks else None
