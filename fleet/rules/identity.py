"""Rules on names and numbers that must be unique: VMIDs, guest names, nodes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from ..errors import ConfigProblem
from ..fleet import Fleet
from ..hints import did_you_mean, listing
from .context import CheckContext, guest_location


def unique_vmids(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """VMs, containers and templates share one VMID space on a Proxmox cluster."""
    owners: dict[int, list[str]] = defaultdict(list)
    for section in ("templates", "vms", "containers"):
        declared = list(getattr(fleet.guests, section)) + ctx.invalid.entry_keys("guests", section)
        for vmid in declared:
            owners[vmid].append(section)
    for vmid, sections in sorted(owners.items()):
        for section in sections[1:]:
            yield ConfigProblem(
                ctx.files.guests,
                f"{section}.{vmid}",
                f"VMID {vmid} is already used by {sections[0]}.{vmid} "
                "(templates, VMs and containers share one VMID space)",
            )


def unique_names(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """Guest names become host names and Portainer environment names."""
    named: list[tuple[int, str, str]] = [
        (guest.vmid, guest_location(guest), guest.name) for guest in fleet.all_guests()
    ]
    for section, key, raw in ctx.invalid.guest_entries():
        written = raw.get("name") if isinstance(raw, dict) else None
        if isinstance(key, int) and isinstance(written, str):
            named.append((key, f"{section}.{key}", written.strip()))
    seen: dict[str, str] = {}
    for _, location, name in sorted(named):
        if name in seen:
            yield ConfigProblem(
                ctx.files.guests,
                f"{location}.name",
                f"name {name!r} is already used by {seen[name]}",
            )
        else:
            seen[name] = location


def known_nodes(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """Every guest lives on a declared node; with several nodes it must say which."""
    if ctx.invalid.field("proxmox", "nodes"):
        return
    nodes = fleet.proxmox.nodes
    declared = list(nodes) + ctx.invalid.invalid_key_names("proxmox", "nodes")
    for guest in fleet.all_guests():
        location = f"{guest_location(guest)}.node"
        node = guest.config.node
        if node is None and len(declared) > 1:
            yield ConfigProblem(
                ctx.files.guests,
                location,
                f"required: {ctx.files.proxmox} declares several nodes ({listing(declared)})",
            )
        elif (
            node is not None
            and node not in nodes
            and not ctx.invalid.entry("proxmox", "nodes", node)
        ):
            yield ConfigProblem(
                ctx.files.guests,
                location,
                f"unknown node {node!r}{did_you_mean(node, nodes)} "
                f"({ctx.files.proxmox} declares {listing(nodes)})",
            )


def unique_node_addresses(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """Two nodes cannot share the address Terraform's SSH connects to."""
    seen: dict[str, str] = {}
    for name, node in fleet.proxmox.nodes.items():
        if node.address in seen:
            yield ConfigProblem(
                ctx.files.proxmox,
                f"nodes.{name}.address",
                f"{node.address} is already the address of node {seen[node.address]}",
            )
        seen.setdefault(node.address, name)


def renumbering(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """`renumbered_from` names a VMID the guest leaves: not its own, not another guest's, and
    not claimed twice."""
    declared = {guest.vmid: guest_location(guest) for guest in fleet.all_guests()}
    claimed: dict[int, str] = {}
    for guest in fleet.all_guests():
        previous = getattr(guest.config, "renumbered_from", None)
        if previous is None:
            continue
        location = f"{guest_location(guest)}.renumbered_from"
        if previous == guest.vmid:
            yield ConfigProblem(ctx.files.guests, location, f"{previous} is this guest's own VMID")
        elif previous in declared:
            yield ConfigProblem(
                ctx.files.guests,
                location,
                f"VMID {previous} is still {declared[previous]}; a renumbered guest leaves its "
                "old VMID free",
            )
        elif previous in claimed:
            yield ConfigProblem(
                ctx.files.guests, location, f"{claimed[previous]} is renumbered from {previous} too"
            )
        claimed.setdefault(previous, guest_location(guest))
