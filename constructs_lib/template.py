"""PhoenixVmTemplate: a VM template built from a cloud image that Proxmox downloads itself."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from constructs import Construct

from imports.proxmox.download_file import DownloadFile
from imports.proxmox.virtual_environment_vm import (
    VirtualEnvironmentVm,
    VirtualEnvironmentVmAgent,
    VirtualEnvironmentVmCpu,
    VirtualEnvironmentVmDisk,
    VirtualEnvironmentVmInitialization,
    VirtualEnvironmentVmInitializationIpConfig,
    VirtualEnvironmentVmInitializationIpConfigIpv4,
    VirtualEnvironmentVmMemory,
    VirtualEnvironmentVmNetworkDevice,
    VirtualEnvironmentVmOperatingSystem,
    VirtualEnvironmentVmSerialDevice,
)

from .terraform_json import terraform_json_rules
from .validation import check, sizing_rules


@dataclass(frozen=True, kw_only=True)
class CloudImageProps:
    """A disk image Proxmox fetches onto an `import`-capable datastore (Proxmox VE 8.4+)."""

    url: str
    """Where the node downloads it from."""
    file_name: str
    """Name on the datastore; must end in `.qcow2` or `.raw` for import content."""
    datastore_id: str = "local"
    """Datastore with the `import` content type enabled. Default: `local`."""
    checksum: str | None = None
    """Expected hex digest. Default: not verified."""
    checksum_algorithm: str = "sha256"
    """Algorithm of `checksum`. Default: sha256."""


@dataclass(frozen=True, kw_only=True)
class PhoenixVmTemplateProps:
    """Props of PhoenixVmTemplate."""

    node_name: str
    """Proxmox node holding the template."""
    vm_id: int
    """VMID of the template, e.g. 9000."""
    name: str
    """Proxmox name."""
    image: CloudImageProps
    """The cloud image imported as the boot disk."""
    datastore_id: str
    """Datastore for the boot disk and the cloud-init drive."""
    disk_gib: int = 8
    """Boot disk size; at least the image's virtual size. Default: 8."""
    cores: int = 2
    """Default: 2."""
    cpu_type: str = "x86-64-v2-AES"
    """Default: `x86-64-v2-AES`."""
    memory_mib: int = 2048
    """Default: 2048."""
    bridge: str = "vmbr0"
    """Bridge of the NIC clones inherit. Default: `vmbr0`."""
    tags: Sequence[str] = ()
    """Default: none."""
    description: str | None = None
    """Default: none."""


class PhoenixVmTemplate(Construct):
    """Downloads a cloud image and turns it into a stopped VM template that clones start from.

    The template enables the QEMU guest agent flag (clones inherit it; cloud-init installs the
    agent), carries a serial console (Ubuntu and Debian cloud images panic on disk resize without
    one) and an empty cloud-init drive. It is never started.

    Terraform addresses: `proxmox_download_file.<id>_image`, `proxmox_virtual_environment_vm.<id>`.
    """

    def __init__(self, scope: Construct, id_: str, props: PhoenixVmTemplateProps) -> None:
        super().__init__(scope, id_)
        terraform_json_rules(scope)
        check(
            f"template {props.vm_id}",
            [
                *sizing_rules(
                    vm_id=props.vm_id,
                    cores=props.cores,
                    memory_mib=props.memory_mib,
                    disk_gib=props.disk_gib,
                    min_memory_mib=256,
                ),
                (
                    not props.image.file_name.endswith((".qcow2", ".raw")),
                    f"image file_name {props.image.file_name!r} must end in .qcow2 or .raw "
                    "for import",
                ),
            ],
        )
        self.props = props

        self.image = DownloadFile(
            self,
            "image",
            node_name=props.node_name,
            datastore_id=props.image.datastore_id,
            content_type="import",
            url=props.image.url,
            file_name=props.image.file_name,
            checksum=props.image.checksum,
            checksum_algorithm=props.image.checksum_algorithm if props.image.checksum else None,
            # A moving upstream image must not silently rebuild the template.
            overwrite=False,
        )
        self.image.override_logical_id(f"{id_}_image")

        self.vm = VirtualEnvironmentVm(
            self,
            "resource",
            node_name=props.node_name,
            vm_id=props.vm_id,
            name=props.name,
            description=props.description,
            tags=sorted(props.tags) or None,
            template=True,
            started=False,
            on_boot=False,
            agent=VirtualEnvironmentVmAgent(enabled=True),
            cpu=VirtualEnvironmentVmCpu(cores=props.cores, type=props.cpu_type),
            memory=VirtualEnvironmentVmMemory(dedicated=props.memory_mib),
            disk=[
                VirtualEnvironmentVmDisk(
                    interface="scsi0",
                    datastore_id=props.datastore_id,
                    import_from_attribute=self.image.id,
                    size=props.disk_gib,
                    discard="on",
                    iothread=True,
                )
            ],
            scsi_hardware="virtio-scsi-single",
            serial_device=[VirtualEnvironmentVmSerialDevice(device="socket")],
            network_device=[VirtualEnvironmentVmNetworkDevice(bridge=props.bridge, model="virtio")],
            initialization=VirtualEnvironmentVmInitialization(
                datastore_id=props.datastore_id,
                ip_config=[
                    VirtualEnvironmentVmInitializationIpConfig(
                        ipv4=VirtualEnvironmentVmInitializationIpConfigIpv4(address="dhcp")
                    )
                ],
            ),
            operating_system=VirtualEnvironmentVmOperatingSystem(type="l26"),
        )
        self.vm.override_logical_id(id_)

    @property
    def vm_id(self) -> int:
        """The template's VMID (a literal, so clones can name it without a lookup)."""
        return self.props.vm_id

    @functools.cached_property
    def vm_id_reference(self) -> float:
        """The template's `vm_id` as a Terraform reference, so a clone waits for the template.

        One token for every clone: each read of `self.vm.vm_id` is a round trip to the jsii
        kernel and mints a new token that resolves to the same reference.
        """
        reference: float = self.vm.vm_id
        return reference
