"""GPUs for guests: the cluster PCI mapping a VM's passthrough names, the device nodes a
container receives, and the script that gives a container the node driver's user-space
libraries."""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from constructs import Construct

from imports.proxmox.hardware_mapping_pci import HardwareMappingPci, HardwareMappingPciMap

from .terraform_json import terraform_json_rules
from .validation import check

# The provider's validators (fwprovider/types/hardwaremapping/path.go, proxmox/types/
# hardwaremapping/device_id.go): a lower-case PCI path and vendor:device ids.
_PCI_PATH = re.compile(r"[a-f0-9]{4,}:[a-f0-9]{2}:[a-f0-9]{2}(\.[a-f0-9])?")
_DEVICE_ID = re.compile(r"[0-9A-Fa-f]{4}:[0-9A-Fa-f]{4}")
_DRIVER_VERSION = re.compile(r"[0-9]{3,4}\.[0-9]{1,3}(\.[0-9]{1,3})?")

NVIDIA_SHARED_DEVICES = ("/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools")
"""Device nodes every CUDA program opens besides its GPU's own `/dev/nvidia<minor>`."""


@dataclass(frozen=True, kw_only=True)
class PciMappingEntry:
    """Where the mapped device sits on one node."""

    node_name: str
    """Proxmox node."""
    pci_address: str
    """`0000:01:00.0`, lower-case hex as the provider requires."""
    device_id: str
    """Vendor and device id, `10de:2684`."""
    subsystem_id: str | None = None
    """Subsystem vendor and device id. Default: not checked by Proxmox."""
    iommu_group: int | None = None
    """IOMMU group. Default: not checked by Proxmox."""


@dataclass(frozen=True, kw_only=True)
class PciMappingProps:
    """Props of PciMapping."""

    name: str
    """Cluster-wide mapping id that VMs' `hostpci.mapping` names."""
    entries: Sequence[PciMappingEntry]
    """The device on each node that has it (one entry per node)."""
    comment: str | None = None
    """Shown in the Proxmox UI. Default: none."""


class PciMapping(Construct):
    """A cluster PCI resource mapping (Datacenter → Resource Mappings).

    A VM refers to the mapping by name instead of a bus address: API tokens may pass it
    through (with `Mapping.Use` on `/mapping/pci/<name>`; a raw `hostpci` id is root@pam only),
    and a renumbered bus only changes the mapping. Creating it needs `Mapping.Modify` on
    `/mapping/pci`.

    Terraform address: `proxmox_hardware_mapping_pci.<id>`.
    """

    def __init__(self, scope: Construct, id_: str, props: PciMappingProps) -> None:
        super().__init__(scope, id_)
        terraform_json_rules(scope)
        nodes = [entry.node_name for entry in props.entries]
        check(
            f"pci mapping {props.name}",
            [
                (not props.entries, "needs at least one node's device"),
                (len(set(nodes)) != len(nodes), f"one entry per node, got {sorted(nodes)}"),
                *(
                    (
                        not _PCI_PATH.fullmatch(entry.pci_address),
                        f"pci_address {entry.pci_address!r} is not like 0000:01:00.0",
                    )
                    for entry in props.entries
                ),
                *(
                    (
                        not _DEVICE_ID.fullmatch(value),
                        f"device id {value!r} is not like 10de:2684",
                    )
                    for entry in props.entries
                    for value in (entry.device_id, entry.subsystem_id)
                    if value is not None
                ),
            ],
        )
        self.mapping = HardwareMappingPci(
            self,
            "resource",
            name=props.name,
            comment=props.comment,
            map=[
                HardwareMappingPciMap(
                    node_attribute=entry.node_name,
                    path=entry.pci_address,
                    id=entry.device_id,
                    subsystem_id=entry.subsystem_id,
                    iommu_group=entry.iommu_group,
                )
                for entry in sorted(props.entries, key=lambda entry: entry.node_name)
            ],
        )
        self.mapping.override_logical_id(id_)

    @property
    def name_reference(self) -> str:
        """The mapping's name as a Terraform reference: a VM naming it waits for it."""
        return self.mapping.name


@dataclass(frozen=True, kw_only=True)
class PciPassthroughProps:
    """A mapped PCI device passed through to a VM (`hostpci`)."""

    mapping: str
    """Name of the cluster PCI mapping (or a reference to a PciMapping's name)."""
    pcie: bool = True
    """Attach it to a PCIe port, as GPUs expect; needs the q35 machine type. Default: true."""


