"""A corpus of broken fleets: one small mistake each in a copy of the reference configs, and the
exact report Phoenix must print for it (`file: field.path: message`, one problem per line).

Each expectation is the whole report, so a case also fails when a mistake is reported twice, or
drags follow-on errors about things that are only wrong because of it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.config_edits import line_of, set_field
from tests.fleet.conftest import (
    Mutation,
    as_json,
    combine,
    edit,
    problems,
    remove,
    write,
)

G = "configs/guests.yaml"
P = "configs/proxmox.yaml"
S = "configs/stacks.yaml"
PT = "configs/portainer.yaml"
GW = "configs/gateway.yaml"
ST = "configs/state.yaml"

EXTRA_NODE = "nodes:\n  pve2:\n    address: 10.0.0.14\n  pve:"
SECOND_NETWORK = "networks:\n  storage:\n    cidr: 10.0.2.0/24\n  lan:"
AGENT_1002 = "features: [docker, portainer_agent]"
MAC_1001 = "ip: 10.0.0.101/24\n      mac: BC:24:11:00:00:01"
MAC_1002 = "ip: 10.0.0.102/24\n      mac: bc:24:11:00:00:01"
QDRANT_COMPOSE = "stacks/qdrant/compose.yaml"
# Line of container 101's name in the reference guests.yaml, so edits above it keep cases valid.
REFERENCE = Path(__file__).resolve().parents[2] / "configs"
NGINX_LINE = (REFERENCE / "guests.yaml").read_text(encoding="utf-8").splitlines().index(
    "    name: nginx"
) + 1
EXAMPLE_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFwtb9kFumuKUG0z96VO5pjuJbc43aYDc8vJsze/mSYA "
    "replace-with-your-key@phoenix"
)

CASES: list[tuple[str, Mutation, list[str]]] = [
    # --- addresses and networks -------------------------------------------------------------
    (
        "ip_outside_network",
        edit("guests.yaml", "ip: 10.0.0.102/24", "ip: 10.0.1.5/24"),
        [f"{G}: vms.1002.network.ip: 10.0.1.5/24 is outside network 10.0.0.0/24"],
    ),
    (
        "guest_gateway_outside_network",
        edit("guests.yaml", "ip: 10.0.0.102/24", "ip: 10.0.0.102/24\n      gateway: 10.0.1.1"),
        [f"{G}: vms.1002.network.gateway: gateway 10.0.1.1 is outside network 10.0.0.0/24"],
    ),
    (
        "network_gateway_outside_network",
        edit("proxmox.yaml", "gateway: 10.0.0.1", "gateway: 10.0.1.1"),
        [f"{P}: networks.lan.gateway: gateway 10.0.1.1 is outside network 10.0.0.0/24"],
    ),
    (
        "network_cidr_has_host_bits",
        edit("proxmox.yaml", "cidr: 10.0.0.0/24", "cidr: 10.0.0.5/24"),
        [f"{P}: networks.lan.cidr: '10.0.0.5/24' has host bits set; the network is 10.0.0.0/24"],
    ),
    (
        "ip_prefix_differs_from_network",
        edit("guests.yaml", "ip: 10.0.0.102/24", "ip: 10.0.0.102/16"),
        [f"{G}: vms.1002.network.ip: 10.0.0.102/16 has prefix /16, network 10.0.0.0/24 has /24"],
    ),
    (
        "ip_is_the_broadcast_address",
        edit("guests.yaml", "ip: 10.0.0.102/24", "ip: 10.0.0.255/24"),
        [
            f"{G}: vms.1002.network.ip: 10.0.0.255 is the network or broadcast address of "
            "10.0.0.0/24"
        ],
    ),
    (
        "ip_is_the_gateway",
        edit("guests.yaml", "ip: 10.0.0.102/24", "ip: 10.0.0.1/24"),
        [f"{G}: vms.1002.network.ip: 10.0.0.1 is the gateway of network 10.0.0.0/24"],
    ),
    (
        "ip_is_the_node_address",
        edit("guests.yaml", "ip: 10.0.0.153/24", "ip: 10.0.0.13/24"),
        [f"{G}: containers.101.network.ip: 10.0.0.13 is the address of node pve"],
    ),
    (
        "ip_is_not_an_address",
        edit("guests.yaml", "ip: 10.0.0.102/24", "ip: 10.0.0.300/24"),
        [
            f"{G}: vms.1002.network.ip: '10.0.0.300/24' is not an IPv4 address with prefix "
            "length (like 10.0.0.102/24) or 'dhcp'"
        ],
    ),
    (
        "dhcp_guest_with_a_gateway",
        edit("guests.yaml", "ip: 10.0.0.153/24", "ip: dhcp\n      gateway: 10.0.0.1"),
        [
            f"{GW}: guest: 'nginx' needs a static address, not dhcp",
            f"{G}: containers.101.network.gateway: a gateway needs a static ip, not dhcp",
        ],
    ),
    (
        "portainer_agent_on_dhcp",
        edit("guests.yaml", "ip: 10.0.0.102/24", "ip: dhcp"),
        [
            f"{GW}: routes.0.to.guest: 'drphoenix' needs a static address, not dhcp",
            f"{G}: vms.1002.network.ip: Portainer server and agents need a static address, "
            "not dhcp",
        ],
    ),
    (
        "unknown_network",
        edit("guests.yaml", "ip: 10.0.0.153/24", "network: lna\n      ip: 10.0.0.153/24"),
        [
            f"{G}: containers.101.network.network: unknown network 'lna'; did you mean 'lan'? "
            f"({P} declares lan)"
        ],
    ),
    (
        "several_networks_and_a_guest_without_one",
        combine(
            edit("proxmox.yaml", "networks:\n  lan:", SECOND_NETWORK),
            edit("guests.yaml", "ip: 10.0.0.101/24", "network: lan\n      ip: 10.0.0.101/24"),
            edit("guests.yaml", "ip: 10.0.0.102/24", "network: lan\n      ip: 10.0.0.102/24"),
        ),
        [
            f"{G}: containers.101.network.network: required: {P} declares several networks "
            "(storage, lan)"
        ],
    ),
    # --- uniqueness -------------------------------------------------------------------------
    (
        "vmid_shared_by_a_vm_and_a_container",
        edit("guests.yaml", "  101:\n", "  1001:\n"),
        [
            f"{G}: containers.1001: VMID 1001 is already used by vms.1001 (templates, VMs and "
            "containers share one VMID space)"
        ],
    ),
    (
        "duplicate_guest_name",
        edit("guests.yaml", "name: ubuntu-noble-template", "name: nginx"),
        [f"{G}: templates.9000.name: name 'nginx' is already used by containers.101"],
    ),
    (
        "duplicate_ip",
        edit("guests.yaml", "ip: 10.0.0.102/24", "ip: 10.0.0.101/24"),
        [f"{G}: vms.1002.network.ip: address 10.0.0.101 is already used by vms.1001"],
    ),
    (
        "duplicate_mac",
        combine(
            edit("guests.yaml", "ip: 10.0.0.101/24", MAC_1001),
            edit("guests.yaml", "ip: 10.0.0.102/24", MAC_1002),
        ),
        [f"{G}: vms.1002.network.mac: MAC BC:24:11:00:00:01 is already used by vms.1001"],
    ),
    (
        "multicast_mac",
        edit("guests.yaml", "ip: 10.0.0.101/24", "ip: 10.0.0.101/24\n      mac: 01:00:5E:00:00:01"),
        [
            f"{G}: vms.1001.network.mac: 01:00:5E:00:00:01 is a multicast address; a guest needs "
            "a unicast MAC"
        ],
    ),
    # --- references -------------------------------------------------------------------------
    (
        "vm_clones_an_undeclared_template",
        set_field("guests.yaml", "vms.1002.template", 9001),
        [
            f"{G}: vms.1002.template: template 9001 is not declared; did you mean 9000? "
            "(templates: 9000)"
        ],
    ),
    (
        "vm_disk_smaller_than_its_template",
        edit("guests.yaml", "    disk_gib: 8\n", "    disk_gib: 48\n"),
        [
            f"{G}: vms.1001.disk_gib: 32 GiB is smaller than template 9000's disk (48 GiB); "
            "Proxmox can only grow a cloned disk"
        ],
    ),
    (
        "vm_runs_an_undeclared_stack",
        edit("guests.yaml", "stacks: [qdrant]", "stacks: [qdrnt]"),
        [f"{G}: vms.1002.stacks.0: stack 'qdrnt' is not declared in {S}; did you mean 'qdrant'?"],
    ),
    (
        "guest_on_an_undeclared_node",
        edit("guests.yaml", "    name: nginx\n", "    name: nginx\n    node: pve2\n"),
        [f"{G}: containers.101.node: unknown node 'pve2'; did you mean 'pve'? ({P} declares pve)"],
    ),
    (
        "several_nodes_and_guests_without_one",
        edit("proxmox.yaml", "nodes:\n  pve:", EXTRA_NODE),
        [
            f"{G}: containers.101.node: required: {P} declares several nodes (pve2, pve)",
            f"{G}: templates.9000.node: required: {P} declares several nodes (pve2, pve)",
            f"{G}: vms.1001.node: required: {P} declares several nodes (pve2, pve)",
            f"{G}: vms.1002.node: required: {P} declares several nodes (pve2, pve)",
        ],
    ),
    (
        "no_node_declared",
        write(
            "proxmox.yaml",
            "api: {endpoint: 'https://10.0.0.13:8006/'}\n"
            "nodes: {}\n"
            "networks: {lan: {cidr: 10.0.0.0/24, gateway: 10.0.0.1}}\n"
            "nfs: {address: 10.0.0.13}\n",
        ),
        [f"{P}: nodes: must not be empty"],
    ),
    (
        "nfs_volumes_without_an_nfs_server",
        edit("proxmox.yaml", "nfs:\n  address: 10.0.0.13\n", ""),
        [
            f"{G}: vms.1001.volumes: NFS volumes need an nfs server in {P}",
            f"{G}: vms.1002.volumes: NFS volumes need an nfs server in {P}",
        ],
    ),
    # --- compose files ----------------------------------------------------------------------
    (
        "compose_file_missing",
        remove(QDRANT_COMPOSE),
        [f"{S}: stacks.qdrant.compose_file: compose file {QDRANT_COMPOSE} does not exist"],
    ),
    (
        "compose_file_not_utf8",
        write(QDRANT_COMPOSE, b"services:\n  qdrant:\n    image: q\xff\n"),
        [
            f"{S}: stacks.qdrant.compose_file: compose file {QDRANT_COMPOSE} cannot be read: "
            "not UTF-8 text (byte 32)"
        ],
    ),
    (
        "compose_file_is_a_directory",
        combine(remove(QDRANT_COMPOSE), lambda root: (root / QDRANT_COMPOSE).mkdir()),
        [
            f"{S}: stacks.qdrant.compose_file: compose file {QDRANT_COMPOSE} is a directory, "
            "not a file"
        ],
    ),
    (
        "compose_file_not_yaml",
        write(QDRANT_COMPOSE, "services:\n  qdrant:\n    image: [qdrant\n"),
        [
            f"{S}: stacks.qdrant.compose_file: compose file {QDRANT_COMPOSE} is not valid YAML: "
            "line 3, column 12: the '[' opened here is never closed (expected ',' or ']', but "
            "got '<stream end>' on line 4)"
        ],
    ),
    (
        "compose_file_without_services",
        write(QDRANT_COMPOSE, "volumes:\n  data: {}\n"),
        [f"{S}: stacks.qdrant.compose_file: compose file {QDRANT_COMPOSE} declares no services"],
    ),
    (
        "compose_ports_as_one_string",
        edit(
            QDRANT_COMPOSE,
            '    ports:\n      - "6333:6333"',
            '    ports: "6333:6333"\n    x-was:\n      - "6333:6333"',
        ),
        [
            f"{S}: stacks.qdrant.compose_file: compose file {QDRANT_COMPOSE}: "
            "services.qdrant.ports must be a list (got text)"
        ],
    ),
    (
        "compose_port_entry_as_list",
        edit(QDRANT_COMPOSE, '      - "6334:6334"   # gRPC', "      - [6334, 6334]"),
        [
            f"{S}: stacks.qdrant.compose_file: compose file {QDRANT_COMPOSE}: "
            'services.qdrant.ports.1 must be text like "6333:6333", a port number or a mapping '
            "(got a list)"
        ],
    ),
    (
        "compose_environment_as_text",
        edit(
            QDRANT_COMPOSE,
            "    environment:\n      QDRANT__LOG_LEVEL: ${QDRANT__LOG_LEVEL}\n"
            "      QDRANT__SERVICE__API_KEY: ${QDRANT__SERVICE__API_KEY}\n",
            "    environment: QDRANT__LOG_LEVEL=INFO\n",
        ),
        [
            f"{S}: stacks.qdrant.compose_file: compose file {QDRANT_COMPOSE}: "
            "services.qdrant.environment must be a mapping or a list (got text)"
        ],
    ),
    (
        "compose_file_outside_the_config_dir",
        edit("stacks.yaml", f"compose_file: {QDRANT_COMPOSE}", "compose_file: ../qdrant.yaml"),
        [
            f"{S}: stacks.qdrant.compose_file: '../qdrant.yaml' must be a relative path inside "
            "the config directory, like stacks/<name>/compose.yaml"
        ],
    ),
    # --- Portainer roles --------------------------------------------------------------------
    (
        "stacks_and_agents_without_a_portainer_server",
        remove("portainer.yaml"),
        [
            f"{G}: vms.1001.features: portainer_server needs {PT} (server name, version)",
            f"{G}: vms.1002.stacks: Portainer agents and stacks need a Portainer server: {PT} "
            "is missing",
        ],
    ),
    (
        "agent_without_docker",
        edit("guests.yaml", AGENT_1002, "features: [portainer_agent]"),
        [f"{G}: vms.1002.features: portainer_agent needs the docker feature"],
    ),
    (
        "stack_on_a_guest_without_docker",
        edit("guests.yaml", AGENT_1002, "features: []"),
        [
            f"{G}: vms.1002.stacks: stacks run on a Docker host through a Portainer agent: add "
            "the docker and portainer_agent features"
        ],
    ),
    (
        "portainer_server_is_not_declared",
        edit("portainer.yaml", "server: portainer", "server: portainr"),
        [f"{PT}: server: no VM named 'portainr' in {G}; did you mean 'portainer'?"],
    ),
    (
        "portainer_server_lacks_the_feature",
        edit("portainer.yaml", "server: portainer", "server: drphoenix"),
        [
            f"{PT}: server: VM 'drphoenix' (vms.1002) lacks the portainer_server feature; "
            "'portainer' (vms.1001) has it"
        ],
    ),
    (
        "two_portainer_servers",
        edit("guests.yaml", AGENT_1002, "features: [docker, portainer_agent, portainer_server]"),
        [f"{G}: vms.1002.features: a fleet has one Portainer server, and {PT} names 'portainer'"],
    ),
    (
        "portainer_ports_collide",
        edit("portainer.yaml", "agent_port: 9001", "agent_port: 9443"),
        [f"{PT}: agent_port: 9443 is also the https_port"],
    ),
    (
        "portainer_version_not_pinned",
        edit("portainer.yaml", "version: 2.44.0", "version: latest"),
        [
            f"{PT}: version: 'latest' is not a valid version: pin an exact version like 2.33.6 "
            "(never 'latest')"
        ],
    ),
    # --- containers -------------------------------------------------------------------------
    (
        "privileged_container_without_a_reason",
        edit("guests.yaml", "    unprivileged: true\n", "    unprivileged: false\n"),
        [
            f"{G}: containers.101.unprivileged: privileged containers can take over the node; "
            "set privileged_reason to say why it is needed"
        ],
    ),
    (
        "privileged_reason_on_an_unprivileged_container",
        edit(
            "guests.yaml",
            "    unprivileged: true\n",
            "    unprivileged: true\n    privileged_reason: nfs\n",
        ),
        [f"{G}: containers.101.privileged_reason: only meaningful with unprivileged: false"],
    ),
    (
        "container_os_template_with_two_sources",
        edit(
            "guests.yaml",
            "      type: debian\n",
            "      type: debian\n      file_id: local:vztmpl/debian.tar.zst\n",
        ),
        [f"{G}: containers.101.os_template: give exactly one of file_id or url"],
    ),
    # --- ranges and sizes -------------------------------------------------------------------
    (
        "same_vmid_written_twice_differently",
        edit("guests.yaml", "  1002:\n", '  "1001":\n'),
        [f"{G}: vms.1001: '1001' is the same key as 1001"],
    ),
    (
        "vmid_below_100",
        edit("guests.yaml", "  101:\n", "  99:\n"),
        [f"{G}: containers.99: a VMID is a whole number from 100 to 999999999 (got 99)"],
    ),
    (
        "vmid_not_a_number",
        edit("guests.yaml", "  101:\n", "  nginx:\n"),
        [f"{G}: containers.nginx: a VMID is a whole number from 100 to 999999999 (got 'nginx')"],
    ),
    (
        "template_reference_beyond_the_vmid_range",
        set_field("guests.yaml", "vms.1002.template", 1000000000),
        [
            f"{G}: vms.1002.template: a VMID is a whole number from 100 to 999999999 "
            "(got 1000000000)"
        ],
    ),
    (
        "zero_cores_and_tiny_memory",
        combine(
            set_field("guests.yaml", "containers.101.cores", 0),
            set_field("guests.yaml", "containers.101.memory_mib", 4),
        ),
        [
            f"{G}: containers.101.cores: Input should be greater than or equal to 1 (got 0)",
            f"{G}: containers.101.memory_mib: Input should be greater than or equal to 16 (got 4)",
        ],
    ),
    (
        "disk_beyond_the_bound",
        edit("guests.yaml", "disk_gib: 64", "disk_gib: 100000"),
        [f"{G}: vms.1002.disk_gib: Input should be less than or equal to 65536 (got 100000)"],
    ),
    (
        "firewall_port_out_of_range",
        edit("guests.yaml", 'dport: "9001"', 'dport: "99999"'),
        [
            f"{G}: vms.1002.firewall.rules.0.dport: '99999' is not a port list like 6333, "
            "8000:8100 or 80,443 (ports 1-65535)"
        ],
    ),
    (
        "firewall_ports_without_a_protocol",
        edit("guests.yaml", '{proto: tcp, dport: "9001"', '{dport: "9001"'),
        [f"{G}: vms.1002.firewall.rules.0: a rule with dport needs proto: tcp or udp (or a macro)"],
    ),
    # --- stacks -----------------------------------------------------------------------------
    (
        "stack_name_portainer_would_change",
        edit("stacks.yaml", "  qdrant:\n", "  Qdrant:\n"),
        [f"{S}: stacks.Qdrant: Portainer would store this stack as 'qdrant'; use that name"],
    ),
    (
        "secret_value_written_inline",
        edit(
            "stacks.yaml",
            "QDRANT__SERVICE__API_KEY: {from_env: QDRANT_API_KEY}",
            "QDRANT__SERVICE__API_KEY: 0f5b3c1e9d",
        ),
        [
            f"{S}: stacks.qdrant.env.QDRANT__SERVICE__API_KEY: is named like a secret but holds "
            "a literal value; use {from_env: VARIABLE} and set it where the reconcile runs, or, "
            "if it is not a real secret, add plaintext_ok: true and a reason"
        ],
    ),
    (
        "secret_key_in_proxmox_config",
        edit("proxmox.yaml", "  insecure_tls: true", "  insecure_tls: true\n  api_token: x"),
        [
            f"{P}: api.api_token: unknown key 'api_token': secrets never go in config files; "
            "Terraform reads PROXMOX_VE_API_TOKEN (or PROXMOX_VE_USERNAME and "
            "PROXMOX_VE_PASSWORD) and PROXMOX_VE_SSH_PRIVATE_KEY from the environment"
        ],
    ),
    (
        "admin_password_in_portainer_config",
        edit("portainer.yaml", "admin_username: admin", "admin_password: hunter2"),
        [
            f"{PT}: admin_password: unknown key 'admin_password': secrets never go in config "
            "files; the reconcile reads PORTAINER_PASSWORD or PORTAINER_API_KEY from the "
            "environment"
        ],
    ),
    (
        "reserved_stack_variable",
        edit("stacks.yaml", "QDRANT__LOG_LEVEL: INFO", "PHOENIX_OWNER: someone-else"),
        [
            f"{S}: stacks.qdrant.env: PHOENIX_OWNER: names starting with PHOENIX_ are reserved "
            "for the markers Phoenix sets on its stacks"
        ],
    ),
    (
        "probe_on_a_port_the_stack_does_not_publish",
        set_field("stacks.yaml", "stacks.qdrant.health.probes.0.port", 6335),
        [
            f"{S}: stacks.qdrant.health.probes.0.port: compose file {QDRANT_COMPOSE} does not "
            "publish port 6335 (published: 6333, 6334); a probe reaches the stack through a "
            "port its compose file publishes"
        ],
    ),
    (
        "probe_path_without_a_leading_slash",
        set_field("stacks.yaml", "stacks.qdrant.health.probes.0.path", "healthz"),
        [
            f"{S}: stacks.qdrant.health.probes.0.path: 'healthz' is not a valid probe path: a "
            "URL path starting with '/', optionally with a query, like /healthz or "
            "/ready?full=1"
        ],
    ),
    (
        "probe_query_holding_a_credential",
        set_field(
            "stacks.yaml", "stacks.qdrant.health.probes.0.path", "/healthz?api_key=0f5b3c1e9d8a7b6c"
        ),
        [
            # the value is not echoed
            f"{S}: stacks.qdrant.health.probes.0.path: query parameter 'api_key' looks like a "
            "credential; a probe carries none (it is written to the plan and sent in clear): "
            "probe a path that answers without one, such as Qdrant's /healthz"
        ],
    ),
    (
        "probe_status_that_is_no_http_status",
        set_field("stacks.yaml", "stacks.qdrant.health.probes.0.status", 2000),
        [
            f"{S}: stacks.qdrant.health.probes.0.status: Input should be less than or equal "
            "to 599 (got 2000)"
        ],
    ),
    # --- gateway ----------------------------------------------------------------------------
    (
        "route_to_an_undeclared_guest",
        edit("gateway.yaml", "guest: drphoenix", "guest: drphoenx"),
        [f"{GW}: routes.0.to.guest: no guest named 'drphoenx' in {G}; did you mean 'drphoenix'?"],
    ),
    (
        "route_to_an_undeclared_port",
        edit("gateway.yaml", "port: 6333", "port: 6335"),
        [
            f"{GW}: routes.0.to.port: drphoenix does not declare port 6335 (declared: 6333, "
            "6334, 9001); publish it in a stack or list it in the guest's ports"
        ],
    ),
    (
        "route_to_a_template",
        edit("gateway.yaml", "guest: drphoenix", "guest: ubuntu-noble-template"),
        [
            f"{GW}: routes.0.to.guest: 'ubuntu-noble-template' is a template (templates.9000); "
            "templates do not run"
        ],
    ),
    (
        "gateway_on_a_vm",
        edit("gateway.yaml", "guest: nginx", "guest: drphoenix"),
        [f"{GW}: guest: 'drphoenix' is vms.1002; the gateway runs in a container"],
    ),
    (
        "gateway_container_without_ssh_keys",
        edit(
            "guests.yaml",
            f"    rootfs: {{size_gib: 8}}\n    ssh_keys:\n      - {EXAMPLE_KEY}\n",
            "    rootfs: {size_gib: 8}\n",
        ),
        [
            f"{G}: containers.101.ssh_keys: required: the gateway site ({GW}) is installed over "
            "SSH as root; list the public keys of whoever deploys"
        ],
    ),
    (
        "route_without_path_or_host",
        edit("gateway.yaml", "  - path: /qdrant/\n    to:", "  - to:"),
        [f"{GW}: routes.0: a route needs a path, a host, or both"],
    ),
    # --- everything at once, nothing twice -------------------------------------------------
    (
        "mistakes_in_every_file_are_reported_together",
        combine(
            set_field("guests.yaml", "containers.101.memory_mib", 4),
            edit("guests.yaml", "ip: 10.0.0.102/24", "ip: 10.0.1.5/24"),
            edit("proxmox.yaml", "  insecure_tls: true", "  insecure_tls: maybe"),
            write(QDRANT_COMPOSE, "volumes: {}\n"),
            edit("portainer.yaml", "https_port: 9443", "http_port: 9443"),
            edit("gateway.yaml", "port: 9443", "port: 9444"),
        ),
        [
            f"{GW}: routes.1.to.port: portainer does not declare port 9444 (declared: 9443); "
            "publish it in a stack or list it in the guest's ports",
            f"{G}: containers.101.memory_mib: Input should be greater than or equal to 16 (got 4)",
            f"{G}: vms.1002.network.ip: 10.0.1.5/24 is outside network 10.0.0.0/24",
            f"{PT}: http_port: unknown key 'http_port'; did you mean 'https_port'?",
            f"{P}: api.insecure_tls: should be true or false (got 'maybe')",
            f"{S}: stacks.qdrant.compose_file: compose file {QDRANT_COMPOSE} declares no services",
        ],
    ),
    (
        "invalid_template_is_not_also_missing",
        set_field("guests.yaml", "templates.9000.cores", 0),
        [f"{G}: templates.9000.cores: Input should be greater than or equal to 1 (got 0)"],
    ),
    (
        "invalid_stack_is_not_also_missing",
        edit("stacks.yaml", "    description: Qdrant", "    descripton: Qdrant"),
        [f"{S}: stacks.qdrant.descripton: unknown key 'descripton'; did you mean 'description'?"],
    ),
    (
        "invalid_server_vm_is_not_also_missing",
        set_field("guests.yaml", "vms.1001.disk_gib", "many"),
        [f"{G}: vms.1001.disk_gib: should be a whole number (got 'many')"],
    ),
    (
        "guest_with_an_invalid_vmid_is_not_also_missing",
        edit("guests.yaml", "  1001:\n", "  portainer:\n"),
        [f"{G}: vms.portainer: a VMID is a whole number from 100 to 999999999 (got 'portainer')"],
    ),
    (
        "invalid_node_is_not_also_unknown",
        edit("proxmox.yaml", "nodes:\n  pve:", "nodes:\n  pve_1:"),
        [
            f"{P}: nodes.pve_1: 'pve_1' is not a valid Proxmox node name: a host name of "
            "letters, digits and '-'"
        ],
    ),
    (
        "unreadable_proxmox_file_hides_network_checks",
        combine(
            edit("proxmox.yaml", "nodes:\n", "nodes: [\n"),
            edit("guests.yaml", "ip: 10.0.0.102/24", "network: lan\n      ip: 10.0.0.102/24"),
        ),
        [
            f"{P}: line {line_of(REFERENCE, 'proxmox.yaml', 'nodes')}, column 8: the '[' opened "
            "here is never closed (expected ',' or ']', but got ':' on line "
            f"{line_of(REFERENCE, 'proxmox.yaml', 'nodes.pve.address')})"
        ],
    ),
    (
        "vmid_clash_with_an_invalid_entry_is_still_reported",
        combine(
            edit("guests.yaml", "  101:\n", "  1001:\n"),
            set_field("guests.yaml", "vms.1001.cores", 400),
        ),
        [
            f"{G}: containers.1001: VMID 1001 is already used by vms.1001 (templates, VMs and "
            "containers share one VMID space)",
            f"{G}: vms.1001.cores: Input should be less than or equal to 128 (got 400)",
        ],
    ),
    (
        "routes_keep_their_index_after_an_invalid_route",
        combine(
            edit(
                "gateway.yaml",
                "routes:\n",
                "routes:\n  - {path: qdrant, to: {guest: x, port: 1}}\n",
            ),
            edit("gateway.yaml", "port: 9443", "port: 9444"),
        ),
        [
            f"{GW}: routes.0.path: path 'qdrant' is not valid: it must be a URL prefix that "
            "starts and ends with '/', like /qdrant/",
            f"{GW}: routes.2.to.port: portainer does not declare port 9444 (declared: 9443); "
            "publish it in a stack or list it in the guest's ports",
        ],
    ),
    (
        "route_path_with_a_dot_segment",
        edit("gateway.yaml", "path: /qdrant/", "path: /qdrant/../"),
        [
            f"{GW}: routes.0.path: path '/qdrant/../' is not valid: it contains a '..' segment, "
            "which Nginx removes before matching, so the route could never match as written"
        ],
    ),
    (
        "two_routes_claim_the_same_host_and_path",
        edit(
            "gateway.yaml",
            "  - host: portainer.phoenix.local\n",
            "  - host: portainer.phoenix.local\n    path: /\n"
            "    to: {guest: portainer, port: 9443}\n"
            "  - host: portainer.phoenix.local\n",
        ),
        [f"{GW}: routes.2: same host and path as routes.1"],
    ),
    # --- documents and keys -----------------------------------------------------------------
    (
        "unknown_key_with_a_close_match",
        edit("guests.yaml", "    cores: 1\n", "    cors: 1\n"),
        [f"{G}: containers.101.cors: unknown key 'cors'; did you mean 'cores'?"],
    ),
    (
        "unknown_key_without_a_close_match",
        edit("portainer.yaml", "admin_username: admin", "colour: blue"),
        [
            f"{PT}: colour: unknown key 'colour' (allowed: admin_username, agent_port, "
            "agent_secret, https_port, owner, server, version)"
        ],
    ),
    (
        "wrong_choice_with_a_hint",
        edit("guests.yaml", AGENT_1002, "features: [docker, portainer-agent]"),
        [
            f"{G}: vms.1002.features.1: 'portainer-agent' is not one of docker, portainer_server, "
            "portainer_agent; did you mean 'portainer_agent'?"
        ],
    ),
    (
        "private_key_instead_of_a_public_key_is_not_echoed",
        edit(
            "guests.yaml",
            f"      ssh_keys:\n        - {EXAMPLE_KEY}\n    features: [docker, portainer_server]",
            "      ssh_keys: ['-----BEGIN OPENSSH PRIVATE KEY----- b3Bl']\n"
            "    features: [docker, portainer_server]",
        ),
        [
            f"{G}: vms.1001.user.ssh_keys.0: this is a private key; list public keys only "
            "(the .pub file)"
        ],
    ),
    (
        "entry_left_empty",
        edit("stacks.yaml", "stacks:\n", "stacks:\n  redis:\n"),
        [f"{S}: stacks.redis: should be a mapping of keys to values (got nothing)"],
    ),
    (
        "vmid_at_the_top_level",
        edit("guests.yaml", "vms:\n", "1003: {}\nvms:\n"),
        [f"{G}: 1003: unknown key '1003' (allowed: containers, templates, vms)"],
    ),
    (
        "yaml_1_1_boolean",
        edit("guests.yaml", "    unprivileged: true\n", "    unprivileged: yes\n"),
        [f"{G}: containers.101.unprivileged: should be true or false (got 'yes')"],
    ),
    (
        "repeated_list_item",
        edit("guests.yaml", "tags: [phoenix, qdrant]", "tags: [phoenix, qdrant, phoenix]"),
        [f"{G}: vms.1002.tags: tag 'phoenix' is listed twice"],
    ),
    (
        "yaml_syntax_error",
        edit("guests.yaml", "    name: nginx\n", "    name: nginx\n   cores: 1\n"),
        [
            f"{G}: line {NGINX_LINE + 1}, column 4: this line is indented differently from the "
            "lines before it"
        ],
    ),
    (
        "yaml_duplicate_key",
        edit("guests.yaml", "    name: nginx\n", "    name: nginx\n    name: gateway\n"),
        [
            f"{G}: line {NGINX_LINE + 1}, column 5: key 'name' appears twice "
            f"(first on line {NGINX_LINE})"
        ],
    ),
    (
        "top_level_not_a_mapping",
        write("portainer.yaml", "- server: portainer\n"),
        [f"{PT}: must be a mapping of keys to values at the top level (got a list)"],
    ),
    (
        "json_duplicate_key",
        combine(
            remove("portainer.yaml"),
            write("portainer.json", '{"server": "portainer", "version": "2.44.0", "server": "x"}'),
        ),
        ["configs/portainer.json: key 'server' appears twice in one object"],
    ),
    (
        "json_syntax_error",
        combine(remove("portainer.yaml"), write("portainer.json", '{"server" "portainer"}')),
        ["configs/portainer.json: line 1, column 11: Expecting ':' delimiter"],
    ),
    (
        "same_section_as_yaml_and_json",
        combine(as_json("gateway.yaml"), write("gateway.yaml", "guest: nginx\n")),
        [f"{GW}: gateway.json holds the same section; keep one of the two files"],
    ),
    (
        "unknown_file_name",
        write("guest.yaml", "vms: {}\n"),
        [
            "configs/guest.yaml: unknown config file; did you mean guests.yaml? (Phoenix reads "
            "proxmox, guests, stacks, portainer, gateway, state, each as .yaml, .yml, .json)"
        ],
    ),
    (
        "renumbered_from_its_own_vmid",
        edit("guests.yaml", "  1002:\n", "  1002:\n    renumbered_from: 1002\n"),
        [f"{G}: vms.1002.renumbered_from: 1002 is this guest's own VMID"],
    ),
    (
        "renumbered_from_a_vmid_still_in_use",
        edit("guests.yaml", "  1002:\n", "  1002:\n    renumbered_from: 1001\n"),
        [
            f"{G}: vms.1002.renumbered_from: VMID 1001 is still vms.1001; a renumbered guest "
            "leaves its old VMID free"
        ],
    ),
    # --- state backend ---------------------------------------------------------------------
    (
        "pg_settings_with_the_local_backend",
        write("state.yaml", "pg: {schema_prefix: lab}\n"),
        [
            f"{ST}: pg: only read with backend: pg (the backend is local); remove it or change the "
            "backend"
        ],
    ),
    (
        "s3_backend_without_its_settings",
        write("state.yaml", "backend: s3\n"),
        [f"{ST}: s3: required with backend: s3 (the store's endpoint and bucket)"],
    ),
    (
        "unknown_state_backend",
        write("state.yaml", "backend: postgres\n"),
        [f"{ST}: backend: 'postgres' is not one of local, pg, s3"],
    ),
    (
        "pg_schema_prefix_with_capitals",
        write("state.yaml", "backend: pg\npg: {schema_prefix: Phoenix-Lab}\n"),
        [
            f"{ST}: pg.schema_prefix: 'Phoenix-Lab' is not a valid PostgreSQL schema prefix: "
            "lower-case letters, digits and '_', starting with a letter, at most 40 characters"
        ],
    ),
    (
        "s3_bucket_and_key_prefix_malformed",
        write(
            "state.yaml",
            "backend: s3\ns3: {endpoint: 'https://minio.lab:9000', bucket: Phoenix_State, "
            "key_prefix: /phoenix/}\n",
        ),
        [
            f"{ST}: s3.bucket: 'Phoenix_State' is not a valid bucket name: 3 to 63 lower-case "
            "letters, digits, '.' and '-', starting and ending with a letter or digit",
            f"{ST}: s3.key_prefix: '/phoenix/' is not a valid object key prefix: path segments "
            "of letters, digits, '_', '.' and '-' separated by '/', without a leading or "
            "trailing '/'",
        ],
    ),
    (
        "required_file_missing",
        remove("proxmox.yaml"),
        [f"{P}: missing: this file is required"],
    ),
]


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [pytest.param(mutation, expected, id=name) for name, mutation, expected in CASES],
)
def test_fails_when(config_dir: Path, mutation: Mutation, expected: list[str]) -> None:
    # GIVEN the reference configs with one mistake
    mutation(config_dir)
    # WHEN the fleet loads THEN exactly these problems are reported, in this order
    assert problems(config_dir) == expected


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30
    assert len({name for name, _, _ in CASES}) == len(CASES)
