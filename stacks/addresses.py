"""The Terraform addresses of a fleet's guests: derived from VMIDs, and part of the contract.

Construct ids become addresses in state (`proxmox_virtual_environment_vm.vm_1002`); changing
one destroys and recreates what it names. They are spelled here, once, so the stacks and the
`moved` blocks of a renumbered guest always agree.
"""

from __future__ import annotations

from fleet import Fleet

VM = "proxmox_virtual_environment_vm"
CONTAINER = "proxmox_virtual_environment_container"
FILE = "proxmox_virtual_environment_file"
DOWNLOAD = "proxmox_download_file"
FIREWALL_OPTIONS = "proxmox_virtual_environment_firewall_options"
FIREWALL_RULES = "proxmox_virtual_environment_firewall_rules"


def template_id(vmid: int) -> str:
    return f"template_{vmid}"


def vm_id(vmid: int) -> str:
    return f"vm_{vmid}"


def snippet_id(vmid: int) -> str:
    return f"user_data_{vmid}"


def container_id(ctid: int) -> str:
    return f"ct_{ctid}"


def container_template_id(ctid: int) -> str:
    """PhoenixContainer names its template download `<container id>_template`."""
    return f"{container_id(ctid)}_template"


def firewall_id(vmid: int) -> str:
    return f"firewall_{vmid}"


def gpu_mapping_id(name: str) -> str:
    """The cluster PCI mapping of the GPUs named `name` (one per name, across nodes)."""
    return f"gpu_{name}"


def gpu_setup_id(ctid: int) -> str:
    """The step installing a GPU container's NVIDIA user-space libraries."""
    return f"gpu_setup_{ctid}"


def ha_resource_id(vmid: int) -> str:
    """A guest's HA entry. Renumbered guests get no `moved` block for it: the provider would
    update the entry of the old VMID in place (its `resource_id` is not RequiresReplace)."""
    return f"ha_{vmid}"


def ha_group_id(name: str) -> str:
    """An HA group (Proxmox VE 8) or node-affinity rule (9), by its name in proxmox.yaml."""
    return f"ha_group_{name}"


def renumbering_moves(fleet: Fleet) -> list[dict[str, str]]:
    """`moved` blocks from each renumbered guest's old addresses to its new ones.

    Terraform then plans one replacement per guest, the old guest destroyed before the new one
    is created (a replacement's default order), instead of a second guest with the same name
    and address next to the first.
    """
    moves: list[tuple[str, str, str]] = []
    for vmid, vm in sorted(fleet.guests.vms.items()):
        old = vm.renumbered_from
        if old is None:
            continue
        moves += [(VM, vm_id(old), vm_id(vmid)), (FILE, snippet_id(old), snippet_id(vmid))]
        moves += _firewall_moves(old, vmid, vm.firewall is not None, _has_rules(vm))
    for ctid, container in sorted(fleet.guests.containers.items()):
        old = container.renumbered_from
        if old is None:
            continue
        moves.append((CONTAINER, container_id(old), container_id(ctid)))
        if container.os_template.url is not None:
            moves.append((DOWNLOAD, container_template_id(old), container_template_id(ctid)))
        moves += _firewall_moves(old, ctid, container.firewall is not None, _has_rules(container))
    return [{"from": f"{kind}.{old}", "to": f"{kind}.{new}"} for kind, old, new in moves]


def _has_rules(guest: object) -> bool:
    firewall = getattr(guest, "firewall", None)
    return firewall is not None and bool(firewall.rules)


def _firewall_moves(
    old: int, new: int, has_firewall: bool, has_rules: bool
) -> list[tuple[str, str, str]]:
    moves = []
    if has_firewall:
        moves.append((FIREWALL_OPTIONS, firewall_id(old), firewall_id(new)))
    if has_rules:
        moves.append((FIREWALL_RULES, firewall_id(old), firewall_id(new)))
    return moves
