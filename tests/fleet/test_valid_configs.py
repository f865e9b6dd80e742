"""Configs that must load: the reference fleet, other spellings of it, and smaller fleets."""

from __future__ import annotations

import json
from ipaddress import IPv4Network
from pathlib import Path

from fleet import load_fleet
from fleet.documents import load_yaml
from fleet.guests import VmFeature
from tests.config_edits import set_field
from tests.conftest import ROOT
from tests.fleet.conftest import as_json

PROXMOX_TWO_NODES = """\
api: {endpoint: "https://pve1.lab:8006/"}
nodes:
  pve1: {address: pve1.lab}
  pve2: {address: 10.1.0.12, ssh_port: 2222, datastores: {disks: tank}}
networks:
  lan: {cidr: 10.1.0.0/24, gateway: 10.1.0.1}
  iot: {cidr: 10.20.0.0/24, bridge: vmbr1, vlan: 20}
"""

GUESTS_TWO_NODES = """\
templates:
  9000:
    name: debian-template
    node: pve1
    managed: false
vms:
  2001:
    name: builder
    node: pve2
    template: 9000
    clone_across_nodes: true
    network: {network: lan, ip: 10.1.0.21/24}
  2002:
    name: sensors
    node: pve1
    template: 9000
    network: {network: iot, ip: 10.20.0.22/24}
containers:
  301:
    name: mqtt
    node: pve2
    os_template: {file_id: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"}
    network: {network: iot, ip: 10.20.0.31/24}
"""


def write_fleet(root: Path, **files: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / f"{name}.yaml").write_text(text, encoding="utf-8")
    return root


def test_reference_fleet_validates() -> None:
    fleet = load_fleet(ROOT / "configs")
    assert sorted(fleet.guests.vms) == [1001, 1002]
    assert fleet.guests.vms[1002].stacks == ["qdrant"]
    assert fleet.compose["qdrant"].published_ports == frozenset({6333, 6334})
    assert fleet.portainer is not None
    assert fleet.portainer.version == "2.44.0"
    (probe,) = fleet.stacks.stacks["qdrant"].health.probes
    assert (probe.port, probe.path, probe.status) == (6333, "/healthz", 200)


def test_services_compose_does_not_start_are_not_expected_to_run(config_dir: Path) -> None:
    # GIVEN a compose file with a service behind a profile and one scaled to zero
    compose = config_dir / "stacks/qdrant/compose.yaml"
    compose.write_text(
        compose.read_text(encoding="utf-8")
        + "  debug:\n    image: busybox:1.36\n    profiles: [debug]\n"
        + "  spare:\n    image: busybox:1.36\n    deploy: {replicas: 0}\n"
        + "  backup:\n    image: busybox:1.36\n    scale: 0\n",
        encoding="utf-8",
    )
    # WHEN the fleet loads THEN only the service `docker compose up` starts must run
    compose_file = load_fleet(config_dir).compose["qdrant"]
    assert compose_file.services == ("backup", "debug", "qdrant", "spare")
    assert compose_file.started_services == ("qdrant",)


def test_health_defaults_to_no_probe(config_dir: Path) -> None:
    # GIVEN a stack without a health section
    set_field("stacks.yaml", "stacks.qdrant.health", {})(config_dir)
    # WHEN it loads THEN it has no probe (its services must still run)
    assert load_fleet(config_dir).stacks.stacks["qdrant"].health.probes == []


def test_json_configs_load_into_the_same_fleet(config_dir: Path) -> None:
    # GIVEN every config file rewritten as JSON, each naming its schema for editors
    yaml_fleet = load_fleet(config_dir)
    for name in ("proxmox", "guests", "stacks", "portainer", "gateway", "state"):
        as_json(f"{name}.yaml")(config_dir)
        path = config_dir / f"{name}.json"
        document = json.loads(path.read_text(encoding="utf-8"))
        document = {"$schema": f"../schema/{name}.schema.json", **document}
        path.write_text(json.dumps(document), encoding="utf-8")
    # WHEN it loads THEN it is the fleet the YAML describes (VMID keys were strings in JSON)
    assert load_fleet(config_dir) == yaml_fleet


def test_yml_extension_is_read(config_dir: Path) -> None:
    (config_dir / "gateway.yaml").rename(config_dir / "gateway.yml")
    fleet = load_fleet(config_dir)
    assert fleet.gateway is not None
    assert fleet.gateway.guest == "nginx"


