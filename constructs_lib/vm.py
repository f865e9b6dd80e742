"""PhoenixVm: a VM cloned from a template, configured by cloud-init, watched by the guest agent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

from constructs import Construct

from cdk import TerraformResourceLifecycle
from imports.proxmox.virtual_environment_vm import (
    VirtualEnvironmentVm,
    VirtualEnvironmentVmAgent,
    VirtualEnvironmentVmAgentWaitForIp,
    VirtualEnvironmentVmClone,
    VirtualEnvironmentVmCpu,
    VirtualEnvironmentVmDisk,
    VirtualEnvironmentVmHostpci,
    VirtualEnvironmentVmInitialization,
    VirtualEnvironmentVmInitializationDns,
    VirtualEnvironmentVmInitializationIpConfig,
    VirtualEnvironmentVmInitializationIpConfigIpv4,
    VirtualEnvironmentVmInitializationUserAccount,
    VirtualEnvironmentVmMemory,
    VirtualEnvironmentVmNetworkDevice,
    VirtualEnvironmentVmOperatingSystem,
    VirtualEnvironmentVmSerialDevice,
    VirtualEnvironmentVmStartup,
)

from .gpu import PciPassthroughProps
from .guest_props import BootstrapChange, DnsProps, Ipv4Props, NicProps, StartupProps
from .template import PhoenixVmTemplate
from .terraform_json import terraform_json_rules
from .validation import check, sizing_rules


class NodeChange(str, Enum):
    """What a new `node_name` does to a VM that already exists."""

    MIGRATE = "migrate"
    """Migrate it live to the new node, local disks included (the target needs the same
    storage); the VM, its disks and its firewall stay."""
    REBUILD = "rebuild"
    """Destroy it and clone it again on the new node. Local disk data is lost."""


@dataclass(frozen=True, kw_only=True)
class PhoenixVmProps:
    """Props of PhoenixVm."""

    node_name: str
    """Proxmox node the VM runs on."""
    vm_id: int
    """VMID; changing it replaces the VM."""
    name: str
    """Proxmox name and host name."""
    template: PhoenixVmTemplate | int
    """What to clone: a PhoenixVmTemplate of the same app (the clone then waits for it) or the
    VMID of a template that already exists."""
    template_node_name: str | None = None
    """Node holding the template when it is not `node_name`. Default: the same node."""
    datastore_id: str
    """Datastore for the boot disk and the cloud-init drive (named explicitly: the provider's
    default `local-lvm` does not exist on every node)."""
    disk_gib: int = 32
    """Boot disk size; clones can grow the template's disk, never shrink it. Default: 32."""
    disk_interface: str = "scsi0"
    """Slot of the template's boot disk. Default: `scsi0`."""
    cores: int = 2
    """Default: 2."""
    cpu_type: str = "x86-64-v2-AES"
    """QEMU CPU model. Default: `x86-64-v2-AES`."""
    memory_mib: int = 2048
    """Default: 2048."""
    nic: NicProps = field(default_factory=NicProps)
    """Default: an untagged virtio NIC on `vmbr0`."""
    ipv4: Ipv4Props
    """Address configured by cloud-init."""
    dns: DnsProps = field(default_factory=DnsProps)
    """Default: the image's resolver settings."""
    user_data_file_id: str | None = None
    """Cloud-init user-data snippet (`<datastore>:snippets/<file>`). It then owns the user,
    keys and packages. Default: Proxmox generates user-data from `username`/`ssh_keys`."""
    on_bootstrap_change: BootstrapChange = BootstrapChange.KEEP
    """Effect of a new user-data snippet or template on an existing VM. Default: keep the VM."""
    on_node_change: NodeChange = NodeChange.MIGRATE
    """Effect of a new `node_name` on an existing VM. Default: migrate it."""
    username: str | None = None
    """Login created by Proxmox's generated user-data (not with `user_data_file_id`).
    Default: the image's default user."""
    ssh_keys: Sequence[str] = ()
    """Public keys for `username`. Default: none."""
    agent_timeout_seconds: int = 300
    """Bound on each wait for the guest agent (create and refresh). Default: 300."""
    on_boot: bool = True
    """Start with the node. Default: true."""
    startup: StartupProps | None = None
    """Boot ordering. Default: unordered."""
    tags: Sequence[str] = ()
    """Default: none."""
    description: str | None = None
    """Default: none."""
    adopt: bool = False
    """Import the existing VM `node_name/vm_id` instead of creating it, keeping the disk
    and bootstrap it was created with. Default: false."""
    machine: str | None = None
    """QEMU machine type, `pc` or `q35`. Default: the template's."""
    pci_devices: Sequence[PciPassthroughProps] = ()
    """Mapped PCI devices (GPUs), in slots `hostpci0`, `hostpci1`, ... Default: none."""


