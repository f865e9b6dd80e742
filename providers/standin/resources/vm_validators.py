"""proxmox_virtual_environment_vm's validators: vm/validators.go and the ValidateDiagFunc of
each attribute in vm.go, vm/disk/schema.go and vm/network/schema.go."""

from __future__ import annotations

import re

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
from .common import FILE_ID, HOSTNAME, IP_ADDRESS, MAC_ADDRESS, NOT_EMPTY, VM_ID

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
