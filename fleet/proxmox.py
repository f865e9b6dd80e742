"""`proxmox.yaml`: the Proxmox VE cluster Phoenix deploys to and the networks guests join."""

# Pydantic copies mutable defaults for every instance, so `= []` and `= {}` are safe here.
# ruff: noqa: RUF012

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network
from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictInt, ValidationInfo, field_validator

from .base import ConfigModel
from .ha import HaConfig
from .hints import shown
from .types import (
    BridgeName,
    DatastoreId,
    DnsDomain,
    FirewallAction,
    ForwardPolicy,
    GpuName,
    HostName,
    LinuxUser,
    Matches,
    NetworkName,
    NodeName,
    NvidiaDriverVersion,
    PciAddress,
    PciDeviceId,
    Port,
    StrictIPv4Address,
    StrictIPv4Network,
    Unique,
    VlanId,
    WebUrl,
)


class ProxmoxApi(ConfigModel):
    """How Terraform reaches the Proxmox VE API. Credentials never live here: the provider reads
    `PROXMOX_VE_API_TOKEN` (or `PROXMOX_VE_USERNAME`/`PROXMOX_VE_PASSWORD`) from the environment."""

    endpoint: WebUrl
    """Base URL of the API, e.g. `https://10.0.0.13:8006/` (without `/api2/json`)."""
    insecure_tls: StrictBool = False
    """Accept the node's self-signed certificate. Default: false, the certificate is verified."""
    auth: Literal["api_token", "root_password"] = "api_token"
    """Which credentials deploys use, so the fleet checks know what Proxmox will allow:
    `api_token` (`PROXMOX_VE_API_TOKEN`), or `root_password` (`PROXMOX_VE_USERNAME=root@pam`
    and `PROXMOX_VE_PASSWORD`). Some settings only root@pam may make, whatever a token's
    privileges: device passthrough into containers, say. Default: api_token."""

    @field_validator("endpoint")
    @classmethod
    def _no_api_path(cls, endpoint: WebUrl) -> WebUrl:
        if endpoint.path and "api2" in endpoint.path:
            raise ValueError(
                f"{shown(str(endpoint))}: give the base URL (https://host:8006/), "
                "without /api2/json"
            )
        if endpoint.scheme != "https":
            raise ValueError(f"{shown(str(endpoint))}: the Proxmox API is served over https")
        return endpoint


class ProxmoxSsh(ConfigModel):
    """SSH from the machine running Terraform to the nodes; the provider needs it to upload
    cloud-init snippets. Keys come from ssh-agent or `PROXMOX_VE_SSH_PRIVATE_KEY`, never config."""

    username: LinuxUser = "root"
    """Node account used for uploads: root, or a user with the provider's sudo rules.
    Default: root."""
    use_agent: StrictBool = True
    """Authenticate with the running ssh-agent (`SSH_AUTH_SOCK`). Default: true; with false
    the key comes from `PROXMOX_VE_SSH_PRIVATE_KEY`."""


class Datastores(ConfigModel):
    """Which Proxmox storage holds what on a node."""

    disks: DatastoreId = "local-lvm"
    """VM disks, cloud-init drives and container root filesystems. Default: `local-lvm`."""
    snippets: DatastoreId = "local"
    """Cloud-init snippets; the storage must allow the `Snippets` content type. Default: `local`."""
    images: DatastoreId = "local"
    """Downloaded cloud images (`import` content) and container templates (`vztmpl`).
    Default: `local`."""


