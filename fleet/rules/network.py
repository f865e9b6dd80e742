"""Rules on addresses: static IPs inside their network and unique, gateways, MACs."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from ipaddress import IPv4Address

from ..errors import ConfigProblem
from ..fleet import Fleet
from ..hints import did_you_mean, listing
from ..proxmox import Network
from .context import CheckContext, guest_location, network_name, nic_guests


def unique_addresses(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """A static address is unique on its network; a MAC is unique everywhere."""
    ips: dict[tuple[str | None, IPv4Address], str] = {}
    macs: dict[str, str] = {}
    for guest, config in nic_guests(fleet):
        location = guest_location(guest)
        nic = config.network
        if nic.address is not None:
            key = (network_name(fleet, ctx, nic), nic.address)
            if key in ips:
                yield ConfigProblem(
                    ctx.files.guests,
                    f"{location}.network.ip",
                    f"address {nic.address} is already used by {ips[key]}",
                )
            else:
                ips[key] = location
        if nic.mac is not None:
            if nic.mac in macs:
                yield ConfigProblem(
                    ctx.files.guests,
                    f"{location}.network.mac",
                    f"MAC {nic.mac} is already used by {macs[nic.mac]}",
                )
            else:
                macs[nic.mac] = location


def _infrastructure_addresses(fleet: Fleet) -> dict[IPv4Address, str]:
    """Addresses that belong to the cluster itself, by what holds them."""
    taken: dict[IPv4Address, str] = {}
    for name, node in fleet.proxmox.nodes.items():
        with contextlib.suppress(ValueError):  # a DNS name is nobody's guest address
            taken[IPv4Address(node.address)] = f"the address of node {name}"
    if fleet.proxmox.nfs is not None:
        taken.setdefault(fleet.proxmox.nfs.address, "the NFS server's address")
    return taken


def addresses_inside_networks(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """Each NIC joins a declared network; static addresses and gateways fit inside it."""
    if ctx.invalid.field("proxmox", "networks"):
        return
    networks = fleet.proxmox.networks
    declared = list(networks) + ctx.invalid.invalid_key_names("proxmox", "networks")
    taken = _infrastructure_addresses(fleet)
    for guest, config in nic_guests(fleet):
        location = f"{guest_location(guest)}.network"
        nic = config.network
        if nic.network is None and len(declared) > 1:
            yield ConfigProblem(
                ctx.files.guests,
                f"{location}.network",
                f"required: {ctx.files.proxmox} declares several networks ({listing(declared)})",
            )
            continue
        if nic.network is not None and nic.network not in networks:
            if not ctx.invalid.entry("proxmox", "networks", nic.network):
                yield ConfigProblem(
                    ctx.files.guests,
                    f"{location}.network",
                    f"unknown network {nic.network!r}{did_you_mean(nic.network, networks)} "
                    f"({ctx.files.proxmox} declares {listing(networks)})",
                )
            continue
        if not networks:
            continue  # the only network is invalid, and reported
        network = fleet.network(config)
        if nic.ip == "dhcp":
            if nic.gateway is not None:
                yield ConfigProblem(
                    ctx.files.guests, f"{location}.gateway", "a gateway needs a static ip, not dhcp"
                )
            continue
        cidr = network.cidr
        address = nic.ip.ip
        if address not in cidr:
            yield ConfigProblem(
                ctx.files.guests, f"{location}.ip", f"{nic.ip} is outside network {cidr}"
            )
        elif nic.ip.network.prefixlen != cidr.prefixlen:
            yield ConfigProblem(
                ctx.files.guests,
                f"{location}.ip",
                f"{nic.ip} has prefix /{nic.ip.network.prefixlen}, "
                f"network {cidr} has /{cidr.prefixlen}",
            )
        elif address in (cidr.network_address, cidr.broadcast_address):
            yield ConfigProblem(
                ctx.files.guests,
                f"{location}.ip",
                f"{address} is the network or broadcast address of {cidr}",
            )
        gateway = nic.gateway or network.gateway
        if nic.gateway is not None and nic.gateway not in cidr:
            yield ConfigProblem(
                ctx.files.guests,
                f"{location}.gateway",
                f"gateway {nic.gateway} is outside network {cidr}",
            )
        elif nic.gateway in (cidr.network_address, cidr.broadcast_address) and cidr.prefixlen < 31:
            yield ConfigProblem(
                ctx.files.guests,
                f"{location}.gateway",
                f"gateway {nic.gateway} is the network or broadcast address of {cidr}",
            )
        if gateway is not None and gateway == address:
            yield ConfigProblem(
                ctx.files.guests, f"{location}.ip", f"{address} is the gateway of network {cidr}"
            )
        elif address in taken:
            yield ConfigProblem(
                ctx.files.guests, f"{location}.ip", f"{address} is {taken[address]}"
            )


def networks_apart(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """Two networks on one bridge and VLAN are one layer-2 segment: their subnets must not
    overlap, or the same address would mean two different guests."""
    seen: list[tuple[str, Network]] = []
    for name, network in fleet.proxmox.networks.items():
        for other_name, other in seen:
            same_segment = (other.bridge, other.vlan) == (network.bridge, network.vlan)
            if same_segment and network.cidr.overlaps(other.cidr):
                vlan = f" VLAN {network.vlan}" if network.vlan is not None else ""
                yield ConfigProblem(
                    ctx.files.proxmox,
                    f"networks.{name}.cidr",
                    f"{network.cidr} overlaps network {other_name} ({other.cidr}) on the same "
                    f"bridge {network.bridge}{vlan}",
                )
        seen.append((name, network))


def misaddressed(fleet: Fleet, ctx: CheckContext) -> set[str]:
    """Locations (`containers.101`) of guests whose address the rules above report: checks
    built on a guest's address stay quiet about those, one error per root cause."""
    problems = [*unique_addresses(fleet, ctx), *addresses_inside_networks(fleet, ctx)]
    return {".".join(problem.location.split(".")[:2]) for problem in problems}
