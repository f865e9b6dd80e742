"""`guests.yaml`: VM templates, VMs and LXC containers, keyed by their Proxmox VMID."""

from __future__ import annotations

from enum import Enum
from ipaddress import IPv4Address
from typing import Literal

from pydantic import Field, HttpUrl, model_validator

from .base import ConfigModel
from .types import (
    AbsolutePath,
    BridgeName,
    DatastoreId,
    FirewallAction,
    GuestIp,
    GuestName,
    LinuxUser,
    MacAddress,
    NodeName,
    Port,
    SshPublicKey,
    Tag,
    VlanId,
    VmId,
)


class Startup(ConfigModel):
    """Boot ordering when the node starts (Proxmox `startup`)."""

    order: int | None = Field(default=None, ge=0)
    """Position in the node's boot sequence; lower starts first. Default: unordered."""
    up_delay_seconds: int | None = Field(default=None, ge=0, le=3600)
    """Wait this long after starting the guest before starting the next. Default: none."""
    down_delay_seconds: int | None = Field(default=None, ge=0, le=3600)
    """Wait this long after stopping the guest before stopping the next. Default: none."""


class GuestNetwork(ConfigModel):
    """A guest's single NIC and its cloud-init (VM) or container IP configuration."""

    network: str | None = None
    """Name of a network in `proxmox.yaml`. Default: the only network declared there."""
    ip: GuestIp
    """Static address with prefix length (`10.0.0.102/24`) or `dhcp`."""
    gateway: IPv4Address | None = None
    """Default gateway. Default: the network's gateway (static addresses only)."""
    mac: MacAddress | None = None
    """Fixed MAC address. Default: Proxmox assigns one."""
    bridge: BridgeName | None = None
    """Override the network's bridge. Default: the network's bridge."""
    vlan: VlanId | None = None
    """Override the network's VLAN tag. Default: the network's VLAN."""

    @property
    def address(self) -> IPv4Address | None:
        """The static address without prefix length, or None with DHCP."""
        return None if self.ip == "dhcp" else self.ip.ip


class FirewallRule(ConfigModel):
    """One Proxmox firewall rule on a guest."""

    direction: Literal["in", "out"] = "in"
    """Traffic direction seen from the guest. Default: in."""
    action: FirewallAction = FirewallAction.ACCEPT
    """Default: ACCEPT."""
    macro: str | None = None
    """A Proxmox macro such as `SSH` or `HTTPS` instead of proto/ports. Default: none."""
    proto: Literal["tcp", "udp", "icmp", "ipv6-icmp"] | None = None
    """IP protocol. Required with `dport`/`sport` unless a macro is used. Default: any."""
    dport: str | None = Field(default=None, pattern=r"^\d+([:,]\d+)*$")
    """Destination port(s): `6333`, `8000:8100` or `80,443`. Default: any."""
    sport: str | None = Field(default=None, pattern=r"^\d+([:,]\d+)*$")
    """Source port(s). Default: any."""
    source: str | None = None
    """Source address, CIDR, alias or ipset (`+name`). Default: any."""
    dest: str | None = None
    """Destination address, CIDR, alias or ipset. Default: any."""
    comment: str | None = None
    """Shown in the Proxmox UI. Default: none."""
    log: Literal["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug", "nolog"] = (
        "nolog"
    )
    """Log level for matches. Default: nolog."""
    enabled: bool = True
    """Default: true."""

    @model_validator(mode="after")
    def _ports_need_protocol(self) -> FirewallRule:
        if (self.dport or self.sport) and not (self.proto or self.macro):
            raise ValueError("a rule with ports needs proto: tcp or udp (or a macro)")
        if self.macro and self.proto:
            raise ValueError("give either a macro or a proto, not both")
        return self


class GuestFirewall(ConfigModel):
    """The Proxmox firewall of one guest: options plus rules. Declaring it enables it."""

    enabled: bool = True
    """Default: true."""
    input_policy: FirewallAction = FirewallAction.DROP
    """What happens to inbound traffic no rule accepts. Default: DROP."""
    output_policy: FirewallAction = FirewallAction.ACCEPT
    """What happens to outbound traffic no rule matches. Default: ACCEPT."""
    rules: list[FirewallRule] = []
    """Evaluated in order. Default: none."""


