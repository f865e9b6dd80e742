"""`guests.yaml`: VM templates, VMs and LXC containers, keyed by their Proxmox VMID."""

# Pydantic copies mutable defaults for every instance, so `= []` and `= {}` are safe here.
# ruff: noqa: RUF012

from __future__ import annotations

from enum import Enum
from ipaddress import IPv4Address
from operator import attrgetter
from typing import Annotated, Literal

from pydantic import (
    Field,
    StrictBool,
    StrictInt,
    ValidationInfo,
    field_validator,
)

from .base import ConfigModel
from .firewall import GuestFirewall
from .ha import GuestHa
from .images import CloudImage, OsTemplate
from .types import (
    AbsolutePath,
    BridgeName,
    DatastoreId,
    GpuName,
    GuestIp,
    GuestName,
    LinuxUser,
    MacAddress,
    Matches,
    MountPath,
    NetworkName,
    NodeName,
    Port,
    SshPublicKey,
    StackName,
    StrictIPv4Address,
    Tag,
    Unique,
    UniqueEnums,
    VlanId,
    VmId,
    VmIdKey,
)

Tags = Annotated[list[Tag], Unique(what="tag")]
GpuNames = Annotated[list[GpuName], Unique(what="GPU")]
SshKeys = Annotated[list[SshPublicKey], Unique(what="SSH key")]
Description = Annotated[str, Field(max_length=8192)]
"""Free text shown in the Proxmox UI (Proxmox keeps at most 8 KiB)."""


class Startup(ConfigModel):
    """Boot ordering when the node starts (Proxmox `startup`)."""

    order: StrictInt | None = Field(default=None, ge=0, le=999_999)
    """Position in the node's boot sequence; lower starts first. Default: unordered, started
    after every ordered guest."""
    up_delay_seconds: StrictInt | None = Field(default=None, ge=0, le=3600)
    """Wait this long after starting the guest before starting the next. Default: no wait."""
    down_delay_seconds: StrictInt | None = Field(default=None, ge=0, le=3600)
    """Wait this long after stopping the guest before stopping the next. Default: no wait."""


class GuestNetwork(ConfigModel):
    """A guest's single NIC and its cloud-init (VM) or container IP configuration."""

    network: NetworkName | None = None
    """Name of a network in `proxmox.yaml`. Default: the only network declared there (required
    when there are several)."""
    ip: GuestIp
    """Static address with prefix length (`10.0.0.102/24`) or `dhcp`."""
    gateway: StrictIPv4Address | None = None
    """Default gateway, static addresses only. Default: the network's gateway."""
    mac: MacAddress | None = None
    """Fixed MAC address. Default: Proxmox assigns one."""
    bridge: BridgeName | None = None
    """Override the network's bridge. Default: the network's bridge."""
    vlan: VlanId | None = None
    """Override the network's VLAN tag. Default: the network's VLAN (or untagged)."""

    @property
    def address(self) -> IPv4Address | None:
        """The static address without prefix length, or None with DHCP."""
        return None if self.ip == "dhcp" else self.ip.ip


class NfsVolume(ConfigModel):
    """A directory exported by the fleet's NFS server, mounted into a VM at boot."""

    export: AbsolutePath
    """Path exported by the NFS server, e.g. `/quickOS/vm-persistent-data/1002`."""
    mount_point: MountPath
    """Where the guest mounts it, e.g. `/persistent-storage`."""
    read_only: StrictBool = False
    """Mount without write access. Default: false, read-write."""


class VmUser(ConfigModel):
    """The login cloud-init creates on a VM."""

    name: LinuxUser = "phoenix"
    """Login name, with passwordless sudo (and in the `docker` group with the docker feature).
    Default: `phoenix`."""
    ssh_keys: SshKeys = []
    """Public keys allowed to log in. Default: empty, the user has no SSH login (console
    only)."""


