"""GPU wiring of the infra stack: one cluster PCI mapping per GPU name VMs use, and the step
that gives a GPU container the NVIDIA user-space libraries of its node's driver."""

from __future__ import annotations

import hashlib

from constructs import Construct

from constructs_lib import (
    PciMapping,
    PciMappingEntry,
    PciMappingProps,
    PhoenixContainer,
    RemoteConfigFile,
    RemoteConfigFileProps,
)
from constructs_lib.gpu import container_script_commands, nvidia_userspace_script
from fleet import Fleet
from fleet.guests import Container

from .addresses import gpu_mapping_id, gpu_setup_id


def gpu_mappings(scope: Construct, fleet: Fleet) -> dict[str, PciMapping]:
    """One cluster PCI mapping per GPU name a VM uses, with that GPU of every node
    declaring the name (so the VM can run on any of them)."""
    used = sorted({name for vm in fleet.guests.vms.values() for name in vm.gpus})
    mappings: dict[str, PciMapping] = {}
    for name in used:
        entries = [
            PciMappingEntry(
                node_name=node_name,
                pci_address=gpu.pci_address,
                device_id=gpu.device_id,
                subsystem_id=gpu.subsystem_id,
                iommu_group=gpu.iommu_group,
            )
            for node_name, node in sorted(fleet.proxmox.nodes.items())
            for gpu_name, gpu in node.gpus.items()
            if gpu_name == name
        ]
        mappings[name] = PciMapping(
            scope,
            gpu_mapping_id(name),
            PciMappingProps(name=name, entries=entries, comment="Managed by Phoenix"),
        )
    return mappings


def gpu_setup(
    scope: Construct, fleet: Fleet, ctid: int, container: Container, guest: PhoenixContainer
) -> None:
    """NVIDIA user-space libraries of the node's driver, installed in a GPU container
    through its node (`pct push` and `pct exec` over the SSH login snippets use)."""
    if not container.gpus:
        return
    node = fleet.node(container)
    if node.nvidia_driver is None:
        raise ValueError(f"container {ctid}: its node has no nvidia_driver; validate first")
    ssh = fleet.proxmox.ssh
    script = nvidia_userspace_script(driver_version=node.nvidia_driver, hostname=container.name)
    # /run is root's; another login stages the script in its own home.
    staged = f"/run/phoenix-ct-{ctid}-gpu-setup.sh"
    if ssh.username != "root":
        staged = f"/home/{ssh.username}/phoenix-ct-{ctid}-gpu-setup.sh"
    RemoteConfigFile(
        scope,
        gpu_setup_id(ctid),
        RemoteConfigFileProps(
            guest=guest,
            host=node.address,
            port=node.ssh_port,
            user=ssh.username,
            content=script,
            staged_path=staged,
            commands=container_script_commands(
                ctid=ctid,
                staged_path=staged,
                sha256=hashlib.sha256(script.encode("utf-8")).hexdigest(),
                sudo=ssh.username != "root",
            ),
        ),
    )
