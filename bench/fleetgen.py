"""Generate a realistic fleet config directory of any size for the synth benchmark.

`write_fleet(directory, guests)` writes proxmox.yaml, guests.yaml, stacks.yaml, portainer.yaml,
gateway.yaml and the compose files a fleet of `guests` guests (VMs + containers, templates not
counted) needs. The shape follows `configs/`: VMs clone template 9000 with static addresses,
one Portainer server, every third VM a Portainer agent with one to three stacks and an NFS
volume, every fifth guest an LXC container, firewalls with rules on most guests, a gateway
container with routes to stack services. Every name, VMID, address and MAC is unique, so
`fleet.load_fleet` accepts the result (`generate` checks it).

The output is deterministic: the same size always gives the same files.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

TEMPLATE_VMID = 9000
#: Guests live in two /16 networks, so 1,000 guests (or tens of thousands) always fit.
LAN = ipaddress.IPv4Network("10.10.0.0/16")
DMZ = ipaddress.IPv4Network("10.20.0.0/16")
#: First VMID of generated VMs and containers (containers: 100 + index, VMs: 10000 + index).
VM_BASE, CT_BASE = 10_000, 100


@dataclass(frozen=True)
class StackTemplate:
    """One entry of the generated stack catalog."""

    name: str
    compose: str
    port: int | None
    env: dict[str, Any]


# Small but real compose files: published ports (gateway targets), ${VAR} interpolation and a
# secret reference, like the reference fleet's qdrant stack.
CATALOG: tuple[StackTemplate, ...] = (
    StackTemplate(
        "qdrant",
        "services:\n  qdrant:\n    image: qdrant/qdrant:v1.15.5\n    restart: unless-stopped\n"
        '    ports:\n      - "6333:6333"\n    environment:\n'
        "      QDRANT__SERVICE__API_KEY: ${QDRANT__SERVICE__API_KEY}\n"
        "    volumes:\n      - /persistent-storage/qdrant:/qdrant/storage\n",
        6333,
        {"QDRANT__LOG_LEVEL": "INFO", "QDRANT__SERVICE__API_KEY": {"from_env": "QDRANT_API_KEY"}},
    ),
    StackTemplate(
        "whoami",
        "services:\n  whoami:\n    image: traefik/whoami:v1.10\n    restart: unless-stopped\n"
        '    ports:\n      - "8080:80"\n',
        8080,
        {},
    ),
    StackTemplate(
        "redis",
        "services:\n  redis:\n    image: redis:7.4-alpine\n    restart: unless-stopped\n"
        "    command: redis-server --save 60 1 --loglevel ${REDIS_LOG_LEVEL}\n"
        "    volumes:\n      - /persistent-storage/redis:/data\n",
        None,
        {"REDIS_LOG_LEVEL": "warning"},
    ),
    StackTemplate(
        "postgres",
        "services:\n  db:\n    image: postgres:17\n    restart: unless-stopped\n"
        '    ports:\n      - "5432:5432"\n    environment:\n'
        "      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}\n      POSTGRES_DB: ${POSTGRES_DB}\n"
        "    volumes:\n      - /persistent-storage/postgres:/var/lib/postgresql/data\n",
        5432,
        {"POSTGRES_DB": "app", "POSTGRES_PASSWORD": {"from_env": "POSTGRES_PASSWORD"}},
    ),
    StackTemplate(
        "grafana",
        "services:\n  grafana:\n    image: grafana/grafana:11.4.0\n    restart: unless-stopped\n"
        '    ports:\n      - "3000:3000"\n    environment:\n'
        "      GF_SERVER_ROOT_URL: ${GF_SERVER_ROOT_URL}\n",
        3000,
        {"GF_SERVER_ROOT_URL": "http://grafana.phoenix.local/"},
    ),
)

SSH_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBenchBenchBenchBenchBenchBenchBenchBench bench@phoenix"
)


@dataclass(frozen=True)
class FleetShape:
    """How many of each kind a generated fleet of `guests` guests has."""

    guests: int
    vms: int
    containers: int
    agents: int
    stacks: int
    firewalls: int


def _mac(prefix: int, index: int) -> str:
    # BC:24:11 is Proxmox's own OUI; the low three bytes number the guest.
    return f"BC:24:{prefix:02X}:{index >> 16 & 0xFF:02X}:{index >> 8 & 0xFF:02X}:{index & 0xFF:02X}"


def _address(network: ipaddress.IPv4Network, index: int) -> str:
    # .0.1 is the gateway, .0.2-.0.9 are left for infrastructure.
    return f"{network.network_address + 10 + index}/{network.prefixlen}"


def _firewall(index: int, extra_ports: list[int]) -> dict[str, Any]:
    rules: list[dict[str, Any]] = [
        {"macro": "SSH", "source": "10.10.0.0/16", "comment": "administration"},
    ]
    rules.extend(
        {"proto": "tcp", "dport": str(port), "source": "10.20.0.10", "comment": "gateway"}
        for port in extra_ports
    )
    if index % 4 == 0:
        rules.append({"proto": "icmp", "comment": "ping"})
    return {"input_policy": "DROP", "rules": rules}


def build_documents(guests: int) -> tuple[dict[str, Any], FleetShape]:
    """The config documents (file name -> document) of a fleet with `guests` guests.

    At least 3 guests: the Portainer server VM, the gateway container and one agent VM.
    """
    if guests < 3:
        raise ValueError("a generated fleet has at least 3 guests (server, gateway, agent)")
    containers = max(1, guests // 5)
    vms = guests - containers
    vm_docs: dict[int, dict[str, Any]] = {}
    ct_docs: dict[int, dict[str, Any]] = {}
    agents = stacks = firewalls = 0
    routes: list[dict[str, Any]] = [
        {
            "host": "portainer.phoenix.local",
            "to": {"guest": "portainer", "port": 9443, "scheme": "https"},
        }
    ]

    for index in range(vms):
        vmid = VM_BASE + index
        if index == 0:
            name = "portainer"
            features = ["docker", "portainer_server"]
            stack_names: list[str] = []
            ports = [9443]
        else:
            name = f"vm-{index:04d}"
            agent = index % 3 == 1
            features = ["docker", "portainer_agent"] if agent else []
            stack_names = (
                [CATALOG[(index + k) % len(CATALOG)].name for k in range(1 + index % 3)]
                if agent
                else []
            )
            ports = [9001] if agent else []
            ports += [s.port for s in CATALOG if s.name in stack_names and s.port is not None]
            agents += agent
            stacks += len(stack_names)
        doc: dict[str, Any] = {
            "name": name,
            "description": f"Generated VM {index} of {vms}",
            "template": TEMPLATE_VMID,
            "cores": 2 + index % 3,
            "memory_mib": 2048 * (1 + index % 2),
            "disk_gib": 32,
            "network": {"network": "lan", "ip": _address(LAN, index), "mac": _mac(0x11, index)},
            "user": {"name": "phoenix", "ssh_keys": [SSH_KEY]},
            "tags": ["phoenix", "bench"],
        }
        if features:
            doc["features"] = features
        if stack_names:
            doc["stacks"] = stack_names
            doc["volumes"] = [
                {
                    "export": f"/quickOS/vm-persistent-data/{vmid}",
                    "mount_point": "/persistent-storage",
                }
            ]
        if index % 7 == 0:
            doc["startup"] = {"order": 2 + index % 5, "up_delay_seconds": 10}
        if index == 0 or index % 2 == 1:
            doc["firewall"] = _firewall(index, ports)
            firewalls += 1
        vm_docs[vmid] = doc
        # A route to the first few agents' published services keeps the gateway busy.
        if stack_names and len(routes) < 10:
            first = next((s for s in CATALOG if s.name in stack_names and s.port), None)
            if first is not None:
                routes.append(
                    {"path": f"/{name}/{first.name}/", "to": {"guest": name, "port": first.port}}
                )

    for index in range(containers):
        ctid = CT_BASE + index
        name = "gateway" if index == 0 else f"ct-{index:04d}"
        doc = {
            "name": name,
            "description": f"Generated container {index} of {containers}",
            "os_template": {
                "file_id": "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
                "type": "debian",
            },
            "unprivileged": True,
            "features": {"nesting": True},
            "cores": 1,
            "memory_mib": 512,
            "rootfs": {"size_gib": 8},
            "network": {"network": "dmz", "ip": _address(DMZ, index), "mac": _mac(0x12, index)},
            "ssh_keys": [SSH_KEY],
            "tags": ["bench", "container"],
        }
        if index == 0 or index % 2 == 0:
            doc["firewall"] = _firewall(index, [80] if index == 0 else [])
            firewalls += 1
        ct_docs[ctid] = doc

    documents: dict[str, Any] = {
        "proxmox.yaml": {
            "api": {"endpoint": "https://10.10.0.2:8006/", "insecure_tls": True},
            "ssh": {"username": "root", "use_agent": True},
            "nodes": {
                "pve": {
                    "address": "10.10.0.2",
                    "datastores": {"disks": "local-lvm", "snippets": "local", "images": "local"},
                }
            },
            "networks": {
                "lan": {
                    "bridge": "vmbr0",
                    "cidr": str(LAN),
                    "gateway": str(LAN.network_address + 1),
                    "dns_servers": [str(LAN.network_address + 1)],
                    "dns_domain": "phoenix.local",
                },
                "dmz": {
                    "bridge": "vmbr0",
                    "vlan": 20,
                    "cidr": str(DMZ),
                    "gateway": str(DMZ.network_address + 1),
                    "dns_servers": [str(LAN.network_address + 1)],
                },
            },
            "nfs": {"address": "10.10.0.3"},
            "cluster_firewall": {"input_policy": "DROP"},
        },
        "guests.yaml": {
            "templates": {
                TEMPLATE_VMID: {
                    "name": "ubuntu-noble-template",
                    "image": {
                        "url": "https://cloud-images.ubuntu.com/releases/24.04/release/"
                        "ubuntu-24.04-server-cloudimg-amd64.img",
                        "file_name": "ubuntu-24.04-server-cloudimg-amd64.qcow2",
                    },
                    "cores": 2,
                    "memory_mib": 2048,
                    "disk_gib": 8,
                }
            },
            "vms": vm_docs,
            "containers": ct_docs,
        },
        "stacks.yaml": {
            "stacks": {
                s.name: {
                    "compose_file": f"stacks/{s.name}/compose.yaml",
                    "description": f"generated {s.name} stack",
                    "env": s.env,
                }
                for s in CATALOG
            }
        },
        "portainer.yaml": {"server": "portainer", "version": "2.44.0"},
        "gateway.yaml": {"guest": "gateway", "listen_port": 80, "routes": routes},
    }
    shape = FleetShape(guests, vms, containers, agents, stacks, firewalls)
    return documents, shape


def write_fleet(directory: Path, guests: int) -> FleetShape:
    """Write the config directory of a generated fleet; returns its shape."""
    documents, shape = build_documents(guests)
    directory.mkdir(parents=True, exist_ok=True)
    for file_name, document in documents.items():
        text = yaml.safe_dump(document, sort_keys=False, default_flow_style=False, width=100)
        (directory / file_name).write_text(text, encoding="utf-8")
    for stack in CATALOG:
        compose = directory / "stacks" / stack.name / "compose.yaml"
        compose.parent.mkdir(parents=True, exist_ok=True)
        compose.write_text(stack.compose, encoding="utf-8")
    return shape


def generate(directory: Path, guests: int) -> FleetShape:
    """Write a generated fleet and validate it with `fleet.load_fleet` (raises if invalid)."""
    from fleet import load_fleet  # the app's own validation; imported late to keep --help fast

    shape = write_fleet(directory, guests)
    fleet = load_fleet(directory)
    loaded = len(fleet.guests.vms) + len(fleet.guests.containers)
    if loaded != guests:
        raise RuntimeError(f"generated {guests} guests but the fleet has {loaded}")
    return shape
