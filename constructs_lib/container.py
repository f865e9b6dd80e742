"""PhoenixContainer: an LXC container, unprivileged unless a caller says otherwise on purpose."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from constructs import Construct

from cdk import TerraformResourceLifecycle
from imports.proxmox.download_file import DownloadFile
from imports.proxmox.virtual_environment_container import (
    VirtualEnvironmentContainer,
    VirtualEnvironmentContainerCpu,
    VirtualEnvironmentContainerDevicePassthrough,
    VirtualEnvironmentContainerDisk,
    VirtualEnvironmentContainerFeatures,
    VirtualEnvironmentContainerInitialization,
    VirtualEnvironmentContainerInitializationDns,
    VirtualEnvironmentContainerInitializationIpConfig,
    VirtualEnvironmentContainerInitializationIpConfigIpv4,
    VirtualEnvironmentContainerInitializationUserAccount,
    VirtualEnvironmentContainerMemory,
    VirtualEnvironmentContainerMountPoint,
    VirtualEnvironmentContainerNetworkInterface,
    VirtualEnvironmentContainerOperatingSystem,
    VirtualEnvironmentContainerStartup,
)

from .gpu import DevicePassthroughProps
from .guest_props import BootstrapChange, DnsProps, Ipv4Props, NicProps, StartupProps
from .terraform_json import terraform_json_rules
from .validation import check, sizing_rules


@dataclass(frozen=True, kw_only=True)
class ContainerTemplateDownload:
    """A container template (`vztmpl`) Proxmox downloads itself."""

    url: str
    """Where the node downloads it from, e.g. download.proxmox.com's system images."""
    file_name: str
    """Name on the datastore."""
    datastore_id: str = "local"
    """Datastore with the `vztmpl` content type. Default: `local`."""


@dataclass(frozen=True, kw_only=True)
class LxcFeatures:
    """LXC features; Proxmox only lets root@pam change anything but nesting."""

    nesting: bool = False
    """Default: false."""
    keyctl: bool = False
    """Default: false."""
    fuse: bool = False
    """Default: false."""
    mount: Sequence[str] = ()
    """File systems the container may mount (`nfs`, `cifs`). Default: none."""


@dataclass(frozen=True, kw_only=True)
class BindMountProps:
    """A node directory mounted into the container (root@pam only; changes recreate the CT)."""

    host_path: str
    path: str
    read_only: bool = False


@dataclass(frozen=True, kw_only=True)
class PhoenixContainerProps:
    """Props of PhoenixContainer."""

    node_name: str
    """Proxmox node."""
    vm_id: int
    """CTID; changing it replaces the container."""
    hostname: str
    """Host name inside the container."""
    os_template: ContainerTemplateDownload | str
    """Root file system image: a download, or an existing volume id
    (`local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst`)."""
    os_type: str = "unmanaged"
    """Distribution, so Proxmox can set up network and host name inside. Default: unmanaged."""
    unprivileged: bool = True
    """Default: true. The provider's own default is a privileged container."""
    features: LxcFeatures = field(default_factory=LxcFeatures)
    """Default: none."""
    cores: int = 1
    """Default: 1."""
    memory_mib: int = 512
    """Default: 512."""
    swap_mib: int = 512
    """Default: 512."""
    datastore_id: str
    """Datastore of the root disk (named explicitly: the provider defaults to `local`)."""
    disk_gib: int = 8
    """Root disk size. Default: 8."""
    nic: NicProps = field(default_factory=NicProps)
    """Default: an untagged NIC `eth0` on `vmbr0`."""
    ipv4: Ipv4Props
    """Address Proxmox configures on eth0."""
    dns: DnsProps = field(default_factory=DnsProps)
    """Default: the node's resolver settings."""
    ssh_keys: Sequence[str] = ()
    """Public keys for root (changing them recreates the container). Default: none."""
    bind_mounts: Sequence[BindMountProps] = ()
    """Default: none."""
    start_on_boot: bool = True
    """Default: true."""
    startup: StartupProps | None = None
    """Default: unordered."""
    tags: Sequence[str] = ()
    """Default: none."""
    description: str | None = None
    """Default: none."""
    on_bootstrap_change: BootstrapChange = BootstrapChange.KEEP
    """Effect of new `ssh_keys` on an existing container: keep it (Proxmox installs keys only
    at creation), or replace it. Default: keep."""
    adopt: bool = False
    """Import the existing container `node_name/vm_id` instead of creating it, keeping the
    root file system and root keys it was created with. Default: false."""
    devices: Sequence[DevicePassthroughProps] = ()
    """Node device nodes passed into the container (root@pam only). Default: none."""