class NfsVolume(ConfigModel):
    """A directory exported by the fleet's NFS server, mounted into a VM at boot."""

    export: AbsolutePath
    """Path exported by the NFS server, e.g. `/quickOS/vm-persistent-data/1002`."""
    mount_point: AbsolutePath
    """Where the guest mounts it, e.g. `/persistent-storage`."""
    read_only: bool = False
    """Default: read-write."""


class VmUser(ConfigModel):
    """The login cloud-init creates on a VM."""

    name: LinuxUser = "phoenix"
    """Default: `phoenix`."""
    ssh_keys: list[SshPublicKey] = []
    """Public keys allowed to log in. Default: none (console only)."""


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
    """Proxmox node. Default: the only node in `proxmox.yaml`."""
    description: str | None = None
    """Shown in the Proxmox UI. Default: none."""
    tags: list[Tag] = []
    """Proxmox tags (Proxmox sorts them). Default: none."""
    on_boot: bool = True
    """Start when the node boots. Default: true."""
    startup: Startup | None = None
    """Boot order and delays. Default: unordered."""
    firewall: GuestFirewall | None = None
    """Guest firewall. Default: not managed (Proxmox leaves it off)."""
    adopt: bool = False
    """The guest already exists (made by hand or by the old scripts): import it into Terraform
    state on the next deploy instead of creating it. Default: false."""
    ports: list[Port] = []
    """TCP ports services listen on besides those of its stacks and roles; gateway routes may
    target them. Default: none."""


class ImageChecksum(ConfigModel):
    """Expected digest of a downloaded image."""

    algorithm: Literal["md5", "sha1", "sha224", "sha256", "sha384", "sha512"] = "sha256"
    """Default: sha256."""
    value: str = Field(pattern=r"^[0-9a-fA-F]{32,128}$")
    """Hex digest."""


class CloudImage(ConfigModel):
    """A cloud image Proxmox downloads itself (`proxmox_download_file`, content `import`)."""

    url: HttpUrl
    """Where the node downloads the image from."""
    file_name: str = Field(pattern=r"^[A-Za-z0-9._-]+\.(qcow2|raw|img)$")
    """Name on the images datastore; `.qcow2` or `.raw` (Proxmox 8.4+ import content)."""
    checksum: ImageChecksum | None = None
    """Verify the download. Default: not verified (set it for reproducible templates)."""


class VmTemplate(ConfigModel):
    """A VM template that VMs are cloned from."""

    name: GuestName
    """Proxmox name of the template."""
    node: NodeName | None = None
    """Default: the only node."""
    managed: bool = True
    """Phoenix builds it from `image`. false: it already exists and is only cloned. Default: true."""
    image: CloudImage | None = None
    """Cloud image to build the template from; required when managed."""
    cores: int = Field(default=2, ge=1, le=128)
    """Default: 2."""
    memory_mib: int = Field(default=2048, ge=256, le=4_194_304)
    """Default: 2048."""
    disk_gib: int = Field(default=8, ge=1, le=65_536)
    """Size of the template's boot disk; clones may only grow it. Default: 8."""
    datastore: DatastoreId | None = None
    """Default: the node's disks datastore."""
    tags: list[Tag] = []
    """Default: none."""
    description: str | None = None
    """Default: none."""

    @model_validator(mode="after")
    def _image_when_managed(self) -> VmTemplate:
        if self.managed and self.image is None:
            raise ValueError("a managed template needs an image (or set managed: false)")
        return self


class Vm(GuestBase):
    """A VM cloned from a template and bootstrapped by cloud-init."""

    template: VmId
    """VMID of the template to clone (a key of `templates`)."""
    cores: int = Field(default=2, ge=1, le=128)
    """Default: 2."""
    cpu_type: str = "x86-64-v2-AES"
    """QEMU CPU model. Default: `x86-64-v2-AES` (the provider's default `qemu64` lacks AES)."""
    memory_mib: int = Field(default=2048, ge=256, le=4_194_304)
    """Default: 2048."""
    disk_gib: int = Field(default=32, ge=1, le=65_536)
    """Boot disk size; at least the template's. Default: 32."""
    datastore: DatastoreId | None = None
    """Datastore for the disk and cloud-init drive. Default: the node's disks datastore."""
    network: GuestNetwork
    """The VM's NIC."""
    user: VmUser = VmUser()
    """Default: user `phoenix` without SSH keys."""
    features: list[VmFeature] = []
    """What cloud-init installs. Default: nothing beyond the guest agent."""
    stacks: list[str] = []
    """Names from `stacks.yaml` deployed here through Portainer (needs portainer_agent)."""
    volumes: list[NfsVolume] = []
    """NFS volumes mounted at boot. Default: none."""
    agent_timeout_seconds: int = Field(default=300, ge=30, le=3600)
    """How long Terraform waits for the guest agent to report an address. Default: 300."""
    on_bootstrap_change: Literal["keep", "replace"] = "keep"
    """What a changed cloud-init bootstrap (features, volumes, user, keys) does to this VM once
    it exists: `keep` it running unchanged (new clones get the new bootstrap; force a rebuild
    with `terraform apply -replace=...`), or `replace` it (re-clone; local disk data is lost,
    NFS volumes survive). Default: keep."""


