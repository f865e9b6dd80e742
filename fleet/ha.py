"""High availability on a cluster: which nodes HA guests prefer (`proxmox.yaml` `ha:`) and a
guest's own HA settings (`guests.yaml` `ha:` on a VM or container)."""

# Pydantic copies mutable defaults for every instance, so `= {}` is safe here.
# ruff: noqa: RUF012

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictInt

from .base import ConfigModel
from .types import Matches, NodeName

HaGroupName = Annotated[
    str,
    Matches(
        r"[a-z][a-z0-9_-]{0,30}[a-z0-9]",
        "HA group name",
        "lower-case letters, digits, '_' and '-', starting with a letter and ending with a "
        "letter or digit, 2 to 32 characters",
    ),
]
Priority = Annotated[StrictInt, Field(ge=0, le=1000)]


class HaGroup(ConfigModel):
    """Nodes some HA guests prefer, with priorities: an HA group on Proxmox VE 8, a
    node-affinity HA rule on Proxmox VE 9."""

    nodes: dict[NodeName, Priority] = Field(min_length=1)
    """Member nodes and their priority, 0 to 1000: the HA manager runs a guest on the
    highest-priority node that is up, e.g. `{pve1: 2, pve2: 1}`."""
    restricted: StrictBool = False
    """Run members only on these nodes, even when none of them is up (a rule's `strict`).
    Default: false, any node may take over when no member node is up."""
    failback: StrictBool = True
    """Move a guest back to the highest-priority node when that node returns. Default: true."""
    comment: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    """Shown in the Proxmox UI. Default: no comment."""


class HaConfig(ConfigModel):
    """High availability on the cluster: the Proxmox VE version and the node preferences HA
    guests can name."""

    proxmox_version: Literal[8, 9] = 9
    """Major Proxmox VE version of the cluster: 8 keeps node preferences in HA groups, 9 in
    node-affinity HA rules (and failback on each guest). Default: 9."""
    groups: dict[HaGroupName, HaGroup] = {}
    """Node preferences by name; an HA guest names one in `ha.group`. Default: none, HA guests
    run on any node."""


class GuestHa(ConfigModel):
    """The guest is managed by the Proxmox HA manager: restarted, or started on another node
    when its node fails. Its disks must be on shared storage."""

    group: HaGroupName | None = None
    """Name of a group in `proxmox.yaml` `ha.groups` whose nodes the guest prefers. Default: no
    preference, any node of the cluster."""
    state: Literal["started", "stopped", "disabled", "ignored"] = "started"
    """What the HA manager keeps the guest in: `started`; `stopped` (relocated when its node
    fails, not started); `disabled` (stopped, never relocated); `ignored` (left alone, e.g.
    during maintenance). Default: started."""
    max_restart: Annotated[StrictInt, Field(ge=0, le=10)] | None = None
    """Restart attempts on its node before it is relocated. Default: Proxmox's, 1."""
    max_relocate: Annotated[StrictInt, Field(ge=0, le=10)] | None = None
    """Relocations to other nodes before the HA manager gives up. Default: Proxmox's, 1."""


__all__ = ["GuestHa", "HaConfig", "HaGroup", "HaGroupName"]