def test_minimal_fleet_of_one_dhcp_container(tmp_path: Path) -> None:
    # GIVEN only the two required files and one container on DHCP
    root = write_fleet(
        tmp_path / "configs",
        proxmox="api: {endpoint: 'https://pve:8006/'}\n"
        "nodes: {pve: {address: pve}}\n"
        "networks: {lan: {cidr: 192.168.1.0/24}}\n",
        guests="containers:\n"
        "  200:\n"
        "    name: pihole\n"
        "    os_template: {url: 'https://example.org/alpine.tar.xz', type: alpine}\n"
        "    network: {ip: dhcp}\n",
    )
    # WHEN it loads THEN defaults fill in the rest
    fleet = load_fleet(root)
    container = fleet.guests.containers[200]
    assert container.unprivileged is True
    assert container.rootfs.size_gib == 8
    assert fleet.node(container).datastores.disks == "local-lvm"
    assert next(fleet.all_guests()).address is None
    assert fleet.portainer is None
    assert fleet.gateway is None
    assert not fleet.stacks.stacks


def test_dhcp_vm_without_portainer_roles(tmp_path: Path) -> None:
    guests = GUESTS_TWO_NODES.replace(
        "network: {network: lan, ip: 10.1.0.21/24}",
        "network: {network: lan, ip: dhcp}\n    features: [docker]",
    )
    fleet = load_fleet(write_fleet(tmp_path / "configs", proxmox=PROXMOX_TWO_NODES, guests=guests))
    builder = fleet.guests.vms[2001]
    assert builder.network.ip == "dhcp"
    assert builder.network.address is None
    assert builder.features == [VmFeature.DOCKER]


def test_several_nodes_and_networks_named_explicitly(tmp_path: Path) -> None:
    root = write_fleet(tmp_path / "configs", proxmox=PROXMOX_TWO_NODES, guests=GUESTS_TWO_NODES)
    fleet = load_fleet(root)
    builder, sensors = fleet.guests.vms[2001], fleet.guests.vms[2002]
    assert fleet.node_name(builder) == "pve2"
    assert fleet.node(builder).ssh_port == 2222
    assert fleet.node(builder).datastores.disks == "tank"
    assert fleet.network(sensors).cidr == IPv4Network("10.20.0.0/24")
    assert fleet.network(sensors).vlan == 20
    assert fleet.network(fleet.guests.containers[301]).bridge == "vmbr1"


def test_same_address_on_two_networks_is_allowed(tmp_path: Path) -> None:
    # GIVEN two networks with the same subnet on different bridges
    proxmox = PROXMOX_TWO_NODES + "  iot2: {cidr: 10.20.0.0/24, bridge: vmbr2}\n"
    guests = GUESTS_TWO_NODES.replace(
        "{network: iot, ip: 10.20.0.31/24}", "{network: iot2, ip: 10.20.0.22/24}"
    )
    # WHEN a guest on each uses the same address THEN that is fine
    fleet = load_fleet(write_fleet(tmp_path / "configs", proxmox=proxmox, guests=guests))
    assert fleet.guests.containers[301].network.address == fleet.guests.vms[2002].network.address


def test_yaml_anchors_share_settings(tmp_path: Path) -> None:
    guests = GUESTS_TWO_NODES.replace(
        "  2001:\n    name: builder\n    node: pve2\n",
        "  2001:\n    name: builder\n    node: pve2\n    startup: &boot {order: 5}\n",
    ).replace("  2002:\n    name: sensors\n", "  2002:\n    name: sensors\n    startup: *boot\n")
    fleet = load_fleet(write_fleet(tmp_path / "configs", proxmox=PROXMOX_TWO_NODES, guests=guests))
    assert fleet.guests.vms[2002].startup == fleet.guests.vms[2001].startup


def test_yaml_1_2_scalars_stay_what_they_look_like() -> None:
    document = load_yaml("a: on\nb: no\nc: 010\nd: 0o10\ne: 2024-01-01\nf: 1:30\ng: true\n")
    assert document == {
        "a": "on",
        "b": "no",
        "c": 10,
        "d": 8,
        "e": "2024-01-01",
        "f": "1:30",
        "g": True,
    }


def test_relaxed_spellings_are_normalized(config_dir: Path) -> None:
    # GIVEN an unquoted port, a lower-case MAC and references that are not secrets
    set_field("guests.yaml", "vms.1002.firewall.rules.0.dport", 9001)(config_dir)
    set_field("guests.yaml", "vms.1001.network.mac", "bc:24:11:aa:bb:cc")(config_dir)
    set_field("stacks.yaml", "stacks.qdrant.env.TOKEN_FILE", "/run/secrets/token")(config_dir)
    set_field("stacks.yaml", "stacks.qdrant.env.API_KEY", "${API_KEY}")(config_dir)
    fleet = load_fleet(config_dir)
    rules = fleet.guests.vms[1002].firewall
    assert rules is not None
    assert rules.rules[0].dport == "9001"
    assert fleet.guests.vms[1001].network.mac == "BC:24:11:AA:BB:CC"
    assert fleet.stacks.stacks["qdrant"].env["TOKEN_FILE"].value == "/run/secrets/token"
