"""proxmox_virtual_environment_container (SDKv2): proxmoxtf/resource/container/container.go
`Container()`, container/validators.go."""

from __future__ import annotations

import copy
import ipaddress
import re
from typing import Any

from ..planner import get_path
from ..rules import Objects, Path, ProviderError, ResourceRules, State
from ..validators import (
    Validator,
    custom,
    float_between,
    int_at_least,
    int_between,
    matches,
    one_of,
)
from .common import (
    FILE_ID,
    HOSTNAME,
    IP_ADDRESS,
    MAC_ADDRESS,
    NOT_EMPTY,
    VM_ID,
    at,
    guest_key,
    parse_node_slash_id,
    stable_mac,
)

# validators/file.go FileSize: "" or a size such as 100, 1M, 8G.
FILE_SIZE: Validator = custom(
    lambda v: (
        v == ""
        or re.match(r"(?i)^(\d+(\.\d+)?)(k|kb|kib|m|mb|mib|g|gb|gib|t|tb|tib)?$", v) is not None
    ),
    "expected {key} to be a valid file size (100, 1M, 1G), got {value}",
)

DEFAULTS: dict[str, Any] = {
    "description": "",  # container.go mkDescription (missing from the reconstruction)
    "clone.datastore_id": "",
    "clone.full": True,
    "clone.node_name": "",
    "console.enabled": True,
    "console.tty_count": 2,
    "console.type": "tty",
    "cpu.architecture": "amd64",
    "cpu.cores": 1,
    "cpu.limit": 0,
    "device_passthrough.deny_write": False,
    "device_passthrough.mode": "0660",
    "disk.acl": False,
    "disk.datastore_id": "local",
    "disk.quota": False,
    "disk.replicate": False,
    "disk.size": 4,
    "features.fuse": False,
    "features.keyctl": False,
    "features.mknod": False,
    "features.nesting": False,
    "hook_script_file_id": "",
    "initialization.dns.domain": "",
    "initialization.dns.server": "",
    "initialization.entrypoint": "",
    "initialization.hostname": "",
    "initialization.ip_config.ipv4.address": "",
    "initialization.ip_config.ipv4.gateway": "",
    "initialization.ip_config.ipv6.address": "",
    "initialization.ip_config.ipv6.gateway": "",
    "initialization.user_account.password": "",
    "memory.dedicated": 512,
    "memory.swap": 0,
    "mount_point.acl": False,
    "mount_point.backup": False,
    "mount_point.quota": False,
    "mount_point.read_only": False,
    "mount_point.replicate": True,
    "mount_point.shared": False,
    "mount_point.size": "",
    "network_interface.bridge": "vmbr0",
    "network_interface.enabled": True,
    "network_interface.firewall": False,
    "network_interface.host_managed": False,
    "network_interface.mtu": 0,
    "network_interface.rate_limit": 0,
    "network_interface.vlan_id": 0,
    "operating_system.type": "unmanaged",
    "pool_id": "",
    "protection": False,
    "start_on_boot": True,
    "started": True,
    "startup.down_delay": -1,
    "startup.order": -1,
    "startup.up_delay": -1,
    "template": False,
    "timeout_clone": 1800,
    "timeout_create": 1800,
    "timeout_delete": 60,
    "timeout_start": 300,
    "timeout_update": 1800,
    "unprivileged": False,
    "wait_for_ip.ipv4": False,
    "wait_for_ip.ipv6": False,
}

VALIDATORS: dict[str, tuple[Validator, ...]] = {
    "console.tty_count": (int_between(0, 6),),
    "console.type": (one_of("console", "shell", "tty"),),
    "cpu.architecture": (one_of("amd64", "arm64", "armhf", "i386"),),
    "cpu.cores": (int_between(1, 128),),
    "cpu.limit": (float_between(0, 8192),),
    "cpu.units": (int_between(1, 500000),),
    "device_passthrough.gid": (int_at_least(0),),
    "device_passthrough.mode": (matches(r"0[0-7]{3}", "Octal access mode"),),
    "device_passthrough.path": (NOT_EMPTY,),
    "device_passthrough.uid": (int_at_least(0),),
    "disk.size": (int_at_least(0),),
    "idmap.container_id": (int_at_least(0),),
    "idmap.host_id": (int_at_least(0),),
    "idmap.size": (int_at_least(1),),
    "idmap.type": (one_of("uid", "gid"),),
    "initialization.entrypoint": (
        matches(r"^[^\x00-\x08\x10-\x1F\x7F]+$", "Disallow Invalid Characters"),
    ),
    "memory.dedicated": (int_between(16, 268435456),),
    "memory.swap": (int_between(0, 268435456),),
    "operating_system.type": (
        one_of(
            "alpine",
            "archlinux",
            "centos",
            "debian",
            "devuan",
            "fedora",
            "gentoo",
            "nixos",
            "opensuse",
            "ubuntu",
            "unmanaged",
        ),
    ),
    # container/validators.go and validators/*.go: the provider's own checks
    "vm_id": (VM_ID,),
    "clone.vm_id": (VM_ID,),
    "initialization.hostname": (HOSTNAME,),
    "initialization.dns.servers": (IP_ADDRESS,),
    "operating_system.template_file_id": (FILE_ID,),
    "network_interface.mac_address": (MAC_ADDRESS,),
    "mount_point.size": (FILE_SIZE,),
    "features.mount": (one_of("cifs", "nfs"),),
    "tags": (NOT_EMPTY,),
}


