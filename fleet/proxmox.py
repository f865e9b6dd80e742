"""`proxmox.yaml`: the Proxmox VE cluster Phoenix deploys to and the networks guests join."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

from pydantic import Field, HttpUrl, field_validator, model_validator

from .base import ConfigModel
from .types import BridgeName, DatastoreId, FirewallAction, ForwardPolicy, NodeName, VlanId


class ProxmoxApi(ConfigModel):
    """How Terraform reaches the Proxmox VE API. Credentials never live here: the provider reads
    `PROXMOX_VE_API_TOKEN` (or `PROXMOX_VE_USERNAME`/`PROXMOX_VE_PASSWORD`) from the environment."""

    endpoint: HttpUrl
    """Base URL of the API, e.g. `https://10.0.0.13:8006/` (without `/api2/json`)."""
    insecure_tls: bool = False
    """Accept the node's self-signed certificate. Default: verify TLS."""

    @field_validator("endpoint")
    @classmethod
    def _no_api_path(cls, endpoint: HttpUrl) -> HttpUrl:
        if endpoint.path and "api2" in endpoint.path:
            raise ValueError("give the base URL (https://host:8006/), without /api2/json")
        if endpoint.scheme != "https":
            raise ValueError("the Proxmox API is served over https")
        return endpoint


class ProxmoxSsh(ConfigModel):
    """SSH from the machine running Terraform to the nodes; the provider needs it to upload
    cloud-init snippets. Keys come from ssh-agent or `PROXMOX_VE_SSH_PRIVATE_KEY`, never config."""

    username: str = "root"
    """Node account used for uploads (root, or a user with the provider's sudo rules)."""
    use_agent: bool = True
    """Authenticate with the running ssh-agent (`SSH_AUTH_SOCK`). Default: true."""


class Datastores(ConfigModel):
    """Which Proxmox storage holds what on a node."""

    disks: DatastoreId = "local-lvm"
    """VM disks, cloud-init drives and container root filesystems. Default: `local-lvm`."""
    snippets: DatastoreId = "local"
    """Cloud-init snippets; the storage must allow the `Snippets` content type. Default: `local`."""
    images: DatastoreId = "local"
    """Downloaded cloud images (`import` content) and container templates (`vztmpl`).
    Default: `local`."""


class ProxmoxNode(ConfigModel):
    """One node of the cluster, by the name Proxmox knows it under."""

    address: str = Field(min_length=1)
    """Address Terraform's SSH connects to for snippet uploads (IP or DNS name)."""
    datastores: Datastores = Datastores()
    """Storage ids on this node. Default: `local-lvm` for disks, `local` for the rest."""


class Network(ConfigModel):
    """A layer-2 network guests attach to: a bridge (optionally a VLAN on it) and its subnet."""

    bridge: BridgeName = "vmbr0"
    """Linux bridge on the nodes. Default: `vmbr0`."""
    vlan: VlanId | None = None
    """802.1Q tag for guest NICs on this network. Default: untagged."""
    cidr: IPv4Network
    """Subnet of the network, e.g. `10.0.0.0/24`; static guest addresses must fall inside it."""
    gateway: IPv4Address | None = None
    """Default gateway handed to guests. Default: none (isolated network)."""
    dns_servers: list[IPv4Address] = []
    """Resolvers handed to guests. Default: none (the guest keeps what its image has)."""
    dns_domain: str | None = None
    """Search domain handed to guests, e.g. `phoenix.local`. Default: none."""

    @model_validator(mode="after")
    def _gateway_inside(self) -> Network:
        if self.gateway is not None and self.gateway not in self.cidr:
            raise ValueError(f"gateway {self.gateway} is outside network {self.cidr}")
        return self


class NfsServer(ConfigModel):
    """The NFS server that backs guests' persistent volumes."""

    address: IPv4Address
    """Address guests mount exports from."""
    mount_options: str = "rw,hard,noatime,_netdev"
    """Options for every NFS mount. Default: `rw,hard,noatime,_netdev`."""


class ClusterFirewall(ConfigModel):
    """Datacenter-wide firewall options (`proxmox_virtual_environment_cluster_firewall`)."""

    enabled: bool = True
    """Turn the Proxmox firewall on for the cluster. Default: true (declaring the block means it)."""
    input_policy: FirewallAction = FirewallAction.DROP
    """Default for inbound traffic to the nodes. Default: DROP."""
    output_policy: FirewallAction = FirewallAction.ACCEPT
    """Default for outbound traffic from the nodes. Default: ACCEPT."""
    forward_policy: ForwardPolicy = ForwardPolicy.ACCEPT
    """Default for routed traffic. Default: ACCEPT."""
    ebtables: bool = True
    """Enable ebtables rules cluster-wide. Default: true, as Proxmox ships."""


class ProxmoxConfig(ConfigModel):
    """Contents of `proxmox.yaml`."""

    api: ProxmoxApi
    """The cluster API endpoint."""
    ssh: ProxmoxSsh = ProxmoxSsh()
    """SSH settings for snippet uploads. Default: root with ssh-agent."""
    nodes: dict[NodeName, ProxmoxNode] = Field(min_length=1)
    """Nodes by name. Guests name their node; with one node it is the default."""
    networks: dict[str, Network] = Field(min_length=1)
    """Networks by name. Guests name their network; with one network it is the default."""
    nfs: NfsServer | None = None
    """NFS server for persistent volumes. Default: none (guests cannot declare volumes)."""
    cluster_firewall: ClusterFirewall | None = None
    """Cluster firewall policy. Default: not managed by Phoenix."""
