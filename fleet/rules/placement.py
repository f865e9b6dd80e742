"""Rules on where guests are placed in a cluster: a VM's template on its node (or a clone across
nodes on purpose), and the bridges and datastores a guest uses existing on its node.

A node that does not declare `bridges` or `storage` is not checked for them: single-node
fleets and clusters described loosely stay valid.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import ConfigProblem
from ..fleet import Fleet
from ..guests import GuestBase, VmTemplate
from ..hints import listing
from ..proxmox import ProxmoxNode
from .context import CheckContext, guest_location, nic_guests
from .context import network_name as context_network


def placed_node(fleet: Fleet, ctx: CheckContext, guest: GuestBase | VmTemplate) -> str | None:
    """The guest's node when it is declared and valid; None when that is reported elsewhere
    (unknown node, or none given among several)."""
    if ctx.invalid.field("proxmox", "nodes"):
        return None
    nodes = fleet.proxmox.nodes
    if guest.node is None:
        declared = list(nodes) + ctx.invalid.invalid_key_names("proxmox", "nodes")
        return declared[0] if len(declared) == 1 and declared[0] in nodes else None
    return guest.node if guest.node in nodes else None


def templates_on_clone_nodes(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """A VM clones a template on its own node, unless it says it clones across nodes: Proxmox
    then clones on the template's node and migrates the copy, disks over the network."""
    templates = fleet.guests.templates
    for vmid, vm in sorted(fleet.guests.vms.items()):
        if vm.clone_across_nodes or vm.template not in templates:
            continue
        node = placed_node(fleet, ctx, vm)
        template_node = placed_node(fleet, ctx, templates[vm.template])
        if node is None or template_node is None or node == template_node:
            continue
        yield ConfigProblem(
            ctx.files.guests,
            f"vms.{vmid}.template",
            f"template {vm.template} is on node {template_node}, this VM on {node}; build a "
            f"template on {node} too (another VMID), or set clone_across_nodes: true",
        )


def node_bridges(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """A NIC plugs into a bridge its node has, when the node declares its bridges."""
    for guest, config in nic_guests(fleet):
        node_name = placed_node(fleet, ctx, config)
        node = fleet.proxmox.nodes.get(node_name) if node_name else None
        if node is None or node.bridges is None:
            continue
        nic = config.network
        if nic.bridge is not None:
            if nic.bridge not in node.bridges:
                yield ConfigProblem(
                    ctx.files.guests,
                    f"{guest_location(guest)}.network.bridge",
                    f"bridge {nic.bridge} is not declared on node {node_name} "
                    f"(bridges: {listing(node.bridges)})",
                )
            continue
        network_name = context_network(fleet, ctx, nic)
        network = fleet.proxmox.networks.get(network_name) if network_name else None
        if network is not None and network.bridge not in node.bridges:
            yield ConfigProblem(
                ctx.files.guests,
                f"{guest_location(guest)}.network",
                f"network {network_name} uses bridge {network.bridge}, which node {node_name} "
                f"does not declare (bridges: {listing(node.bridges)})",
            )
    for vmid, template in sorted(fleet.guests.templates.items()):
        node_name = placed_node(fleet, ctx, template)
        node = fleet.proxmox.nodes.get(node_name) if node_name else None
        bridges = node.bridges if node is not None else None
        if template.managed and bridges is not None and template.bridge not in bridges:
            yield ConfigProblem(
                ctx.files.guests,
                f"templates.{vmid}.bridge",
                f"bridge {template.bridge} is not declared on node {node_name} "
                f"(bridges: {listing(bridges)})",
            )


def _missing(fleet: Fleet, node: ProxmoxNode, datastore: str) -> bool:
    if node.storage is None:
        return False
    return datastore not in node.storage and datastore not in fleet.proxmox.shared_storage


def _which(fleet: Fleet, node_name: str, node: ProxmoxNode) -> str:
    return (
        f"(node {node_name} has {listing(node.storage or [])}; shared: "
        f"{listing(fleet.proxmox.shared_storage)})"
    )


def node_datastores(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """Every datastore a node's guests use exists on it, when the node declares its storage:
    the node's own `datastores` and each guest's explicit one."""
    for node_name, node in sorted(fleet.proxmox.nodes.items()):
        for role in ("disks", "snippets", "images"):
            datastore = getattr(node.datastores, role)
            if _missing(fleet, node, datastore):
                yield ConfigProblem(
                    ctx.files.proxmox,
                    f"nodes.{node_name}.datastores.{role}",
                    f"datastore {datastore} is not on node {node_name} "
                    f"{_which(fleet, node_name, node)}",
                )
    explicit: list[tuple[str, GuestBase | VmTemplate, str | None]] = [
        *(
            (f"templates.{vmid}.datastore", t, t.datastore)
            for vmid, t in fleet.guests.templates.items()
        ),
        *((f"vms.{vmid}.datastore", vm, vm.datastore) for vmid, vm in fleet.guests.vms.items()),
        *(
            (f"containers.{ctid}.rootfs.datastore", ct, ct.rootfs.datastore)
            for ctid, ct in fleet.guests.containers.items()
        ),
    ]
    for location, guest, datastore in explicit:
        placed = placed_node(fleet, ctx, guest)
        if datastore is None or placed is None:
            continue
        host = fleet.proxmox.nodes[placed]
        if _missing(fleet, host, datastore):
            yield ConfigProblem(
                ctx.files.guests,
                location,
                f"datastore {datastore} is not on node {placed} {_which(fleet, placed, host)}",
            )


__all__ = ["node_bridges", "node_datastores", "placed_node", "templates_on_clone_nodes"]
