"""proxmox_virtual_environment_vm (SDKv2): the behaviour of proxmoxtf/resource/vm/vm.go `VM()`
(CustomizeDiff, Create, Read); its defaults and ForceNew set are in vm_defaults.py, its
validators in vm_validators.py."""

from __future__ import annotations

import copy
import ipaddress
from typing import Any

from ..planner import get_path
from ..rules import Objects, Path, ProviderError, ResourceRules, State
from .common import (
    at,
    guest_key,
    parse_node_slash_id,
    stable_mac,
)
from .vm_defaults import DEFAULTS, FORCE_NEW
from .vm_validators import VALIDATORS


def check_config(config: State) -> list[ProviderError]:
    """RequiredWith: hugepages and NUMA nodes need `cpu.numa` (vm.go, memory and numa)."""
    numa = get_path(config, "cpu.numa")
    errors = []
    for path in ("memory.hugepages", "memory.keep_hugepages"):
        block, attribute = path.split(".")
        if get_path(config, path) not in (None, "", False) and numa in (None, False):
            errors.append(
                ProviderError(
                    f'"{block}.0.{attribute}": all of `cpu.0.numa,{block}.0.{attribute}` '
                    "must be specified",
                    path=at(("attr", block), ("index", 0), ("attr", attribute)),
                )
            )
    return errors


def replace_when(prior: State, planned: State) -> list[Path]:
    """VM() CustomizeDiff: ForceNewIf on vm_id and node_name, TPM version, EFI disk type."""
    paths: list[Path] = []
    vm_id = planned.get("vm_id")
    if isinstance(vm_id, int) and vm_id != -1 and str(vm_id) != str(prior.get("id")):
        paths.append(at(("attr", "vm_id")))
    if planned.get("node_name") != prior.get("node_name") and not planned.get("migrate"):
        paths.append(at(("attr", "node_name")))
    for block, attribute in (("tpm_state", "version"), ("efi_disk", "type")):
        before, after = prior.get(block) or [], planned.get(block) or []
        if before and after:
            old, new = before[0].get(attribute), after[0].get(attribute)
            if old and new and old != new:
                paths.append(at(("attr", block), ("index", 0), ("attr", attribute)))
    return paths


def recompute_when(prior: State, planned: State) -> list[str]:
    """network.CustomizeDiff: the agent-reported addresses are read again after a change of
    power state or NICs."""
    if prior.get("started") != planned.get("started") or prior.get("network_device") != planned.get(
        "network_device"
    ):
        return ["ipv4_addresses", "ipv6_addresses", "network_interface_names"]
    return []


def on_create(planned: State, objects: Objects) -> None:
    """Proxmox refuses a VMID that a VM or container already holds (check_vmid_unused)."""
    key = guest_key(planned.get("vm_id"))
    if key is not None and key in objects:
        kind = "VM" if objects[key]["type"].endswith("_vm") else "CT"
        raise ProviderError(
            "error creating VM: received an HTTP 500 response - Reason: "
            f"{kind} {planned['vm_id']} already exists on node "
            f"'{objects[key]['state'].get('node_name')}'"
        )


def fill_computed(planned: State) -> State:
    """What Create and the Read after it leave in state (vmCreate*, vmReadCustom)."""
    state = copy.deepcopy(planned)
    vm_id = state.get("vm_id")
    if not isinstance(vm_id, int) or vm_id == -1:
        vm_id = 100  # cluster nextid on an empty cluster
        state["vm_id"] = vm_id
    state["id"] = str(vm_id)
    if isinstance(state.get("tags"), list):
        state["tags"] = sorted(state["tags"])  # Read sorts what Proxmox stores
    nics = [dict(nic) for nic in state.get("network_device") or [] if isinstance(nic, dict)]
    for index, nic in enumerate(nics):
        if not isinstance(nic.get("mac_address"), str) or not nic["mac_address"]:
            nic["mac_address"] = stable_mac(vm_id, index)
    if isinstance(state.get("network_device"), list):
        state["network_device"] = nics
    for disk in state.get("disk") or []:
        if isinstance(disk, dict):
            disk["path_in_datastore"] = f"vm-{vm_id}-disk-{disk.get('interface', 'scsi0')[-1]}"
            disk["file_format"] = disk.get("file_format") or "raw"
    running = bool(state.get("started")) and not state.get("template")
    agent = bool(get_path(state, "agent.enabled"))
    if running and agent:
        addresses = [_guest_address(state, vm_id)]
        state["ipv4_addresses"] = [["127.0.0.1"], addresses]
        state["ipv6_addresses"] = [["::1"], []]
        state["network_interface_names"] = ["lo", "eth0"]
        state["mac_addresses"] = ["00:00:00:00:00:00"] + [nic["mac_address"] for nic in nics]
    else:
        state["ipv4_addresses"] = []
        state["ipv6_addresses"] = []
        state["network_interface_names"] = []
        state["mac_addresses"] = [nic["mac_address"] for nic in nics]
    return state


def _guest_address(state: State, vm_id: int) -> str:
    """The first NIC's IPv4 as the guest agent would report it (no prefix length)."""
    address = get_path(state, "initialization.ip_config.ipv4.address")
    if isinstance(address, str) and "/" in address:
        return str(ipaddress.ip_interface(address).ip)
    return f"198.51.100.{vm_id % 254 + 1}"  # "dhcp": a documentation address, never contacted


def _trim(value: Any) -> Any:
    return value.strip().replace("\r\n", "\n") if isinstance(value, str) and value else value


RULES = ResourceRules(
    type_name="proxmox_virtual_environment_vm",
    source="proxmoxtf/resource/vm/vm.go",
    defaults=DEFAULTS,
    force_new=FORCE_NEW,
    nested_computed=frozenset({"network_device.mac_address"}),
    state_funcs={"description": _trim},
    validators=VALIDATORS,
    check_config=check_config,
    replace_when=replace_when,
    recompute_when=recompute_when,
    fill_computed=fill_computed,
    world_key=lambda state: guest_key(state.get("vm_id")),
    parse_import_id=parse_node_slash_id,
    # vmReadCustom never sets these: state-only or create-only (bpg issue #1988 for clone).
    not_read_back=("clone", "agent.wait_for_ip", "disk.file_id", "disk.import_from"),
    on_create=on_create,
)