class Gpu(ConfigModel):
    """A GPU in a node, declared once and given to guests by its name."""

    pci_address: PciAddress
    """Where it sits on the node's PCI bus, as `lspci -D` prints it: `0000:01:00.0`. A VM
    gets it through a cluster PCI mapping of this address, so a renumbered bus only changes
    this line."""
    device_id: PciDeviceId
    """Vendor and device id, as `lspci -n -s <address>` prints them: `10de:2684`. Proxmox
    checks it before starting a VM with the GPU."""
    subsystem_id: PciDeviceId | None = None
    """Subsystem vendor and device id (`lspci -nv`), which Proxmox also checks. Default: not
    checked (Proxmox then flags the mapping as incomplete)."""
    iommu_group: StrictInt | None = Field(default=None, ge=0, le=65_535)
    """IOMMU group of the device, which Proxmox also checks. Default: not checked."""
    minor: StrictInt = Field(default=0, ge=0, le=255)
    """Number of its device node `/dev/nvidia<minor>` on the node (`nvidia-smi -q` shows it as
    Minor Number), which containers given the GPU receive; the node's driver numbers only the
    GPUs it drives, not those bound to VMs. Default: 0, the first GPU."""


class ProxmoxNode(ConfigModel):
    """One node of the cluster, by the name Proxmox knows it under."""

    address: HostName
    """Address Terraform's SSH connects to for snippet uploads (IPv4 address or DNS name)."""
    ssh_port: Port = 22
    """SSH port on that address. Default: 22."""
    datastores: Datastores = Datastores()
    """Storage ids on this node. Default: `local-lvm` for disks, `local` for snippets and
    images."""
    cores: StrictInt | None = Field(default=None, ge=1, le=16_384)
    """CPU cores its guests may be given in total: the node's threads, or more if you accept
    overcommitting them. Default: not declared, the guests' cores are not checked."""
    memory_mib: StrictInt | None = Field(default=None, ge=256, le=67_108_864)
    """Memory in MiB its guests may be given in total: the node's RAM less what Proxmox, ZFS
    and Ceph need. Default: not declared, the guests' memory is not checked."""
    bridges: Annotated[list[BridgeName], Unique(what="bridge")] | None = None
    """Linux bridges this node has (`vmbr0`, ...); a guest's NIC must use one of them.
    Default: not declared, bridges are not checked."""
    storage: Annotated[list[DatastoreId], Unique(what="datastore")] | None = None
    """Node-local datastores this node has (`local`, `local-lvm`, ...); with `shared_storage`
    they are the datastores its guests and `datastores` may name. Default: not declared,
    datastores are not checked."""
    gpus: dict[GpuName, Gpu] = {}
    """GPUs in this node by name; guests list the names they use. A GPU of the same name on
    several nodes is one cluster mapping, so a VM using it can run on any of them. Default: no
    GPUs."""
    nvidia_driver: NvidiaDriverVersion | None = None
    """Version of the NVIDIA driver installed on the node (`nvidia-smi` shows it). Containers
    share the node's kernel driver and get user-space libraries of exactly this version.
    Default: none, so no container on this node can use a GPU."""

    @field_validator("gpus")
    @classmethod
    def _distinct_addresses(cls, gpus: dict[str, Gpu]) -> dict[str, Gpu]:
        seen: dict[str, str] = {}
        for name, gpu in gpus.items():
            if gpu.pci_address in seen:
                raise ValueError(
                    f"{seen[gpu.pci_address]} and {name} have the same pci_address "
                    f"{gpu.pci_address}; a GPU is declared once"
                )
            seen[gpu.pci_address] = name
        return gpus


