"""proxmox_virtual_environment_vm (SDKv2): proxmoxtf/resource/vm/vm.go `VM()`, vm/disk/schema.go,
vm/network/schema.go, vm/validators.go."""

from __future__ import annotations

import copy
import ipaddress
import re
from typing import Any

from ..planner import get_path
from ..rules import Objects, Path, ProviderError, ResourceRules, State
from ..validators import (
    Validator,
    any_of,
    custom,
    float_between,
    int_at_least,
    int_between,
    length_between,
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

# vm/validators.go TimeoutValidator: a Go duration ("15m", "300s").
TIMEOUT: Validator = custom(
    lambda v: (
        re.match(r"^([0-9]*(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+$", v) is not None
        and any(c.isdigit() for c in v)
    ),
    "expected value of timeout to be a duration - got: {value}",
)
# vm/validators.go SerialDeviceValidator
SERIAL_DEVICE: Validator = custom(
    lambda v: v == "socket" or v.startswith("/dev/"),
    "expected {key} to be '/dev/*' or 'socket'",
)
_HOTPLUG = {"cpu", "disk", "memory", "network", "usb"}
# vm/validators.go HotplugValidator: "", "0", "1" or a list of features.
HOTPLUG: Validator = custom(
    lambda v: (
        v in ("", "0", "1")
        or (set(v.split(",")) <= _HOTPLUG and len(v.split(",")) == len(set(v.split(","))))
    ),
    '{key}: "{value}" is not a valid hotplug feature (must be cpu, disk, memory, network, '
    "usb, 0, or 1)",
)

DEFAULTS: dict[str, Any] = {
    "description": "",  # vm.go mkDescription (missing from the reconstruction)
    "acpi": True,
    "agent.enabled": False,
    "agent.timeout": "15m",
    "agent.trim": False,
    "agent.type": "virtio",
    "agent.wait_for_ip.disabled": False,
    "agent.wait_for_ip.ipv4": False,
    "agent.wait_for_ip.ipv6": False,
    "amd_sev.allow_smt": True,
    "amd_sev.kernel_hashes": False,
    "amd_sev.no_debug": False,
    "amd_sev.no_key_sharing": False,
    "amd_sev.type": "std",
    "audio_device.device": "intel-hda",
    "audio_device.driver": "spice",
    "audio_device.enabled": True,
    "bios": "seabios",
    "cdrom.enabled": False,
    "cdrom.file_id": "",
    "cdrom.interface": "ide3",
    "clone.datastore_id": "",
    "clone.full": True,
    "clone.node_name": "",
    "clone.retries": 1,
    "cpu.affinity": "",
    "cpu.architecture": "",
    "cpu.cores": 1,
    "cpu.hotplugged": 0,
    "cpu.limit": 0,
    "cpu.numa": False,
    "cpu.sockets": 1,
    "cpu.type": "qemu64",
    "delete_unreferenced_disks_on_destroy": True,
    "disk.aio": "io_uring",
    "disk.backup": True,
    "disk.cache": "none",
    "disk.datastore_id": "local-lvm",
    "disk.discard": "ignore",
    "disk.file_id": "",
    "disk.import_from": "",
    "disk.iothread": False,
    "disk.queues": 0,
    "disk.replicate": True,
    "disk.serial": "",
    "disk.speed.iops_read": 0,
    "disk.speed.iops_read_burstable": 0,
    "disk.speed.iops_write": 0,
    "disk.speed.iops_write_burstable": 0,
    "disk.speed.read": 0,
    "disk.speed.read_burstable": 0,
    "disk.speed.write": 0,
    "disk.speed.write_burstable": 0,
    "disk.ssd": False,
    "efi_disk.datastore_id": "local-lvm",
    "efi_disk.pre_enrolled_keys": False,
    "efi_disk.type": "2m",
    "hook_script_file_id": "",
    "initialization.datastore_id": "local-lvm",
    "initialization.dns.domain": "",
    "initialization.interface": "",
    "initialization.ip_config.ipv4.address": "",
    "initialization.ip_config.ipv4.gateway": "",
    "initialization.ip_config.ipv6.address": "",
    "initialization.ip_config.ipv6.gateway": "",
    "initialization.user_account.password": "",
    "keyboard_layout": "en-us",
    "kvm_arguments": "",
    "machine": "",
    "memory.dedicated": 512,
    "memory.floating": 0,
    "memory.hugepages": "",
    "memory.keep_hugepages": False,
    "memory.shared": 0,
    "migrate": False,
    "name": "",
    "network_device.bridge": "vmbr0",
    "network_device.enabled": True,
    "network_device.firewall": False,
    "network_device.model": "virtio",
    "network_device.mtu": 0,
    "network_device.queues": 0,
    "network_device.rate_limit": 0,
    "network_device.vlan_id": 0,
    "numa.policy": "preferred",
    "on_boot": True,
    "operating_system.type": "other",
    "pool_id": "",
    "protection": False,
    "purge_on_destroy": True,
    "reboot": False,
    "reboot_after_update": True,
    "scsi_hardware": "virtio-scsi-pci",
    "serial_device.device": "socket",
    "smbios.family": "",
    "smbios.manufacturer": "",
    "smbios.product": "",
    "smbios.serial": "",
    "smbios.sku": "",
    "smbios.version": "",
    "started": True,
    "startup.down_delay": -1,
    "startup.order": -1,
    "startup.up_delay": -1,
    "stop_on_destroy": False,
    "tablet_device": True,
    "template": False,
    "timeout_clone": 1800,
    "timeout_create": 1800,
    "timeout_migrate": 1800,
    "timeout_move_disk": 1800,
    "timeout_reboot": 1800,
    "timeout_shutdown_vm": 1800,
    "timeout_start_vm": 1800,
    "timeout_stop_vm": 300,
    "tpm_state.datastore_id": "local-lvm",
    "tpm_state.version": "v2.0",
    "vga.clipboard": "",
    "vga.memory": 16,
    "vga.type": "std",
    "virtiofs.cache": "auto",
    "virtiofs.direct_io": False,
    "virtiofs.expose_acl": False,
    "virtiofs.expose_xattr": False,
    "watchdog.action": "none",
    "watchdog.enabled": False,
    "watchdog.model": "i6300esb",
}
VALIDATORS: dict[str, tuple[Validator, ...]] = {
    "agent.type": (one_of("isa", "virtio"),),
    "amd_sev.type": (one_of("std", "es", "snp"),),
    "audio_device.device": (one_of("AC97", "ich9-intel-hda", "intel-hda"),),
    "audio_device.driver": (one_of("spice"),),
    "bios": (one_of("ovmf", "seabios"),),
    "cdrom.interface": (
        matches(
            r"^(ide[0-3]|sata[0-5]|scsi([0-9]|1[0-3]))$",
            "must be one of `ide[0-3]`, `sata[0-5]`, `scsi[0-13]`",
        ),
    ),
    "cpu.affinity": (
        matches(r"^\d+[\d\-,]*$", "must contain numbers or number ranges separated by ','"),
    ),
    "cpu.architecture": (one_of("", "aarch64", "x86_64"),),
    "cpu.cores": (int_between(1, 2304),),
    "cpu.hotplugged": (int_between(0, 2304),),
    "cpu.limit": (float_between(0, 128),),
    "cpu.sockets": (int_between(1, 16),),
    "cpu.units": (int_between(1, 262144),),
    "disk.aio": (one_of("io_uring", "native", "threads"),),
    "disk.cache": (one_of("none", "writethrough", "writeback", "unsafe", "directsync"),),
    "disk.file_format": (one_of("qcow2", "raw", "vmdk"),),
    "disk.serial": (length_between(0, 20),),
    "disk.size": (int_at_least(1),),
    "efi_disk.file_format": (one_of("qcow2", "raw", "vmdk"),),
    "efi_disk.type": (one_of("2m", "4m", ignore_case=True),),
    "initialization.file_format": (one_of("qcow2", "raw", "vmdk"),),
    "initialization.type": (one_of("configdrive2", "nocloud"),),
    "keyboard_layout": (
        one_of(
            "da",
            "de",
            "de-ch",
            "en-gb",
            "en-us",
            "es",
            "fi",
            "fr",
            "fr-be",
            "fr-ca",
            "fr-ch",
            "hu",
            "is",
            "it",
            "ja",
            "lt",
            "mk",
            "nl",
            "no",
            "pl",
            "pt",
            "pt-br",
            "sl",
            "sv",
            "tr",
        ),
    ),
    "machine": (
        matches(
            r"^$|^(pc|pc(-i440fx)?-\d+(\.\d+)+(\+pve\d+)?(\.pxe)?|q35(,viommu=(intel|virtio))?|pc-q35-\d+(\.\d+)+(\+pve\d+)?(\.pxe)?|virt(?:-\d+(\.\d+)+)?(\+pve\d+)?)$",
            "must be a valid machine type",
        ),
    ),
    "memory.dedicated": (int_between(64, 268435456),),
    "memory.floating": (int_between(0, 268435456),),
    "memory.hugepages": (one_of("1024", "2", "any", ignore_case=True),),
    "memory.shared": (int_between(0, 268435456),),
    "network_device.model": (one_of("e1000", "e1000e", "rtl8139", "virtio", "vmxnet3"),),
    "network_device.queues": (int_between(0, 64),),
    "node_name": (NOT_EMPTY,),
    "numa.cpus": (
        matches(
            r"^\d+(?:-\d+)?(?:;\d+(?:-\d+)?)*$",
            "must contain numbers or number ranges separated by ';'",
        ),
    ),
    "numa.device": (
        matches(
            r"^numa\d+$", "numa node device ID must be in the format 'numaX' where X is a number"
        ),
    ),
    "numa.hostnodes": (
        matches(
            r"^\d+(?:-\d+)?(?:;\d+(?:-\d+)?)*$",
            "must contain numbers or number ranges separated by ';'",
        ),
    ),
    "numa.memory": (int_between(64, 268435456),),
    "numa.policy": (one_of("bind", "interleave", "preferred", ignore_case=True),),
    "operating_system.type": (
        one_of(
            "l24",
            "l26",
            "other",
            "solaris",
            "w2k",
            "w2k3",
            "w2k8",
            "win7",
            "win8",
            "win10",
            "win11",
            "wvista",
            "wxp",
        ),
    ),
    "rng.max_bytes": (int_at_least(1),),
    "rng.period": (int_at_least(1),),
    "rng.source": (NOT_EMPTY,),
    "scsi_hardware": (
        one_of("lsi", "lsi53c810", "virtio-scsi-pci", "virtio-scsi-single", "megasas", "pvscsi"),
    ),
    "tpm_state.version": (one_of("v1.2", "v2.0", ignore_case=True),),
    "vga.clipboard": (one_of("", "vnc", ignore_case=True),),
    "vga.memory": (int_between(4, 512),),
    "vga.type": (
        one_of(
            "cirrus",
            "none",
            "qxl",
            "qxl2",
            "qxl3",
            "qxl4",
            "serial0",
            "serial1",
            "serial2",
            "serial3",
            "std",
            "virtio",
            "virtio-gl",
            "vmware",
        ),
    ),
    "virtiofs.cache": (one_of("auto", "always", "metadata", "never"),),
    "virtiofs.mapping": (NOT_EMPTY,),
    "watchdog.action": (
        one_of("debug", "none", "pause", "poweroff", "reset", "shutdown", ignore_case=True),
    ),
    "watchdog.model": (one_of("i6300esb", "ib700", ignore_case=True),),
    # vm/validators.go and validators/*.go: the provider's own checks
    "vm_id": (VM_ID,),
    "clone.vm_id": (VM_ID,),
    "agent.timeout": (TIMEOUT,),
    "cdrom.file_id": (any_of(one_of("none", "cdrom"), FILE_ID),),
    "cpu.type": (
        any_of(
            one_of(
                "486",
                "Broadwell",
                "Broadwell-IBRS",
                "Broadwell-noTSX",
                "Broadwell-noTSX-IBRS",
                "Cascadelake-Server",
                "Cascadelake-Server-noTSX",
                "Cascadelake-Server-v2",
                "Cascadelake-Server-v4",
                "Cascadelake-Server-v5",
                "Conroe",
                "Cooperlake",
                "Cooperlake-v2",
                "EPYC",
                "EPYC-Genoa",
                "EPYC-IBPB",
                "EPYC-Milan",
                "EPYC-Rome",
                "EPYC-Rome-v2",
                "EPYC-Rome-v3",
                "EPYC-Rome-v4",
                "EPYC-v3",
                "EPYC-v4",
                "Haswell",
                "Haswell-IBRS",
                "Haswell-noTSX",
                "Haswell-noTSX-IBRS",
                "Icelake-Client",
                "Icelake-Client-noTSX",
                "Icelake-Server",
                "Icelake-Server-noTSX",
                "Icelake-Server-v3",
                "Icelake-Server-v4",
                "Icelake-Server-v5",
                "Icelake-Server-v6",
                "IvyBridge",
                "IvyBridge-IBRS",
                "KnightsMill",
                "Nehalem",
                "Nehalem-IBRS",
                "Opteron_G1",
                "Opteron_G2",
                "Opteron_G3",
                "Opteron_G4",
                "Opteron_G5",
                "Penryn",
                "SandyBridge",
                "SandyBridge-IBRS",
                "SapphireRapids",
                "Skylake-Client",
                "Skylake-Client-IBRS",
                "Skylake-Client-noTSX-IBRS",
                "Skylake-Client-v4",
                "Skylake-Server",
                "Skylake-Server-IBRS",
                "Skylake-Server-noTSX-IBRS",
                "Skylake-Server-v4",
                "Skylake-Server-v5",
                "Westmere",
                "Westmere-IBRS",
                "athlon",
                "core2duo",
                "coreduo",
                "host",
                "kvm32",
                "kvm64",
                "max",
                "pentium",
                "pentium2",
                "pentium3",
                "phenom",
                "qemu32",
                "qemu64",
                "x86-64-v2",
                "x86-64-v2-AES",
                "x86-64-v3",
                "x86-64-v4",
            ),
            matches(r"^custom-.+$", "must be a valid custom CPU type"),
        ),
    ),
    "disk.file_id": (FILE_ID,),
    "disk.import_from": (FILE_ID,),
    "disk.queues": (
        custom(lambda v: v == 0 or v >= 2, "expected {key} to be 0 or at least (2), got {value}"),
    ),
    "hotplug": (HOTPLUG,),
    "initialization.dns.servers": (IP_ADDRESS,),
    "initialization.interface": (
        any_of(
            custom(lambda v: v == "", 'expected "{key}" to be an empty string, got {value}'),
            matches(
                r"^ide[0-3]|sata[0-5]|scsi(?:30|[12][0-9]|[0-9])$",
                "one of ide0..3|sata0..5|scsi0..30",
            ),
        ),
    ),
    "initialization.meta_data_file_id": (FILE_ID,),
    "initialization.network_data_file_id": (FILE_ID,),
    "initialization.user_data_file_id": (FILE_ID,),
    "initialization.vendor_data_file_id": (FILE_ID,),
    "name": (HOSTNAME,),
    "network_device.mac_address": (MAC_ADDRESS,),
    "serial_device.device": (SERIAL_DEVICE,),
    "tags": (NOT_EMPTY,),
}


# Not listed, from vm.go: `hostpci` has neither validators nor ForceNew (a change is applied
# in place and reboots the VM); its bools have no schema default, so an unset `rombar` is sent
# as false (vmGetHostPCIDeviceObjects), unlike Proxmox's own default of true.
FORCE_NEW = frozenset(
    {
        "amd_sev",
        "clone.datastore_id",
        "clone.full",
        "clone.node_name",
        "clone.retries",
        "clone.vm_id",
        "disk.file_id",
        "initialization.meta_data_file_id",
        "initialization.network_data_file_id",
        "initialization.type",
        "initialization.user_data_file_id",
        "initialization.vendor_data_file_id",
    }
)


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