class VmFeature(str, Enum):
    """What cloud-init sets up on a VM at first boot."""

    DOCKER = "docker"
    """Docker engine and the compose plugin."""
    PORTAINER_SERVER = "portainer_server"
    """The Portainer server container (needs docker)."""
    PORTAINER_AGENT = "portainer_agent"
    """The Portainer agent container (needs docker)."""


class GuestBase(ConfigModel):
    """What every guest has, whatever its kind."""

    name: GuestName
    """Host name and Proxmox name; unique across the fleet."""
    node: NodeName | None = None
    """Proxmox node. Default: the only node in `proxmox.yaml` (required when there are
    several)."""
    description: Description | None = None
    """Shown in the Proxmox UI. Default: no description."""
    tags: Tags = []
    """Proxmox tags (Proxmox sorts them). Default: no tags."""
    on_boot: StrictBool = True
    """Start when the node boots. Default: true."""
    startup: Startup | None = None
    """Boot order and delays. Default: unordered, no delays."""
    firewall: GuestFirewall | None = None
    """Guest firewall. Default: not managed (Proxmox leaves it off)."""
    adopt: StrictBool = False
    """The guest already exists (made by hand or by the old scripts): import it into Terraform
    state on the next deploy instead of creating it. Default: false, Phoenix creates it."""
    renumbered_from: VmId | None = None
    """The VMID this guest had until now. Proxmox cannot change a VMID, so Terraform rebuilds
    the guest under the new one: it removes the old guest first, then creates the new one
    (never both at once: same name, same address). Local disk data is lost; NFS volumes
    survive. Harmless once deployed. Default: not renumbered (a changed VMID without it is a
    new guest next to the old one)."""
    ports: Annotated[list[Port], Unique(what="port")] = []
    """TCP ports services listen on besides those of its stacks and roles; gateway routes may
    target them. Default: empty, only stack and role ports."""
    ha: GuestHa | None = None
    """Manage the guest with the Proxmox HA manager, so it comes back on another node when its
    node fails (`ha: {}`, or with a group). Its disks must be on `shared_storage`. Default: not
    HA, it stays down with its node."""


class VmTemplate(ConfigModel):
    """A VM template that VMs are cloned from."""

    name: GuestName
    """Proxmox name of the template."""
    node: NodeName | None = None
    """Node the template lives on. Default: the only node (required when there are several)."""
    managed: StrictBool = True
    """Phoenix builds the template from `image`; false: it already exists and is only cloned.
    Default: true."""
    image: CloudImage | None = None
    """Cloud image to build the template from; required when managed. Default: no image
    (only valid with `managed: false`)."""
    cores: StrictInt = Field(default=2, ge=1, le=128)
    """CPU cores while the template is built. Default: 2."""
    memory_mib: StrictInt = Field(default=2048, ge=256, le=4_194_304)
    """Memory in MiB while the template is built. Default: 2048."""
    disk_gib: StrictInt = Field(default=8, ge=1, le=65_536)
    """Size of the template's boot disk; clones may only grow it. Default: 8."""
    datastore: DatastoreId | None = None
    """Datastore for the template's disk. Default: the node's disks datastore."""
    bridge: BridgeName = "vmbr0"
    """Bridge of the template's NIC; clones replace the NIC with their own network's.
    Default: `vmbr0`."""
    tags: Tags = []
    """Proxmox tags. Default: no tags."""
    description: Description | None = None
    """Shown in the Proxmox UI. Default: no description."""

    @field_validator("image")
    @classmethod
    def _image_when_managed(
        cls, image: CloudImage | None, info: ValidationInfo
    ) -> CloudImage | None:
        if image is None and info.data.get("managed", True):
            raise ValueError("required for a managed template (or set managed: false)")
        return image