FORCE_NEW = frozenset(
    {
        "clone.datastore_id",
        "clone.full",
        "clone.node_name",
        "clone.vm_id",
        "disk.datastore_id",
        "initialization.user_account",
        "initialization.user_account.keys",
        "initialization.user_account.password",
        "mount_point",
        "mount_point.size",
        "mount_point.volume",
        "node_name",  # containers have no `migrate`: a node change always replaces
        "operating_system",
        "operating_system.template_file_id",
        "pool_id",
        "template",
        "unprivileged",
    }
)


def replace_when(prior: State, planned: State) -> list[Path]:
    """Container() CustomizeDiff: a new VMID, or a smaller root disk, replaces it."""
    paths: list[Path] = []
    vm_id = planned.get("vm_id")
    if isinstance(vm_id, int) and vm_id != -1 and str(vm_id) != str(prior.get("id")):
        paths.append(at(("attr", "vm_id")))
    before, after = prior.get("disk") or [], planned.get("disk") or []
    for old, new in zip(before, after, strict=False):
        old_size = old.get("size") if old.get("size") is not None else 4
        new_size = new.get("size") if new.get("size") is not None else 4
        if isinstance(new_size, int) and old_size > new_size:
            paths.append(at(("attr", "disk")))
            break
    return paths


def on_create(planned: State, objects: Objects) -> None:
    """Proxmox refuses a VMID that a VM or container already holds (check_vmid_unused)."""
    key = guest_key(planned.get("vm_id"))
    if key is not None and key in objects:
        kind = "VM" if objects[key]["type"].endswith("_vm") else "CT"
        raise ProviderError(
            "error creating container: received an HTTP 500 response - Reason: "
            f"{kind} {planned['vm_id']} already exists on node "
            f"'{objects[key]['state'].get('node_name')}'"
        )
    if not planned.get("clone") and not planned.get("operating_system"):
        raise ProviderError('"operating_system": required field is not set')


def fill_computed(planned: State) -> State:
    """What Create and the Read after it leave in state (containerCreate*, containerRead)."""
    state = copy.deepcopy(planned)
    vm_id = state.get("vm_id")
    if not isinstance(vm_id, int) or vm_id == -1:
        vm_id = 100
        state["vm_id"] = vm_id
    state["id"] = str(vm_id)
    if isinstance(state.get("tags"), list):
        state["tags"] = sorted(state["tags"])
    for index, nic in enumerate(state.get("network_interface") or []):
        if isinstance(nic, dict) and not nic.get("mac_address"):
            nic["mac_address"] = stable_mac(vm_id, index)
    for disk in state.get("disk") or []:
        if isinstance(disk, dict):
            disk["path_in_datastore"] = f"{disk.get('datastore_id')}:vm-{vm_id}-disk-0"
    for index, mount in enumerate(state.get("mount_point") or []):
        if isinstance(mount, dict):
            mount["path_in_datastore"] = mount.get("volume") or f"vm-{vm_id}-disk-{index + 1}"
    state["ipv4"] = _agent_addresses(state, vm_id)
    state["ipv6"] = {}
    return state


def _agent_addresses(state: State, vm_id: int) -> dict[str, str]:
    """Interface name -> first IPv4, as a running container reports them (lo skipped)."""
    if not state.get("started") or state.get("template"):
        return {}
    initialization = (state.get("initialization") or [{}])[0] or {}
    configs = initialization.get("ip_config") or []
    addresses: dict[str, str] = {}
    for nic, config in zip(state.get("network_interface") or [], configs, strict=False):
        address = get_path(config, "ipv4.address")
        if isinstance(address, str) and "/" in address:
            addresses[nic["name"]] = str(ipaddress.ip_interface(address).ip)
        elif address == "dhcp":
            addresses[nic["name"]] = f"198.51.100.{vm_id % 254 + 1}"  # never contacted
    return addresses


def _description(value: Any) -> Any:
    """The StateFunc: trimmed, LF line ends, one trailing newline."""
    if not isinstance(value, str) or not value:
        return value
    return value.strip().replace("\r\n", "\n") + "\n"


RULES = ResourceRules(
    type_name="proxmox_virtual_environment_container",
    source="proxmoxtf/resource/container/container.go",
    defaults=DEFAULTS,
    force_new=FORCE_NEW,
    state_funcs={"description": _description},
    validators=VALIDATORS,
    replace_when=replace_when,
    fill_computed=fill_computed,
    world_key=lambda state: guest_key(state.get("vm_id") or state.get("id")),
    parse_import_id=parse_node_slash_id,
    # containerRead never sets these: state-only or create-only.
    not_read_back=(
        "vm_id",
        "pool_id",
        "operating_system.template_file_id",
        "initialization.user_account",
        "clone",
        "wait_for_ip",
        "timeout_create",
        "timeout_clone",
        "timeout_update",
        "timeout_delete",
        "timeout_start",
    ),
    on_create=on_create,
)