class Network(ConfigModel):
    """A layer-2 network guests attach to: a bridge (optionally a VLAN on it) and its subnet."""

    bridge: BridgeName = "vmbr0"
    """Linux bridge on the nodes. Default: `vmbr0`."""
    vlan: VlanId | None = None
    """802.1Q tag for guest NICs on this network. Default: untagged."""
    cidr: StrictIPv4Network
    """Subnet of the network, e.g. `10.0.0.0/24`; static guest addresses must fall inside it."""
    gateway: StrictIPv4Address | None = None
    """Default gateway handed to guests with static addresses. Default: no gateway, guests
    only reach their own subnet."""
    dns_servers: Annotated[list[StrictIPv4Address], Unique(what="DNS server")] = []
    """Resolvers handed to guests. Default: empty, guests keep the resolvers of their image."""
    dns_domain: DnsDomain | None = None
    """Search domain handed to guests, e.g. `phoenix.local`. Default: no search domain."""

    @field_validator("cidr", mode="before")
    @classmethod
    def _network_address(cls, value: object) -> object:
        # `10.0.0.5/24` is a host address; say which network was meant instead of a bare error.
        if isinstance(value, str):
            try:
                IPv4Network(value)
            except ValueError:
                try:
                    network = IPv4Network(value, strict=False)
                except ValueError:
                    raise ValueError(
                        f"{shown(value)} is not an IPv4 network like 10.0.0.0/24"
                    ) from None
                raise ValueError(
                    f"{shown(value)} has host bits set; the network is {network}"
                ) from None
        return value

    @field_validator("gateway")
    @classmethod
    def _gateway_inside(
        cls, gateway: IPv4Address | None, info: ValidationInfo
    ) -> IPv4Address | None:
        cidr = info.data.get("cidr")
        if gateway is None or not isinstance(cidr, IPv4Network):
            return gateway
        if gateway not in cidr:
            raise ValueError(f"gateway {gateway} is outside network {cidr}")
        if cidr.prefixlen < 31 and gateway in (cidr.network_address, cidr.broadcast_address):
            raise ValueError(f"{gateway} is the network or broadcast address of {cidr}")
        return gateway


class NfsServer(ConfigModel):
    """The NFS server that backs guests' persistent volumes."""

    address: StrictIPv4Address
    """Address guests mount exports from."""
    mount_options: Annotated[
        str,
        Matches(r"[A-Za-z0-9_=.,:-]+", "mount option list", "comma-separated, without spaces"),
    ] = "rw,hard,noatime,_netdev"
    """Options for every NFS mount. Default: `rw,hard,noatime,_netdev`."""


class ClusterFirewall(ConfigModel):
    """Datacenter-wide firewall options (`proxmox_virtual_environment_cluster_firewall`)."""

    enabled: StrictBool = True
    """Turn the Proxmox firewall on for the cluster. Default: true (declaring the block means
    it)."""
    input_policy: FirewallAction = FirewallAction.DROP
    """Policy for inbound traffic to the nodes. Default: DROP."""
    output_policy: FirewallAction = FirewallAction.ACCEPT
    """Policy for outbound traffic from the nodes. Default: ACCEPT."""
    forward_policy: ForwardPolicy = ForwardPolicy.ACCEPT
    """Policy for routed traffic. Default: ACCEPT."""
    ebtables: StrictBool = True
    """Enable ebtables rules cluster-wide. Default: true, as Proxmox ships."""


class ProxmoxConfig(ConfigModel):
    """Contents of `proxmox.yaml`: the cluster API, SSH for uploads, nodes, networks, NFS."""

    api: ProxmoxApi
    """The cluster API endpoint."""
    ssh: ProxmoxSsh = ProxmoxSsh()
    """SSH settings for snippet uploads. Default: user root through the running ssh-agent."""
    nodes: dict[NodeName, ProxmoxNode] = Field(min_length=1)
    """Nodes by name. Guests name their node; with one node it is every guest's node."""
    networks: dict[NetworkName, Network] = Field(min_length=1)
    """Networks by name. Guests name their network; with one network it is every guest's
    network."""
    nfs: NfsServer | None = None
    """NFS server for persistent volumes. Default: no NFS server, so guests cannot declare
    volumes."""
    cluster_firewall: ClusterFirewall | None = None
    """Cluster firewall policy. Default: left as it is on the cluster, not managed by Phoenix."""
    shared_storage: Annotated[list[DatastoreId], Unique(what="datastore")] = []
    """Datastores every node reaches alike (Ceph RBD, CephFS, NFS, iSCSI): HA guests keep their
    disks and snippets there. Default: none, all storage is local to its node."""
    ha: HaConfig | None = None
    """High availability: the Proxmox VE version and HA groups. Default: Proxmox VE 9, no
    groups (HA guests then run on any node)."""