class Vm(GuestBase):
    """A VM cloned from a template and bootstrapped by cloud-init."""

    template: VmId
    """VMID of the template to clone (a key of `templates`)."""
    cores: StrictInt = Field(default=2, ge=1, le=128)
    """CPU cores. Default: 2."""
    cpu_type: Annotated[
        str, Matches(r"[A-Za-z0-9][A-Za-z0-9_.+-]*", "CPU type", "a QEMU CPU model such as host")
    ] = "x86-64-v2-AES"
    """QEMU CPU model. Default: `x86-64-v2-AES` (the provider's default `qemu64` lacks AES)."""
    memory_mib: StrictInt = Field(default=2048, ge=256, le=4_194_304)
    """Memory in MiB (no ballooning). Default: 2048."""
    disk_gib: StrictInt = Field(default=32, ge=1, le=65_536)
    """Boot disk size; at least the template's. Default: 32."""
    datastore: DatastoreId | None = None
    """Datastore for the disk and cloud-init drive. Default: the node's disks datastore."""
    network: GuestNetwork
    """The VM's NIC."""
    user: VmUser = VmUser()
    """The login cloud-init creates. Default: user `phoenix` without SSH keys."""
    features: Annotated[list[VmFeature], UniqueEnums] = []
    """What cloud-init installs. Default: nothing beyond the guest agent."""
    stacks: Annotated[list[StackName], Unique(what="stack")] = []
    """Names from `stacks.yaml` deployed here through Portainer (needs portainer_agent).
    Default: no stacks."""
    volumes: Annotated[
        list[NfsVolume], Unique(key=attrgetter("mount_point"), what="mount point")
    ] = []
    """NFS volumes mounted at boot. Default: no volumes."""
    agent_timeout_seconds: StrictInt = Field(default=300, ge=30, le=3600)
    """How long Terraform waits for the guest agent to report an address. Default: 300."""
    on_bootstrap_change: Literal["keep", "replace"] = "keep"
    """What a changed cloud-init bootstrap (template, features, volumes, user, keys) does to
    this VM once it exists: `keep` it running unchanged (new clones get the new bootstrap;
    force a rebuild with `terraform apply -replace=...`), or `replace` it (re-clone; local disk
    data is lost, NFS volumes survive). Default: keep."""
    on_node_change: Literal["migrate", "rebuild"] = "migrate"
    """What moving the VM to another `node` does: `migrate` it live, disks included (the
    target node needs the VM's disk storage), or `rebuild` it there (re-clone; local disk
    data is lost). Default: migrate."""
    gpus: GpuNames = []
    """GPUs of its node (`proxmox.yaml` `nodes.<node>.gpus`) passed through to the VM as PCIe
    devices; cloud-init installs the NVIDIA driver, and with docker the NVIDIA Container
    Toolkit. Needs `machine: q35`. Default: no GPU."""
    machine: Literal["pc", "q35"] | None = None
    """QEMU machine type: `pc` (i440fx) or `q35` (PCIe, needed for GPUs). Default: the
    template's (Proxmox's own default is pc)."""
    nvidia_driver: Annotated[
        str,
        Matches(
            r"[0-9]{3}(-server)?(-open)?",
            "Ubuntu NVIDIA driver branch",
            "a branch such as 570-server or 570-server-open",
        ),
    ] = "570-server"
    """Ubuntu's NVIDIA driver branch cloud-init installs for the VM's GPUs (`ubuntu-drivers
    install --gpgpu nvidia:<branch>`). Only used with `gpus`. Default: `570-server`."""
    clone_across_nodes: StrictBool = False
    """Clone a template that lives on another node: Proxmox clones it there and migrates the
    clone (copying its disks over the network when they are not on shared storage). Default:
    false, the template must be on the VM's node."""


class ContainerFeatures(ConfigModel):
    """LXC features (Proxmox `features`); all off unless set."""

    nesting: StrictBool = False
    """Allow nested containers (needed for Docker or systemd-heavy images). Default: false."""
    keyctl: StrictBool = False
    """Allow the keyctl() syscall (Docker in unprivileged containers). Default: false."""
    fuse: StrictBool = False
    """Allow FUSE mounts. Default: false."""
    mount: Annotated[list[Literal["nfs", "cifs"]], Unique(what="file system")] = []
    """File systems the container may mount itself (privileged containers only). Default:
    empty, the container mounts nothing itself."""


