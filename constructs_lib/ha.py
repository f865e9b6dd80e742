"""High availability on a Proxmox VE cluster: a guest managed by the HA manager, and the nodes
it prefers.

Proxmox VE 8 keeps node preferences in HA groups (`proxmox_hagroup`, the resource names its
group); Proxmox VE 9 replaced groups with node-affinity rules (`proxmox_harule`, the rule names
its resources) and moved failback onto each resource. `HaGroup` is one such preference in
either form, so a fleet says "prefer these nodes" once and states its Proxmox version.

The provider's short names (`proxmox_haresource`, ...) are used: v0.111.1 deprecates the
`proxmox_virtual_environment_ha*` names (ADR-007) and will remove them in v1.0.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from constructs import Construct

from cdk import TerraformResourceLifecycle
from imports.proxmox.hagroup import Hagroup
from imports.proxmox.haresource import Haresource
from imports.proxmox.harule import Harule

from .container import PhoenixContainer
from .terraform_json import terraform_json_rules
from .validation import check
from .vm import PhoenixVm

HaState = Literal["started", "stopped", "disabled", "ignored"]
ProxmoxVersion = Literal[8, 9]

# The provider's rule for group and rule names (fwprovider/cluster/ha/resource_hagroup.go).
_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9\-_.]*[a-zA-Z0-9]")


@dataclass(frozen=True, kw_only=True)
class HaResourceProps:
    """Props of HaResource."""

    guest: PhoenixVm | PhoenixContainer
    """The VM or container the HA manager takes over."""
    state: HaState = "started"
    """What the HA manager keeps the guest in: `started`, `stopped` (relocated on node failure,
    not started), `disabled` (stopped, never relocated) or `ignored` (left alone). Default:
    started."""
    group: HaGroup | None = None
    """Proxmox VE 8: the HA group whose nodes it prefers. Default: any node of the cluster."""
    failback: bool | None = None
    """Proxmox VE 9: move back to the most preferred node when it returns. Default: the
    cluster's default (on)."""
    max_restart: int | None = None
    """Restart attempts on its node before relocating. Default: Proxmox's (1)."""
    max_relocate: int | None = None
    """Relocations to other nodes before giving up. Default: Proxmox's (1)."""
    comment: str | None = None
    """Shown in the Proxmox UI. Default: no comment."""


class HaResource(Construct):
    """The HA manager's entry for one guest (`vm:<vmid>` or `ct:<vmid>`), created once the guest
    exists and removed before it is destroyed.

    Terraform address: `proxmox_haresource.<id>`.
    """

    def __init__(self, scope: Construct, id_: str, props: HaResourceProps) -> None:
        super().__init__(scope, id_)
        terraform_json_rules(scope)
        guest = props.guest
        kind = "vm" if isinstance(guest, PhoenixVm) else "ct"
        vmid = guest.props.vm_id
        check(
            f"ha resource {kind}:{vmid}",
            [
                *(
                    (value is not None and not 0 <= value <= 10, f"{name} {value} is not 0..10")
                    for name, value in (
                        ("max_restart", props.max_restart),
                        ("max_relocate", props.max_relocate),
                    )
                ),
                (
                    props.group is not None and props.group.props.proxmox_version != 8,
                    "a group is named by the resource on Proxmox VE 8 only; on 9 the group's "
                    "rule lists its members",
                ),
                (
                    props.failback is not None
                    and props.group is not None
                    and props.group.props.proxmox_version == 8,
                    "failback on a resource needs Proxmox VE 9 (on 8 it is the group's)",
                ),
            ],
        )
        self.props = props
        resource = guest.vm if isinstance(guest, PhoenixVm) else guest.container
        address = guest.terraform_address
        self.resource_id = f"{kind}:{vmid}"
        self.resource = Haresource(
            self,
            "resource",
            resource_id=self.resource_id,
            state=props.state,
            group=props.group.name_reference if props.group is not None else None,
            failback=props.failback,
            max_restart=props.max_restart,
            max_relocate=props.max_relocate,
            comment=props.comment,
            # Proxmox refuses an HA entry for a guest that does not exist yet,
            depends_on=[resource],
            # and purges it with the guest: a rebuilt guest gets its entry again (its id is
            # unknown only while it is being replaced; a migration keeps it).
            lifecycle=TerraformResourceLifecycle(replace_triggered_by=[f"{address}.id"]),
        )
        self.resource.override_logical_id(id_)


@dataclass(frozen=True, kw_only=True)
class HaGroupProps:
    """Props of HaGroup."""

    name: str
    """Group (Proxmox VE 8) or rule (9) id: a letter, then letters, digits, '-', '_' or '.'."""
    nodes: Mapping[str, int]
    """Member nodes with their priority (0..1000); the HA manager prefers the highest."""
    proxmox_version: ProxmoxVersion = 9
    """8: an HA group; 9: a node-affinity HA rule. Default: 9."""
    restricted: bool = False
    """Never run members elsewhere, even when no listed node is up (a rule's `strict`).
    Default: false."""
    failback: bool = True
    """Proxmox VE 8: members move back to the highest-priority node when it returns (on 9
    failback is each resource's). Default: true."""
    members: Sequence[HaResource] = ()
    """Proxmox VE 9: the HA resources the rule keeps on these nodes (a rule needs one at
    least). Default: none."""
    comment: str | None = None
    """Shown in the Proxmox UI. Default: no comment."""


class HaGroup(Construct):
    """Nodes some HA guests prefer: `proxmox_hagroup.<id>` on Proxmox VE 8,
    `proxmox_harule.<id>` (type node-affinity) on 9."""

    def __init__(self, scope: Construct, id_: str, props: HaGroupProps) -> None:
        super().__init__(scope, id_)
        terraform_json_rules(scope)
        version = props.proxmox_version
        check(
            f"ha group {props.name}",
            [
                (not _NAME.fullmatch(props.name), f"name {props.name!r} is not a valid HA id"),
                (not props.nodes, "nodes must name at least one node"),
                *(
                    (not 0 <= priority <= 1000, f"node {node}: priority {priority} is not 0..1000")
                    for node, priority in props.nodes.items()
                ),
                (version == 8 and bool(props.members), "members are listed on Proxmox VE 9 only"),
                (version == 9 and not props.members, "a Proxmox VE 9 rule needs members"),
            ],
        )
        self.props = props
        nodes = dict(sorted(props.nodes.items()))
        self.group: Hagroup | None = None
        self.rule: Harule | None = None
        if version == 8:
            self.group = Hagroup(
                self,
                "resource",
                group=props.name,
                nodes=nodes,
                restricted=props.restricted,
                no_failback=not props.failback,
                comment=props.comment,
            )
            self.group.override_logical_id(id_)
        else:
            self.rule = Harule(
                self,
                "resource",
                rule=props.name,
                type="node-affinity",
                # References: the rule is created after its members, as Proxmox requires.
                resources=[member.resource.resource_id for member in props.members],
                nodes=nodes,
                strict=props.restricted,
                comment=props.comment,
            )
            self.rule.override_logical_id(id_)

    @property
    def name_reference(self) -> str:
        """The Proxmox VE 8 group's name as a reference: a resource naming it is created after
        the group (and removed before it)."""
        if self.group is None:
            raise ValueError(f"ha group {self.props.name}: only Proxmox VE 8 has HA groups")
        return self.group.group
