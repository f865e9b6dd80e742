"""Rules on high availability: HA guests name declared groups of declared nodes, sit on a node
of their group, and keep everything they start from on storage every node reaches."""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import ConfigProblem
from ..fleet import Fleet, Guest
from ..guests import Container, Vm
from ..hints import did_you_mean, listing
from .context import CheckContext, guest_location
from .placement import placed_node


def _ha_guests(fleet: Fleet) -> Iterator[tuple[Guest, Vm | Container]]:
    for guest in fleet.all_guests():
        if isinstance(guest.config, (Vm, Container)) and guest.config.ha is not None:
            yield guest, guest.config


def _kind(config: Vm | Container) -> str:
    return "VM" if isinstance(config, Vm) else "container"


def ha_groups(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """HA groups list declared nodes; an HA guest names a declared group that has its node
    (the HA manager would otherwise move it off its node at once)."""
    ha = fleet.proxmox.ha
    groups = ha.groups if ha is not None else {}
    nodes = fleet.proxmox.nodes
    if not ctx.invalid.field("proxmox", "nodes"):
        for name, declared_group in sorted(groups.items()):
            for member in declared_group.nodes:
                if member not in nodes and not ctx.invalid.entry("proxmox", "nodes", member):
                    yield ConfigProblem(
                        ctx.files.proxmox,
                        f"ha.groups.{name}.nodes.{member}",
                        f"unknown node {member!r}{did_you_mean(member, nodes)} "
                        f"({ctx.files.proxmox} declares {listing(nodes)})",
                    )
    if ctx.invalid.field("proxmox", "ha"):
        return
    for guest, config in _ha_guests(fleet):
        assert config.ha is not None
        group_name = config.ha.group
        if group_name is None:
            continue
        location = f"{guest_location(guest)}.ha.group"
        group = groups.get(group_name)
        if group is None:
            declared = f"groups: {listing(sorted(groups))}" if groups else "no HA groups"
            yield ConfigProblem(
                ctx.files.guests,
                location,
                f"HA group {group_name!r} is not declared{did_you_mean(group_name, groups)} "
                f"({ctx.files.proxmox} declares {declared})",
            )
            continue
        node = placed_node(fleet, ctx, config)
        if node is not None and node not in group.nodes:
            yield ConfigProblem(
                ctx.files.guests,
                location,
                f"node {node} is not in HA group {group_name!r} ({listing(sorted(group.nodes))}): "
                f"the HA manager would move the {_kind(config)} off its node at once; add "
                f"{node} to the group or place the {_kind(config)} on one of its nodes",
            )


def ha_on_shared_storage(fleet: Fleet, ctx: CheckContext) -> Iterator[ConfigProblem]:
    """An HA guest restarts on another node from its disks, and a VM from its cloud-init
    snippet: both must be on storage every node reaches, not on its node's local storage."""
    shared = set(fleet.proxmox.shared_storage)
    for guest, config in _ha_guests(fleet):
        node_name = placed_node(fleet, ctx, config)
        if node_name is None:
            continue
        node = fleet.proxmox.nodes[node_name]
        if isinstance(config, Vm):
            used = [
                ("its disks are", config.datastore or node.datastores.disks),
                ("its cloud-init snippet", node.datastores.snippets),
            ]
        else:
            used = [("its root disk is", config.rootfs.datastore or node.datastores.disks)]
        local = [(what, datastore) for what, datastore in used if datastore not in shared]
        if not local:
            continue
        if len(local) == 1:  # "its cloud-init snippet is on local", never "... snippet on"
            local = [(local[0][0].replace("snippet", "snippet is"), local[0][1])]
        where = " and ".join(f"{what} on {datastore}" for what, datastore in local)
        yield ConfigProblem(
            ctx.files.guests,
            f"{guest_location(guest)}.ha",
            f"the HA manager could not start the {_kind(config)} on another node: {where}, "
            f"storage only node {node_name} has; use datastores in shared_storage "
            f"({ctx.files.proxmox}: {listing(sorted(shared))})",
        )


__all__ = ["ha_groups", "ha_on_shared_storage"]
