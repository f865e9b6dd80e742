"""render_user_data: the cloud-init document a VM boots with."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from constructs_lib.bootstrap import (
    AGENT_COMPOSE_PATH,
    SERVER_COMPOSE_PATH,
    NfsMount,
    PortainerAgentSpec,
    PortainerServerSpec,
    VmBootstrap,
    render_user_data,
)

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAb operator@laptop"


def parse(text: str) -> dict[str, Any]:
    assert text.startswith("#cloud-config\n")
    document = yaml.safe_load(text)
    assert isinstance(document, dict)
    return document


def test_minimal_vm_gets_user_hostname_and_guest_agent() -> None:
    document = parse(render_user_data(VmBootstrap(hostname="web", domain="lab", ssh_keys=[KEY])))
    assert document["hostname"] == "web"
    assert document["fqdn"] == "web.lab"
    (user,) = document["users"]
    assert user["name"] == "phoenix"
    assert user["ssh_authorized_keys"] == [KEY]
    assert user["lock_passwd"] is True
    assert document["ssh_pwauth"] is False
    assert document["packages"] == ["qemu-guest-agent"]
    assert ["systemctl", "enable", "--now", "qemu-guest-agent"] in document["runcmd"]
    assert "write_files" not in document


def test_nfs_volumes_become_fstab_mounts_mounted_after_install() -> None:
    spec = VmBootstrap(
        hostname="db",
        nfs_mounts=[
            NfsMount(server="10.0.0.13", export="/data/1002", mount_point="/persistent-storage"),
            NfsMount(server="10.0.0.13", export="/iso", mount_point="/iso", read_only=True),
        ],
    )
    document = parse(render_user_data(spec))
    assert document["mounts"] == [
        ["10.0.0.13:/data/1002", "/persistent-storage", "nfs", "rw,hard,noatime,_netdev", "0", "0"],
        ["10.0.0.13:/iso", "/iso", "nfs", "ro,hard,noatime,_netdev", "0", "0"],
    ]
    assert "nfs-common" in document["packages"]
    assert ["mount", "-a", "-t", "nfs"] in document["runcmd"]


def test_agent_runs_pinned_image_on_its_port_after_docker() -> None:
    spec = VmBootstrap(
        hostname="drphoenix",
        docker=True,
        portainer_agent=PortainerAgentSpec(version="2.44.0", port=9001),
    )
    document = parse(render_user_data(spec))
    assert {"docker.io", "docker-compose-v2"} <= set(document["packages"])
    runcmd = document["runcmd"]
    up = ["docker", "compose", "-f", AGENT_COMPOSE_PATH, "up", "-d"]
    assert runcmd.index(["systemctl", "enable", "--now", "docker"]) < runcmd.index(up)
    (compose_file,) = document["write_files"]
    assert compose_file["permissions"] == "0600"
    service = yaml.safe_load(compose_file["content"])["services"]["portainer_agent"]
    assert service["image"] == "portainer/agent:2.44.0"
    assert service["ports"] == ["9001:9001"]
    assert "/var/run/docker.sock:/var/run/docker.sock" in service["volumes"]
    assert "environment" not in service


def test_server_runs_https_without_a_plaintext_admin_password() -> None:
    spec = VmBootstrap(
        hostname="portainer", docker=True, portainer_server=PortainerServerSpec(version="2.44.0")
    )
    text = render_user_data(spec)
    document = parse(text)
    (compose_file,) = document["write_files"]
    assert compose_file["path"] == SERVER_COMPOSE_PATH
    compose = yaml.safe_load(compose_file["content"])
    service = compose["services"]["portainer"]
    assert service["image"] == "portainer/portainer-ce:2.44.0"
    assert service["ports"] == ["9443:9443"]
    assert service["command"] == ["--no-setup-token"]
    assert compose["volumes"] == {"portainer_data": {}}
    assert "admin-password" not in text


def test_server_can_keep_the_setup_token_check() -> None:
    spec = VmBootstrap(
        hostname="portainer",
        docker=True,
        portainer_server=PortainerServerSpec(version="2.44.0", require_setup_token=True),
    )
    (compose_file,) = parse(render_user_data(spec))["write_files"]
    assert "command" not in yaml.safe_load(compose_file["content"])["services"]["portainer"]


def test_agent_secret_is_passed_to_both_sides() -> None:
    secret = "${var.portainer_agent_secret}"
    spec = VmBootstrap(
        hostname="both",
        docker=True,
        portainer_server=PortainerServerSpec(version="2.44.0", agent_secret=secret),
        portainer_agent=PortainerAgentSpec(version="2.44.0", agent_secret=secret),
    )
    files = parse(render_user_data(spec))["write_files"]
    for compose_file in files:
        services = yaml.safe_load(compose_file["content"])["services"]
        (service,) = services.values()
        assert service["environment"] == {"AGENT_SECRET": secret}


def test_output_is_deterministic() -> None:
    spec = VmBootstrap(
        hostname="x", docker=True, portainer_agent=PortainerAgentSpec(version="1.2.3")
    )
    assert render_user_data(spec) == render_user_data(spec)


def test_fails_when_portainer_is_asked_without_docker() -> None:
    with pytest.raises(
        ValueError, match=re.escape("bootstrap of x: the Portainer agent and server run on Docker")
    ):
        render_user_data(
            VmBootstrap(hostname="x", portainer_agent=PortainerAgentSpec(version="2.44.0"))
        )
