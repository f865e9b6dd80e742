"""A corpus of hostile or careless configs, as pull requests bring them: secrets, template
syntax, parser traps, files that would be skipped, lenient types, network and storage slips,
cross-file gaps. Each case is one change to a copy of the reference configs and asserts the
whole report (`file: field.path: message`, one problem per line, no follow-on noise).

A second list holds unusual configs that must load: the rules are not just strict.
GPU mistakes have their own corpus on a copy of examples/ai-lab/: test_gpu_configs.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fleet import load_fleet
from tests.config_edits import (
    append_item,
    line_of,
    read_field,
    remove_field,
    set_field,
    set_raw,
    value_position,
)
from tests.conftest import ROOT
from tests.fleet.conftest import Mutation, as_json, combine, edit, problems, write

G = "configs/guests.yaml"
P = "configs/proxmox.yaml"
S = "configs/stacks.yaml"
PT = "configs/portainer.yaml"
GW = "configs/gateway.yaml"
ST = "configs/state.yaml"
CT_TEMPLATE_URL = (
    "url: https://download.proxmox.com/images/system/debian-12-standard_12.7-1_amd64.tar.zst"
)
WIDE = "\uff11\uff10\uff10\uff12"
"""1002 in full-width digits."""

QDRANT_COMPOSE = "stacks/qdrant/compose.yaml"
REFERENCE = ROOT / "configs"
COMPOSE_LINES = len((REFERENCE / QDRANT_COMPOSE).read_text(encoding="utf-8").splitlines())
GATEWAY_HTTP_RULE = next(
    index
    for index, rule in enumerate(
        read_field(REFERENCE, "guests.yaml", "containers.101.firewall.rules")
    )
    if rule.get("macro") == "HTTP"
)
TOKEN = "ghp_Q7w3E9r1T5y8U2i4O6p0A3s5D7f9G1h2J4k6"
PASSWORD = "hunter2-Xq9Lm3Vb7Rt1"


def symlink(name: str, target: str) -> Mutation:
    def mutate(root: Path) -> None:
        (root / name).unlink(missing_ok=True)
        (root / name).symlink_to(target)

    return mutate


def directory(name: str) -> Mutation:
    def mutate(root: Path) -> None:
        (root / name).unlink()
        (root / name).mkdir()

    return mutate


def rename(old: str, new: str) -> Mutation:
    def mutate(root: Path) -> None:
        (root / old).rename(root / new)

    return mutate


def append(file: str, text: str) -> Mutation:
    def mutate(root: Path) -> None:
        path = root / file
        path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")

    return mutate


BOMB = (
    "x-a: &a ["
    + ",".join(['"lol"'] * 10)
    + "]\n"
    + "".join(
        f"x-{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 10) + "]\n"
        for i in range(5)
    )
)


def symlink_moved(name: str, target: str) -> Mutation:
    """Move a config file next to the config dir and leave a symlink to it."""

    def mutate(root: Path) -> None:
        shutil.move(str(root / name), str(root / target))
        (root / name).symlink_to(target)

    return mutate


CASES: list[tuple[str, Mutation, list[str]]] = [
    (
        "url_with_credentials",
        edit(
            "proxmox.yaml",
            "endpoint: https://10.0.0.13:8006/",
            f"endpoint: https://root:{PASSWORD}@10.0.0.13:8006/",
        ),
        [
            P
            + (
                ": api.endpoint: must not contain a user name or password "
                "(user:password@host): credentials come from the environment, never from "
                "a config (got 'https://***@10.0.0.13:8006/')"
            ),
        ],
    ),
    (
        "token_in_version",
        edit("portainer.yaml", "version: 2.44.0", f"version: {TOKEN}"),
        [
            PT
            + (
                ": version: a value of 40 characters (not shown: it looks like a secret) "
                "is not a valid version: pin an exact version like 2.33.6 (never "
                "'latest')"
            ),
        ],
    ),
    (
        "token_in_ssh_keys",
        set_field("guests.yaml", "vms.1002.user.ssh_keys.0", TOKEN),
        [
            G
            + (
                ": vms.1002.user.ssh_keys.0: a value of 40 characters (not shown: it "
                "looks like a secret) is not an OpenSSH public key (expected "
                "'ssh-ed25519 AAAA... comment')"
            ),
        ],
    ),
    (
        "secret_named_env_literal",
        edit(
            "stacks.yaml",
            "QDRANT__LOG_LEVEL: INFO",
            "QDRANT__LOG_LEVEL: INFO\n      DB_PASS: hunter2",
        ),
        [
            S
            + (
                ": stacks.qdrant.env.DB_PASS: is named like a secret but holds a literal "
                "value; use {from_env: VARIABLE} and set it where the reconcile runs, "
                "or, if it is not a real secret, add plaintext_ok: true and a reason"
            ),
        ],
    ),
    (
        "plaintext_ok_without_reason",
        edit(
            "stacks.yaml",
            "QDRANT__LOG_LEVEL: INFO",
            "QDRANT__LOG_LEVEL: INFO\n      DB_PASS: {value: hunter2, plaintext_ok: true}",
        ),
        [
            S
            + (
                ": stacks.qdrant.env.DB_PASS: plaintext_ok: true needs a reason saying "
                "why the value is not secret"
            ),
        ],
    ),
    (
        "compose_literal_secret",
        edit(
            QDRANT_COMPOSE,
            "QDRANT__SERVICE__API_KEY: ${QDRANT__SERVICE__API_KEY}",
            f"QDRANT__SERVICE__API_KEY: {PASSWORD}",
        ),
        [
            S
            + (
                ": stacks.qdrant.compose_file: compose file stacks/qdrant/compose.yaml "
                "holds what looks like a literal secret at "
                "services.qdrant.environment.QDRANT__SERVICE__API_KEY; write ${VARIABLE} "
                "there and give the stack env {VARIABLE: {from_env: NAME}}, or, if it is "
                "not a real secret, add plaintext_ok: true and a reason on the stack"
            ),
        ],
    ),
    (
        "compose_token_in_command",
        edit(
            QDRANT_COMPOSE,
            "    restart: unless-stopped",
            f'    restart: unless-stopped\n    command: ["--token", "{TOKEN}"]',
        ),
        [
            S
            + (
                ": stacks.qdrant.compose_file: compose file stacks/qdrant/compose.yaml "
                "holds what looks like a literal secret at services.qdrant.command; "
                "write ${VARIABLE} there and give the stack env {VARIABLE: {from_env: "
                "NAME}}, or, if it is not a real secret, add plaintext_ok: true and a "
                "reason on the stack"
            ),
        ],
    ),
    (
        "gateway_host_label_too_long",
        edit(
            "gateway.yaml", "host: portainer.phoenix.local", "host: " + "p" * 64 + ".phoenix.local"
        ),
        [
            GW
            + (
                ": routes.1.host: host "
                "'pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp.phoenix.local' "
                "is not valid: it must be a fully qualified lower-case name like "
                "portainer.phoenix.local"
            ),
        ],
    ),
    (
        "gateway_host_label_ends_with_dash",
        edit("gateway.yaml", "host: portainer.phoenix.local", "host: portainer-.phoenix.local"),
        [
            GW
            + (
                ": routes.1.host: host 'portainer-.phoenix.local' is not valid: it must "
                "be a fully qualified lower-case name like portainer.phoenix.local"
            ),
        ],
    ),
    (
        "template_image_img",
        edit(
            "guests.yaml",
            "file_name: ubuntu-24.04-server-cloudimg-amd64.qcow2",
            "file_name: ubuntu-24.04-server-cloudimg-amd64.img",
        ),
        [
            G
            + (
                ": templates.9000.image.file_name: "
                "'ubuntu-24.04-server-cloudimg-amd64.img' is not a valid image file "
                "name: letters, digits, '.', '_' and '-', ending in .qcow2 or .raw "
                "(Proxmox imports only those; an Ubuntu or Debian .img cloud image is "
                "qcow2: name it .qcow2)"
            ),
        ],
    ),
    (
        "list_as_key_in_guests",
        edit(
            "guests.yaml",
            "vms:\n",
            "vms:\n  ? [1003, 1004]\n  : {name: twins, template: 9000, network: {ip: dhcp}}\n",
        ),
        [
            G + f": line {line_of(REFERENCE, 'guests.yaml', 'vms') + 1}, column 5: a key must be "
            "text or a number, not a list",
        ],
    ),
    (
        "list_as_key_in_compose",
        edit(QDRANT_COMPOSE, "services:\n", "services:\n  ? [a, b]\n  : {image: x}\n"),
        [
            S
            + (
                ": stacks.qdrant.compose_file: compose file stacks/qdrant/compose.yaml "
                "is not valid YAML: line 2, column 5: a key must be text or a number, "
                "not a list"
            ),
        ],
    ),
    (
        "huge_integer_yaml",
        set_raw("guests.yaml", "vms.1002.cores", "9" * 5000),
        [
            G
            + ": line {}, column {}: a number of 5000 digits is too long (at most 30)".format(
                *value_position(REFERENCE, "guests.yaml", "vms.1002.cores")
            ),
        ],
    ),
    (
        "huge_integer_json",
        combine(
            as_json("portainer.yaml"),
            edit("portainer.json", '"https_port": 9443', '"https_port": ' + "9" * 5000),
        ),
        [
            "configs/portainer.json: line 4: a number of 5000 digits is too long (at most 30)",
        ],
    ),
    (
        "alias_bomb_in_compose",
        append(QDRANT_COMPOSE, BOMB),
        [
            S
            + (
                ": stacks.qdrant.compose_file: compose file stacks/qdrant/compose.yaml "
                f"is not valid YAML: line {COMPOSE_LINES + 5}, column 6: aliases expand the "
                "document past "
                "100,000 values; write it out instead"
            ),
        ],
    ),
    (
        "file_too_big",
        append("guests.yaml", "# " + "x" * (1024 * 1024) + "\n"),
        [
            G + ": is 1,051,866 bytes; config files are limited to 1,048,576",
        ],
    ),
    (
        "dangling_symlink",
        symlink("gateway.yaml", "gateway-site.yaml"),
        [
            GW + ": a symlink to gateway-site.yaml, which does not exist",
        ],
    ),
    (
        "directory_named_like_a_config",
        directory("gateway.yaml"),
        [
            GW + ": a directory, not a config file",
        ],
    ),
    (
        "config_file_in_upper_case",
        rename("gateway.yaml", "gateway.YAML"),
        [
            "configs/gateway.YAML: file names are case-sensitive; did you mean gateway.yaml?",
        ],
    ),
    (
        "backup_copy_of_a_config",
        write("guests.yaml.orig", "vms: {}\n"),
        [
            "configs/guests.yaml.orig: not read: Phoenix reads guests.yaml (or .yml, "
            ".json); rename it, or move it out of the config directory",
        ],
    ),
    (
        "cores_as_text",
        set_raw("guests.yaml", "vms.1002.cores", '"4"'),
        [
            G + ": vms.1002.cores: should be a whole number (got '4')",
        ],
    ),
    (
        "cores_as_bool",
        set_raw("guests.yaml", "vms.1002.cores", "true"),
        [
            G + ": vms.1002.cores: should be a whole number (got true)",
        ],
    ),
    (
        "nfs_address_as_number",
        set_raw("proxmox.yaml", "nfs.address", "167772173"),
        [
            P + ": nfs.address: should be text like 10.0.0.1 or 10.0.0.0/24 (got 167772173)",
        ],
    ),
    (
        "network_as_bool",
        set_raw("proxmox.yaml", "networks.lan.cidr", "true"),
        [
            P + ": networks.lan.cidr: should be text like 10.0.0.1 or 10.0.0.0/24 (got true)",
        ],
    ),
    (
        "dns_server_as_number",
        set_raw("proxmox.yaml", "networks.lan.dns_servers.0", "167772161"),
        [
            P
            + (
                ": networks.lan.dns_servers.0: should be text like 10.0.0.1 or 10.0.0.0/24 "
                "(got 167772161)"
            ),
        ],
    ),
    (
        "compose_file_name_with_a_line_break",
        set_field("stacks.yaml", "stacks.qdrant.compose_file", f"{QDRANT_COMPOSE}\nok: all good"),
        [
            S
            + (
                ": stacks.qdrant.compose_file: 'stacks/qdrant/compose.yaml\\nok: all good' must "
                "be a relative path inside the config directory, like stacks/<name>/compose.yaml"
            ),
        ],
    ),
    (
        "key_with_a_line_break_and_a_bidi_override",
        edit("stacks.yaml", "stacks:\n", 'stacks:\n  "evil\\nfake: ok\\u202e": {}\n'),
        [
            # The key's line break and override are shown escaped: one problem per line.
            S + ": stacks.evil\\nfake: ok\\u202e: Portainer would store this stack as "
            "'evilfakeok'; use that name",
            S + ": stacks.evil\\nfake: ok\\u202e.compose_file: required",
        ],
    ),
    (
        "template_as_text",
        set_raw("guests.yaml", "vms.1002.template", '"9000"'),
        [
            G
            + (": vms.1002.template: a VMID is a whole number from 100 to 999999999 (got '9000')"),
        ],
    ),
    (
        "full_width_vmid_key",
        edit("guests.yaml", "  1002:\n", f'  "{WIDE}":\n'),
        [
            G
            + (
                f": vms.{WIDE}: a VMID is a whole number from 100 to 999999999 (got "
                f"'{WIDE}'); it contains look-alike characters: '\uff11' (U+FF11 "
                "FULLWIDTH DIGIT ONE) for '1', '\uff10' (U+FF10 FULLWIDTH DIGIT ZERO) for "
                "'0', '\uff12' (U+FF12 "
                "FULLWIDTH DIGIT TWO) for '2'"
            ),
        ],
    ),
    (
        "guest_gateway_is_broadcast",
        edit("guests.yaml", "ip: 10.0.0.102/24", "ip: 10.0.0.102/24\n      gateway: 10.0.0.255"),
        [
            G
            + (
                ": vms.1002.network.gateway: gateway 10.0.0.255 is the network or "
                "broadcast address of 10.0.0.0/24"
            ),
        ],
    ),
    (
        "node_address_out_of_range",
        edit("proxmox.yaml", "    address: 10.0.0.13 ", "    address: 999.0.0.13 "),
        [
            P + (": nodes.pve.address: '999.0.0.13' is not an IPv4 address (each part is 0-255)"),
        ],
    ),
    (
        "all_zero_mac",
        edit(
            "guests.yaml", "ip: 10.0.0.102/24", 'ip: 10.0.0.102/24\n      mac: "00:00:00:00:00:00"'
        ),
        [
            G
            + (
                ": vms.1002.network.mac: 00:00:00:00:00:00 is not a usable MAC; leave "
                "mac out to get one"
            ),
        ],
    ),
    (
        "overlapping_networks_on_one_bridge",
        combine(
            edit(
                "proxmox.yaml",
                "networks:\n  lan:",
                "networks:\n  storage:\n    cidr: 10.0.0.128/25\n  lan:",
            ),
            *(
                edit(
                    "guests.yaml",
                    f"ip: 10.0.0.{host}/24",
                    f"network: lan\n      ip: 10.0.0.{host}/24",
                )
                for host in (101, 102, 153)
            ),
        ),
        [
            P
            + (
                ": networks.lan.cidr: 10.0.0.0/24 overlaps network storage "
                "(10.0.0.128/25) on the same bridge vmbr0"
            ),
        ],
    ),
    (
        "two_vms_write_one_export",
        combine(
            edit(
                "guests.yaml",
                "export: /quickOS/vm-persistent-data/1001",
                "export: /quickOS/vm-persistent-data/shared",
            ),
            edit(
                "guests.yaml",
                "export: /quickOS/vm-persistent-data/1002",
                "export: /quickOS/vm-persistent-data/shared",
            ),
        ),
        [
            G
            + (
                ": vms.1002.volumes.0.export: /quickOS/vm-persistent-data/shared is "
                "already mounted read-write by vms.1001; give each VM its own directory, "
                "or mount it read_only: true"
            ),
        ],
    ),
    (
        "nfs_path_names_another_vmid",
        edit(
            "guests.yaml",
            "export: /quickOS/vm-persistent-data/1002",
            "export: /quickOS/vm-persistent-data/1000",
        ),
        [
            G
            + (
                ": vms.1002.volumes.0.export: /quickOS/vm-persistent-data/1000 is named "
                "after VMID 1000, but this is VM 1002; use .../1002"
            ),
        ],
    ),
    (
        "compose_uses_undefined_variable",
        edit(
            QDRANT_COMPOSE,
            "QDRANT__LOG_LEVEL: ${QDRANT__LOG_LEVEL}",
            "QDRANT__LOG_LEVEL: ${QDRANT__LOG_LEVEL}\n      QDRANT__CLUSTER__ENABLED: ${CLUSTER}",
        ),
        [
            S
            + (
                ": stacks.qdrant.env: compose file stacks/qdrant/compose.yaml uses "
                "${CLUSTER} without a default, and the stack does not define it (Compose "
                "would substitute an empty string)"
            ),
        ],
    ),
    (
        "stack_publishes_the_agent_port",
        edit(
            QDRANT_COMPOSE,
            '      - "6334:6334"   # gRPC',
            '      - "6334:6334"   # gRPC\n      - "9001:9001"',
        ),
        [
            G
            + (
                ": vms.1002.stacks.0: stack 'qdrant' publishes port 9001, the Portainer "
                "agent's port on drphoenix (configs/portainer.yaml)"
            ),
        ],
    ),
    (
        "gateway_port_closed_by_its_firewall",
        remove_field("guests.yaml", f"containers.101.firewall.rules.{GATEWAY_HTTP_RULE}"),
        [
            G
            + (
                ": containers.101.firewall: closes port 80, where the gateway listens "
                '(configs/gateway.yaml); add a rule such as {proto: tcp, dport: "80"}'
            ),
        ],
    ),
    (
        "container_template_url_ends_with_slash",
        edit("guests.yaml", CT_TEMPLATE_URL, "url: https://download.proxmox.com/images/system/"),
        [
            G
            + (
                ": containers.101.os_template: url: the file name at its end (nothing) "
                "must end in .tar.gz, .tar.xz, .tar.zst: Proxmox stores the download "
                "under that name"
            ),
        ],
    ),
    (
        "duplicate_guest_name_no_follow_on",
        edit(
            "guests.yaml",
            "containers:\n",
            "containers:\n  102:\n    name: drphoenix\n"
            "    os_template: {file_id: 'local:vztmpl/debian.tar.zst'}\n    network: {ip: dhcp}\n",
        ),
        [
            G + ": vms.1002.name: name 'drphoenix' is already used by containers.102",
        ],
    ),
    (
        "cyrillic_lookalike_reference",
        edit(
            "gateway.yaml",
            "to: {guest: drphoenix, port: 6333}",
            "to: {guest: drph\u043eenix, port: 6333}",
        ),
        [
            GW
            + (
                ": routes.0.to.guest: 'drph\u043eenix' is not a valid guest name: a DNS label "
                "of lower-case letters, digits and '-', at most 63 characters; it "
                "contains look-alike characters: '\u043e' (U+043E CYRILLIC SMALL LETTER O) "
                "for 'o'"
            ),
        ],
    ),
    (
        "pg_connection_string_in_state_yaml",
        write(
            "state.yaml",
            f"backend: pg\npg:\n  conn_str: postgres://phoenix:{PASSWORD}@db.lab.home/tf\n",
        ),
        [
            f"{ST}: pg.conn_str: the connection string never goes in a config file (it holds "
            "the password); set PG_CONN_STR in the environment of whoever runs Terraform, e.g. "
            "postgres://phoenix@db.lab.home/terraform?sslmode=require with the password in "
            "PGPASSWORD or ~/.pgpass"
        ],
    ),
    (
        "pg_password_in_state_yaml",
        write("state.yaml", f"backend: pg\npg:\n  password: {PASSWORD}\n"),
        [
            f"{ST}: pg.password: unknown key 'password': secrets never go in config files; "
            "Terraform reads the PostgreSQL connection string from PG_CONN_STR (or PGHOST, "
            "PGUSER, PGPASSWORD, PGDATABASE) and the S3 keys from AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY"
        ],
    ),
    (
        "s3_keys_in_the_endpoint",
        write(
            "state.yaml",
            f"backend: s3\ns3:\n  endpoint: https://phoenix:{PASSWORD}@minio.lab:9000\n"
            "  bucket: phoenix-state\n",
        ),
        [
            f"{ST}: s3.endpoint: must not contain a user name or password "
            "(user:password@host): credentials come from the environment, never from a config "
            "(got 'https://***@minio.lab:9000')"
        ],
    ),
    (
        "long_value_is_cut",
        edit("portainer.yaml", "version: 2.44.0", "version: v" + "2" * 100000),
        [
            PT
            + (
                ": version: "
                "'v22222222222222222222222222222222222222222222222222222222...' is not a "
                "valid version: pin an exact version like 2.33.6 (never 'latest')"
            ),
        ],
    ),
]


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [pytest.param(mutation, expected, id=name) for name, mutation, expected in CASES],
)
def test_fails_when(config_dir: Path, mutation: Mutation, expected: list[str]) -> None:
    # GIVEN the reference configs with one hostile or careless change
    mutation(config_dir)
    # WHEN the fleet loads THEN exactly these problems are reported, in this order
    report = problems(config_dir)
    assert report == expected
    # AND no secret the change carried is echoed
    for secret in (TOKEN, PASSWORD, "hunter2"):
        assert all(secret not in line for line in report)


def test_corpus_covers_every_class() -> None:
    assert len(CASES) >= 35
    assert len({name for name, _, _ in CASES}) == len(CASES)


VALID: list[tuple[str, Mutation]] = [
    (
        "plaintext_ok_with_a_reason",
        edit(
            "stacks.yaml",
            "QDRANT__LOG_LEVEL: INFO",
            "QDRANT__LOG_LEVEL: INFO\n      DB_PASS: {value: hunter2, plaintext_ok: true, "
            "reason: throwaway password of the demo database}",
        ),
    ),
    (
        "compose_default_and_escaped_dollars",
        edit(
            "stacks/qdrant/compose.yaml",
            "    restart: unless-stopped",
            "    restart: unless-stopped\n    labels:\n      tier: ${TIER:-db}\n      price: $$5",
        ),
    ),
    ("config_as_symlink", symlink_moved("portainer.yaml", "../shared-portainer.yaml")),
    ("readme_in_config_dir", write("README.md", "# my fleet\n")),
    (
        "two_networks_on_separate_vlans",
        combine(
            edit(
                "proxmox.yaml",
                "networks:\n  lan:",
                "networks:\n  iot:\n    cidr: 10.0.0.0/24\n    vlan: 20\n  lan:",
            ),
            *(
                edit(
                    "guests.yaml",
                    f"ip: 10.0.0.{host}/24",
                    f"network: lan\n      ip: 10.0.0.{host}/24",
                )
                for host in (101, 102, 153)
            ),
        ),
    ),
    (
        "shared_export_read_only_elsewhere",
        append_item(
            "guests.yaml",
            "vms.1002.volumes",
            {
                "export": "/quickOS/vm-persistent-data/1001",
                "mount_point": "/mnt/portainer",
                "read_only": True,
            },
        ),
    ),
]


@pytest.mark.parametrize("mutation", [pytest.param(m, id=name) for name, m in VALID])
def test_loads_when_unusual_but_valid(config_dir: Path, mutation: Mutation) -> None:
    mutation(config_dir)
    load_fleet(config_dir)
