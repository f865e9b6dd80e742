"""Reading the Portainer server's certificate through the Proxmox node: ssh + qm guest exec."""

from __future__ import annotations

import asyncssh
import pytest

from portainer.guest_agent import (
    GuestFileError,
    GuestFileRoute,
    GuestNotReadyError,
    read_guest_file,
    ssh_argv,
)
from rehearsal.ssh import Agent
from tests.fakes.portainer import FakePortainer
from tests.portainer.conftest import CERT_PATH, NODE, SERVER_VMID, NodeSsh


def route(node: NodeSsh, user: str = "root", vmid: int = SERVER_VMID) -> GuestFileRoute:
    return GuestFileRoute(
        ssh_host=NODE, ssh_port=node.port, ssh_user=user, vmid=vmid, path=CERT_PATH
    )


def test_reads_the_certificate_through_the_node(node: NodeSsh, fake: FakePortainer) -> None:
    # GIVEN Portainer's certificate in VM 1001 and the node's key in known_hosts
    node.serve_certificate_of(fake)
    # WHEN reading it THEN it is the certificate, fetched with one qm call as root
    assert read_guest_file(route(node), node.env(), 10) == fake.certificate_pem
    assert node.guest_exec_calls() == [f"qm guest exec 1001 -- cat {CERT_PATH}"]


def test_a_user_other_than_root_runs_qm_through_sudo_without_prompting(
    node: NodeSsh, fake: FakePortainer
) -> None:
    node.serve_certificate_of(fake)
    assert read_guest_file(route(node, user="deploy"), node.env(), 10) == fake.certificate_pem
    assert node.guest_exec_calls() == [f"sudo -n qm guest exec 1001 -- cat {CERT_PATH}"]


def test_a_file_not_written_yet_is_not_ready(node: NodeSsh, fake: FakePortainer) -> None:
    # GIVEN a VM whose Portainer has not started yet (no certificate)
    node.serve_certificate_of(fake)
    (node.sshd.guest_files(NODE, SERVER_VMID) / CERT_PATH.lstrip("/")).unlink()
    # THEN it is worth waiting for, and the reason is cat's
    with pytest.raises(GuestNotReadyError, match="No such file"):
        read_guest_file(route(node), node.env(), 10)


def test_a_vm_that_does_not_run_is_not_ready(node: NodeSsh) -> None:
    with pytest.raises(GuestNotReadyError, match="VM 1001 is not running"):
        read_guest_file(route(node), node.env(), 10)


def test_fails_when_the_node_host_key_is_unknown_and_does_not_learn_it(
    node: NodeSsh, fake: FakePortainer
) -> None:
    # GIVEN a known_hosts that does not know the node
    node.serve_certificate_of(fake)
    node.known_hosts.write_text("", encoding="utf-8")
    # WHEN reading THEN ssh refuses (no trust on first use here) and nothing was added
    with pytest.raises(GuestFileError, match="Host key verification failed"):
        read_guest_file(route(node), node.env(), 10)
    assert node.known_hosts.read_text(encoding="utf-8") == ""
    assert node.guest_exec_calls() == []


def test_fails_when_the_node_host_key_changed(node: NodeSsh, fake: FakePortainer) -> None:
    # GIVEN a known_hosts entry for the node's address with another key (someone else answers)
    node.serve_certificate_of(fake)
    other = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().strip()
    node.known_hosts.write_text(f"[{NODE}]:{node.port} {other}\n", encoding="utf-8")
    with pytest.raises(GuestFileError, match="Host key verification failed"):
        read_guest_file(route(node), node.env(), 10)
    assert node.guest_exec_calls() == []


def test_fails_when_the_node_refuses_the_login(
    node: NodeSsh, fake: FakePortainer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # GIVEN an ssh-agent whose key the node does not accept
    node.serve_certificate_of(fake)
    with Agent(tmp_path_factory.mktemp("stranger")) as stranger:
        env = {**node.env(), "SSH_AUTH_SOCK": str(stranger.socket)}
        with pytest.raises(GuestFileError, match="Permission denied"):
            read_guest_file(route(node), env, 10)


def test_fails_when_there_is_no_ssh_client(node: NodeSsh) -> None:
    env = {**node.env(), "PHOENIX_SSH_COMMAND": "no-such-ssh-client"}
    with pytest.raises(GuestFileError, match="not found"):
        read_guest_file(route(node), env, 10)


def test_phoenix_options_come_first_so_a_custom_command_cannot_relax_them() -> None:
    # GIVEN a custom command that tries to turn host key checking off
    env = {"PHOENIX_SSH_COMMAND": "ssh -o StrictHostKeyChecking=no -J jump"}
    argv = ssh_argv(GuestFileRoute("10.0.0.13", 22, "root", 1001, "/x"), env, 5)
    # THEN ssh sees Phoenix's value first (ssh keeps the first value of each option)
    assert argv[:5] == ["ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes"]
    assert argv[-3:] == ["--", "10.0.0.13", "qm guest exec 1001 -- cat /x"]
    assert "-J" in argv