class PhoenixVm(Construct):
    """A full clone of a template with explicit CPU, memory, disk, NIC and cloud-init settings.

    The guest agent is enabled with a bounded timeout and waits for an IPv4 address, so
    outputs carry real addresses; `stop_on_destroy` lets Terraform destroy a VM whose agent
    stopped answering instead of hanging on a clean shutdown.

    Terraform address: `proxmox_virtual_environment_vm.<id>`.
    """

    def __init__(self, scope: Construct, id_: str, props: PhoenixVmProps) -> None:
        super().__init__(scope, id_)
        terraform_json_rules(scope)
        check(
            f"vm {props.vm_id}",
            [
                *sizing_rules(
                    vm_id=props.vm_id,
                    cores=props.cores,
                    memory_mib=props.memory_mib,
                    disk_gib=props.disk_gib,
                    min_memory_mib=256,
                ),
                (
                    props.agent_timeout_seconds < 1,
                    f"agent_timeout_seconds {props.agent_timeout_seconds} must be positive",
                ),
                (
                    props.user_data_file_id is not None
                    and (props.username is not None or bool(props.ssh_keys)),
                    "username/ssh_keys conflict with user_data_file_id: "
                    "put the user in the snippet",
                ),
                *props.ipv4.problems(),
                (len(props.pci_devices) > 16, "at most 16 PCI devices (hostpci0-15)"),
                (
                    any(device.pcie for device in props.pci_devices) and props.machine != "q35",
                    f"PCIe passthrough needs machine 'q35', got {props.machine!r}",
                ),
            ],
        )
        self.props = props
        # A template construct is referenced by token, so Terraform clones only once it exists.
        template_vm_id = (
            props.template.vm_id_reference
            if isinstance(props.template, PhoenixVmTemplate)
            else props.template
        )
        user_account = None
        if props.username is not None or props.ssh_keys:
            user_account = VirtualEnvironmentVmInitializationUserAccount(
                username=props.username, keys=list(props.ssh_keys) or None
            )

        ignored = _ignored_changes(props)
        self.vm = VirtualEnvironmentVm(
            self,
            "resource",
            node_name=props.node_name,
            vm_id=props.vm_id,
            name=props.name,
            description=props.description,
            tags=sorted(props.tags) or None,  # Proxmox sorts tags; unsorted lists drift
            clone=VirtualEnvironmentVmClone(
                vm_id=template_vm_id, node_name=props.template_node_name, full=True
            ),
            cpu=VirtualEnvironmentVmCpu(cores=props.cores, type=props.cpu_type),
            memory=VirtualEnvironmentVmMemory(dedicated=props.memory_mib),
            # Every disk attribute is explicit: omitted ones reset to provider defaults on a clone.
            disk=[
                VirtualEnvironmentVmDisk(
                    interface=props.disk_interface,
                    datastore_id=props.datastore_id,
                    size=props.disk_gib,
                    discard="on",
                    iothread=True,
                )
            ],
            network_device=[
                VirtualEnvironmentVmNetworkDevice(
                    bridge=props.nic.bridge,
                    model="virtio",
                    vlan_id=props.nic.vlan_id,
                    mac_address=props.nic.mac_address,
                    firewall=props.nic.firewall,
                )
            ],
            initialization=VirtualEnvironmentVmInitialization(
                datastore_id=props.datastore_id,
                ip_config=[
                    VirtualEnvironmentVmInitializationIpConfig(
                        ipv4=VirtualEnvironmentVmInitializationIpConfigIpv4(
                            address=props.ipv4.address, gateway=props.ipv4.gateway
                        )
                    )
                ],
                dns=VirtualEnvironmentVmInitializationDns(
                    servers=list(props.dns.servers), domain=props.dns.domain
                )
                if props.dns.servers or props.dns.domain
                else None,
                user_account=user_account,
                user_data_file_id=props.user_data_file_id,
            ),
            agent=VirtualEnvironmentVmAgent(
                enabled=True,
                timeout=f"{props.agent_timeout_seconds}s",
                wait_for_ip=VirtualEnvironmentVmAgentWaitForIp(ipv4=True),
            ),
            serial_device=[VirtualEnvironmentVmSerialDevice(device="socket")],
            machine=props.machine,
            # rombar explicitly: the provider sends false for an unset one (Proxmox's default
            # is true), and xvga off: these GPUs compute, the VM keeps its own display.
            hostpci=[
                VirtualEnvironmentVmHostpci(
                    device=f"hostpci{slot}",
                    mapping=device.mapping,
                    pcie=device.pcie,
                    rombar=True,
                    xvga=False,
                )
                for slot, device in enumerate(props.pci_devices)
            ]
            or None,
            operating_system=VirtualEnvironmentVmOperatingSystem(type="l26"),
            on_boot=props.on_boot,
            started=True,
            startup=VirtualEnvironmentVmStartup(
                order=props.startup.order,
                up_delay=props.startup.up_delay_seconds,
                down_delay=props.startup.down_delay_seconds,
            )
            if props.startup
            else None,
            stop_on_destroy=True,
            migrate=props.on_node_change is NodeChange.MIGRATE,
            lifecycle=TerraformResourceLifecycle(ignore_changes=list(ignored)) if ignored else None,
        )
        self.vm.override_logical_id(id_)
        self.terraform_address = f"proxmox_virtual_environment_vm.{id_}"
        """The VM's Terraform address (known here: asking the resource is a jsii round trip)."""
        if props.adopt:
            self.vm.import_from(f"{props.node_name}/{props.vm_id}")


def _ignored_changes(props: PhoenixVmProps) -> tuple[str, ...]:
    """Arguments Terraform must not act on for this VM, and why.

    `clone` and the snippet only matter when the VM is created, yet every `clone` argument and
    the snippet id are ForceNew: a kept VM ignores them (cloud-init would not run again on it
    anyway). An adopted VM was never cloned by this state: the provider reads no `clone` back,
    so the import would plan a replacement (bpg/terraform-provider-proxmox#1988). A migrated
    VM keeps its clone source's node, which would otherwise change with the VM's.
    """
    keep = props.on_bootstrap_change is BootstrapChange.KEEP or props.adopt
    ignored: list[str] = []
    if keep:
        ignored.append("clone")
    elif props.on_node_change is NodeChange.MIGRATE:
        ignored.append("clone[0].node_name")
    if props.user_data_file_id and keep:
        ignored.append("initialization[0].user_data_file_id")
    return tuple(ignored)