class ContainerFeatures(ConfigModel):
    """LXC features (Proxmox `features`); all off unless set."""

    nesting: bool = False
    """Allow nested containers (needed for Docker or systemd-heavy images). Default: false."""
    keyctl: bool = False
    """Allow the keyctl() syscall (Docker in unprivileged containers). Default: false."""
    fuse: bool = False
    """Allow FUSE mounts. Default: false."""
    mount: list[Literal["nfs", "cifs"]] = []
    """File systems the container may mount itself (privileged containers only). Default: none."""


class OsTemplate(ConfigModel):
    """The container's root file system image: an existing volume or a download."""

    file_id: str | None = Field(default=None, pattern=r"^[A-Za-z][A-Za-z0-9\-_.]*:vztmpl/.+$")
    """Existing template volume, e.g. `local:vztmpl/debian-12-standard_12.12-1_amd64.tar.zst`."""
    url: HttpUrl | None = None
    """Download the template onto the images datastore from this URL instead."""
    type: Literal[
        "alpine", "archlinux", "centos", "debian", "devuan", "fedora", "gentoo", "nixos",
        "opensuse", "ubuntu", "unmanaged",
    ] = "unmanaged"
    """Distribution, so Proxmox configures network and host name inside. Default: unmanaged."""

    @model_validator(mode="after")
    def _one_source(self) -> OsTemplate:
        if (self.file_id is None) == (self.url is None):
            raise ValueError("give exactly one of file_id or url")
        return self

    @property
    def download_file_name(self) -> str | None:
        """File name of a downloaded template (the last URL segment)."""
        return None if self.url is None else (self.url.path or "").rsplit("/", 1)[-1]


class RootFs(ConfigModel):
    """The container's root disk."""

    size_gib: int = Field(default=8, ge=1, le=65_536)
    """Default: 8."""
    datastore: DatastoreId | None = None
    """Default: the node's disks datastore."""


class BindMount(ConfigModel):
    """A node directory made visible inside the container."""

    host_path: AbsolutePath
    """Directory on the node."""
    path: AbsolutePath
    """Where it appears in the container."""
    read_only: bool = False
    """Default: read-write."""


class Container(GuestBase):
    """An LXC container. Unprivileged unless a config says otherwise on purpose."""

    os_template: OsTemplate
    """Root file system image."""
    unprivileged: bool = True
    """Map root in the container to an unprivileged host user. Default: true (Proxmox's own
    default is privileged)."""
    privileged_reason: str | None = None
    """Required when `unprivileged: false`: why this container must run privileged."""
    features: ContainerFeatures = ContainerFeatures()
    """LXC features. Default: all off."""
    cores: int = Field(default=1, ge=1, le=128)
    """Default: 1."""
    memory_mib: int = Field(default=512, ge=16, le=4_194_304)
    """Default: 512."""
    swap_mib: int = Field(default=512, ge=0, le=4_194_304)
    """Default: 512."""
    rootfs: RootFs = RootFs()
    """Default: 8 GiB on the node's disks datastore."""
    network: GuestNetwork
    """The container's NIC (eth0)."""
    ssh_keys: list[SshPublicKey] = []
    """Public keys for root. Default: none."""
    bind_mounts: list[BindMount] = []
    """Node directories mounted into the container. Default: none."""


class GuestsConfig(ConfigModel):
    """Contents of `guests.yaml`. VMs, containers and templates share one VMID space."""

    templates: dict[VmId, VmTemplate] = {}
    """VM templates by VMID."""
    vms: dict[VmId, Vm] = {}
    """VMs by VMID."""
    containers: dict[VmId, Container] = {}
    """LXC containers by VMID (CTID)."""
