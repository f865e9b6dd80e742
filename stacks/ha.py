"""High availability of a fleet's guests: HA entries, and the HA groups (Proxmox VE 8) or
node-affinity rules (9) whose nodes they prefer."""

from __future__ import annotations

from constructs import Construct

from constructs_lib import (
    HaGroup,
    HaGroupProps,
    HaResource,
    HaResourceProps,
    PhoenixContainer,
    PhoenixVm,
)
from fleet import Fleet
from fleet.guests import Container, Vm
from fleet.ha import HaConfig

from .addresses import ha_group_id, ha_resource_id


def high_availability(
    scope: Construct,
    fleet: Fleet,
    vms: dict[int, PhoenixVm],
    containers: dict[int, PhoenixContainer],
) -> dict[int, HaResource]:
    """Add the fleet's HA constructs to `scope` (the infra stack); the HA entries by VMID.

    On Proxmox VE 8 every declared group exists and HA entries name theirs; on 9 a group
    becomes a rule over the entries naming it (a rule without members cannot exist), and
    failback is set on each entry from its group.
    """
    ha = fleet.proxmox.ha or HaConfig()
    version = ha.proxmox_version
    groups: dict[str, HaGroup] = {}
    if version == 8:
        for name, group in sorted(ha.groups.items()):
            groups[name] = HaGroup(
                scope,
                ha_group_id(name),
                HaGroupProps(
                    name=name,
                    nodes=group.nodes,
                    proxmox_version=8,
                    restricted=group.restricted,
                    failback=group.failback,
                    comment=group.comment,
                ),
            )
    guests: list[tuple[int, Vm | Container, PhoenixVm | PhoenixContainer]] = [
        *((vmid, vm, vms[vmid]) for vmid, vm in fleet.guests.vms.items()),
        *((ctid, ct, containers[ctid]) for ctid, ct in fleet.guests.containers.items()),
    ]
    entries: dict[int, HaResource] = {}
    members: dict[str, list[HaResource]] = {}
    for vmid, config, construct in sorted(guests, key=lambda guest: guest[0]):
        settings = config.ha
        if settings is None:
            continue
        preference = ha.groups.get(settings.group) if settings.group else None
        entries[vmid] = HaResource(
            scope,
            ha_resource_id(vmid),
            HaResourceProps(
                guest=construct,
                state=settings.state,
                group=groups.get(settings.group) if settings.group and version == 8 else None,
                failback=preference.failback if preference is not None and version == 9 else None,
                max_restart=settings.max_restart,
                max_relocate=settings.max_relocate,
            ),
        )
        if settings.group is not None:
            members.setdefault(settings.group, []).append(entries[vmid])
    if version == 9:
        for name, group in sorted(ha.groups.items()):
            if not members.get(name):
                continue
            HaGroup(
                scope,
                ha_group_id(name),
                HaGroupProps(
                    name=name,
                    nodes=group.nodes,
                    proxmox_version=9,
                    restricted=group.restricted,
                    members=members[name],
                    comment=group.comment,
                ),
            )
    return entries


__all__ = ["high_availability"]