class RootFs(ConfigModel):
    """The container's root disk."""

    size_gib: StrictInt = Field(default=8, ge=1, le=65_536)
    """Size in GiB; it can only grow (shrinking recreates the container). Default: 8."""
    datastore: DatastoreId | None = None
    """Storage for the root disk. Default: the node's disks datastore."""


class BindMount(ConfigModel):
    """A node directory made visible inside the container."""

    host_path: AbsolutePath
    """Directory on the node."""
    path: MountPath
    """Where it appears in the container."""
    read_only: StrictBool = False
    """Mount without write access. Default: false, read-write."""


class Container(GuestBase):
    """An LXC container. Unprivileged unless a config says otherwise on purpose."""

    os_template: OsTemplate
    """Root file system image."""
    unprivileged: StrictBool = True
    """Map root in the container to an unprivileged host user. Default: true (Proxmox's own
    default is privileged)."""
    privileged_reason: Annotated[str, Field(min_length=1)] | None = None
    """Required when `unprivileged: false`: why this container must run privileged.
    Default: none, the container must stay unprivileged."""
    features: ContainerFeatures = ContainerFeatures()
    """LXC features. Default: all off."""
    cores: StrictInt = Field(default=1, ge=1, le=128)
    """CPU cores. Default: 1."""
    memory_mib: StrictInt = Field(default=512, ge=16, le=4_194_304)
    """Memory in MiB. Default: 512."""
    swap_mib: StrictInt = Field(default=512, ge=0, le=4_194_304)
    """Swap in MiB; 0 disables it. Default: 512."""
    rootfs: RootFs = RootFs()
    """Root disk. Default: 8 GiB on the node's disks datastore."""
    network: GuestNetwork
    """The container's NIC (eth0)."""
    ssh_keys: SshKeys = []
    """Public keys for root. Default: empty, no SSH login (use `pct enter` on the node)."""
    bind_mounts: Annotated[list[BindMount], Unique(key=attrgetter("path"), what="mount path")] = []
    """Node directories mounted into the container. Default: no bind mounts."""
    gpus: GpuNames = []
    """GPUs of its node passed into the container as device nodes (`/dev/nvidia<minor>`,
    `/dev/nvidiactl`, `/dev/nvidia-uvm`, `/dev/nvidia-uvm-tools`); containers share the
    node's driver, and after creation Phoenix installs the matching user-space libraries
    (`nodes.<node>.nvidia_driver`). Proxmox lets only root@pam configure device passthrough.
    Default: no GPU."""
    gpu_group_id: StrictInt = Field(default=44, ge=0, le=65_535)
    """Group that owns the GPU device nodes inside the container (mode 0660): its members,
    and root, can use the GPU. Default: 44, the `video` group of Debian and Ubuntu."""
    on_bootstrap_change: Literal["keep", "replace"] = "keep"
    """What changed `ssh_keys` do to this container once it exists: `keep` it running (Proxmox
    only installs keys when it creates a container: put the new key in place yourself, see
    the README's lifecycle table), or `replace` it (recreate it with the new keys; its root
    disk is lost). Default: keep."""


class GuestsConfig(ConfigModel):
    """Contents of `guests.yaml`. VMs, containers and templates share one VMID space."""

    templates: dict[VmIdKey, VmTemplate] = {}
    """VM templates by VMID. Default: no templates (then there can be no VMs)."""
    vms: dict[VmIdKey, Vm] = {}
    """VMs by VMID. Default: no VMs."""
    containers: dict[VmIdKey, Container] = {}
    """LXC containers by VMID (CTID). Default: no containers."""