class PhoenixContainer(Construct):
    """An LXC container with explicit privilege, features, network, root disk and boot order.

    Terraform addresses: `proxmox_virtual_environment_container.<id>` and, for a downloaded
    template, `proxmox_download_file.<id>_template`.
    """

    def __init__(self, scope: Construct, id_: str, props: PhoenixContainerProps) -> None:
        super().__init__(scope, id_)
        terraform_json_rules(scope)
        check(
            f"container {props.vm_id}",
            [
                *sizing_rules(
                    vm_id=props.vm_id,
                    cores=props.cores,
                    memory_mib=props.memory_mib,
                    disk_gib=props.disk_gib,
                    min_memory_mib=16,
                ),
                (props.swap_mib < 0, f"swap_mib {props.swap_mib} must not be negative"),
                (
                    props.unprivileged and bool(props.features.mount),
                    "unprivileged containers cannot mount nfs/cifs themselves",
                ),
                *props.ipv4.problems(),
                (len(props.devices) > 128, "at most 128 passed-through devices"),
                *(
                    (
                        re.fullmatch(r"0[0-7]{3}", device.mode) is None,
                        f"device {device.path}: mode {device.mode!r} is not like 0660",
                    )
                    for device in props.devices
                ),
                *(
                    (
                        not device.path.startswith("/dev/"),
                        f"device {device.path!r} is not under /dev/",
                    )
                    for device in props.devices
                ),
            ],
        )
        self.props = props

        self.template_download: DownloadFile | None = None
        if isinstance(props.os_template, ContainerTemplateDownload):
            self.template_download = DownloadFile(
                self,
                "template",
                node_name=props.node_name,
                datastore_id=props.os_template.datastore_id,
                content_type="vztmpl",
                url=props.os_template.url,
                file_name=props.os_template.file_name,
                overwrite=False,
            )
            self.template_download.override_logical_id(f"{id_}_template")
            template_file_id = self.template_download.id
        else:
            template_file_id = props.os_template

        features = props.features
        ignored = _ignored_changes(props)
        self.container = VirtualEnvironmentContainer(
            self,
            "resource",
            node_name=props.node_name,
            vm_id=props.vm_id,
            description=props.description,
            tags=sorted(props.tags) or None,
            unprivileged=props.unprivileged,
            # Only flags that are on: Proxmox lets API tokens set nesting, but any other feature
            # key, even "off", needs root@pam.
            features=VirtualEnvironmentContainerFeatures(
                nesting=features.nesting or None,
                keyctl=features.keyctl or None,
                fuse=features.fuse or None,
                mount=list(features.mount) or None,
            )
            if features.nesting or features.keyctl or features.fuse or features.mount
            else None,
            operating_system=VirtualEnvironmentContainerOperatingSystem(
                template_file_id=template_file_id, type=props.os_type
            ),
            cpu=VirtualEnvironmentContainerCpu(cores=props.cores),
            memory=VirtualEnvironmentContainerMemory(
                dedicated=props.memory_mib, swap=props.swap_mib
            ),
            disk=VirtualEnvironmentContainerDisk(
                datastore_id=props.datastore_id, size=props.disk_gib
            ),
            network_interface=[
                VirtualEnvironmentContainerNetworkInterface(
                    name="eth0",
                    bridge=props.nic.bridge,
                    vlan_id=props.nic.vlan_id,
                    mac_address=props.nic.mac_address,
                    firewall=props.nic.firewall,
                )
            ],
            initialization=VirtualEnvironmentContainerInitialization(
                hostname=props.hostname,
                ip_config=[
                    VirtualEnvironmentContainerInitializationIpConfig(
                        ipv4=VirtualEnvironmentContainerInitializationIpConfigIpv4(
                            address=props.ipv4.address, gateway=props.ipv4.gateway
                        )
                    )
                ],
                dns=VirtualEnvironmentContainerInitializationDns(
                    servers=list(props.dns.servers) or None, domain=props.dns.domain
                )
                if props.dns.servers or props.dns.domain
                else None,
                user_account=VirtualEnvironmentContainerInitializationUserAccount(
                    keys=list(props.ssh_keys)
                )
                if props.ssh_keys
                else None,
            ),
            mount_point=[
                VirtualEnvironmentContainerMountPoint(
                    volume=mount.host_path, path=mount.path, read_only=mount.read_only
                )
                for mount in props.bind_mounts
            ]
            or None,
            device_passthrough=[
                VirtualEnvironmentContainerDevicePassthrough(
                    path=device.path, gid=device.gid, uid=device.uid, mode=device.mode
                )
                for device in props.devices
            ]
            or None,
            started=True,
            start_on_boot=props.start_on_boot,
            startup=VirtualEnvironmentContainerStartup(
                order=props.startup.order,
                up_delay=props.startup.up_delay_seconds,
                down_delay=props.startup.down_delay_seconds,
            )
            if props.startup
            else None,
            lifecycle=TerraformResourceLifecycle(ignore_changes=list(ignored)) if ignored else None,
        )
        self.container.override_logical_id(id_)
        self.terraform_address = f"proxmox_virtual_environment_container.{id_}"
        """The container's Terraform address (known here: asking the resource is a round trip)."""
        if props.adopt:
            self.container.import_from(f"{props.node_name}/{props.vm_id}")


def _ignored_changes(props: PhoenixContainerProps) -> tuple[str, ...]:
    """Arguments Terraform must not act on for this container, and why.

    The provider never reads a container's template file or root account back, and both are
    ForceNew: an adopted container would otherwise be replaced on its first plan. Root keys
    are only installed when Proxmox creates the container, and changing them is ForceNew: a
    kept container ignores them.
    """
    ignored: list[str] = []
    if props.adopt:
        ignored.append("operating_system")
    if props.adopt or props.on_bootstrap_change is BootstrapChange.KEEP:
        ignored.append("initialization[0].user_account")
    return tuple(ignored)