@dataclass(frozen=True, kw_only=True)
class DevicePassthroughProps:
    """A node device node made available inside a container (`device_passthrough`)."""

    path: str
    """Device node on the node, e.g. `/dev/nvidia0`; the same path inside the container."""
    gid: int = 0
    """Group owning it inside the container. Default: 0 (root)."""
    mode: str = "0660"
    """Access mode inside the container, four octal digits. Default: 0660."""
    uid: int = 0
    """Owner inside the container. Default: 0 (root)."""


def nvidia_devices(minors: Sequence[int], *, gid: int) -> list[DevicePassthroughProps]:
    """The device nodes a container needs for the GPUs with these minor numbers: each GPU's
    own node, then the shared control and unified-memory nodes; owned by root and `gid`."""
    paths = [f"/dev/nvidia{minor}" for minor in sorted(set(minors))]
    return [
        DevicePassthroughProps(path=path, gid=gid, mode="0660")
        for path in [*paths, *NVIDIA_SHARED_DEVICES]
    ]


NVIDIA_RUNFILE_URL = (
    "https://download.nvidia.com/XFree86/Linux-x86_64/{version}/NVIDIA-Linux-x86_64-{version}.run"
)
"""NVIDIA's driver installer for one version: the only source of user-space libraries of
exactly the version a node's kernel module has, whatever the container's distribution."""


def nvidia_userspace_script(*, driver_version: str, hostname: str) -> str:
    """A POSIX shell script, run as root inside a Debian or Ubuntu container, that installs
    the NVIDIA user-space libraries and tools of `driver_version` without a kernel module
    (the container uses the node's), then checks that `nvidia-smi` sees a GPU. Idempotent:
    it does nothing when that version is already there."""
    if not _DRIVER_VERSION.fullmatch(driver_version):
        raise ValueError(f"driver_version {driver_version!r} is not like 550.127.05")
    version = shlex.quote(driver_version)
    url = NVIDIA_RUNFILE_URL.format(version="$version")
    return "\n".join(
        [
            "#!/bin/sh",
            f"# Generated by Phoenix for {hostname}: NVIDIA user-space libraries matching the",
            "# node's driver. Edit the fleet config (nodes.<node>.nvidia_driver) instead.",
            "set -eu",
            f"version={version}",
            "installed=$(nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null"
            " | head -n 1 || true)",
            'if [ "$installed" = "$version" ]; then',
            '  echo "phoenix: NVIDIA user-space libraries $version already installed"',
            "  exit 0",
            "fi",
            "export DEBIAN_FRONTEND=noninteractive",
            "apt-get update -q",
            "apt-get install -y -q --no-install-recommends ca-certificates curl",
            'runfile="/root/NVIDIA-Linux-x86_64-$version.run"',
            f'curl --fail --silent --show-error --location -o "$runfile" "{url}"',
            "# No kernel module: the container runs on the node's.",
            'sh "$runfile" --silent --no-kernel-module',
            'rm -f "$runfile"',
            "nvidia-smi",
            "",
        ]
    )


def container_script_commands(
    *, ctid: int, staged_path: str, sha256: str, sudo: bool = False
) -> list[str]:
    """Shell lines for Terraform's `remote-exec` on the container's node: check the uploaded
    script, copy it into the container with `pct push`, run it there with `pct exec`, remove
    it. `sudo` for a node login other than root."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError(f"sha256 {sha256!r} is not 64 lower-case hex digits")
    if not staged_path.startswith("/"):
        raise ValueError(f"staged_path {staged_path!r} must be an absolute path")
    pct = "sudo -n pct" if sudo else "pct"
    staged = shlex.quote(staged_path)
    inside = "/root/phoenix-gpu-setup.sh"
    checksum_line = shlex.quote(f"{sha256}  {staged_path}")
    return [
        "set -eu",
        f"printf '%s\\n' {checksum_line} | sha256sum --check --quiet --strict -",
        f"{pct} push {ctid} {staged} {inside} --perms 0700",
        f"{pct} exec {ctid} -- sh {inside}",
        f"{pct} exec {ctid} -- rm -f {inside}",
        f"rm -f {staged}",
    ]
