"""The documented deploy's server TLS: pin over SSH on first contact, refuse anything else.

Every run here verifies the fake Portainer's certificate (no CA bundle, no --insecure): the
reconcile reads it through the Proxmox node stand-in (real `ssh`, `qm guest exec`), pins it,
and from then on an impostor at the same address gets nothing, credentials least of all.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from portainer.certificates import display, leaf_certificate
from tests.fakes.agent import FakeAgent
from tests.fakes.portainer import FakePortainer
from tests.portainer.conftest import (
    CERT_PATH,
    NODE,
    SERVER_VMID,
    NodeSsh,
    Result,
    Runner,
    agent_doc,
    desired_doc,
    stack_doc,
)

PASSWORD = "documented-flow-password"


@pytest.fixture
def deploy(fake: FakePortainer, node: NodeSsh, tmp_path: Path) -> Runner:
    """The README's deploy: a password (the reconcile creates the admin), no CA bundle, no
    --insecure; the node serves VM 1001's certificate over SSH."""
    node.serve_certificate_of(fake)
    runner = Runner(fake, tmp_path)
    del runner.env["PORTAINER_CA_BUNDLE"]
    runner.env.update(node.env())
    runner.env.update({"PORTAINER_USERNAME": "admin", "PORTAINER_PASSWORD": PASSWORD})
    return runner


@pytest.fixture
def desired(agent: FakeAgent, node: NodeSsh) -> dict[str, Any]:
    return desired_doc(
        [agent_doc("drphoenix", agent.url, [stack_doc("qdrant")])],
        certificate_source=node.source_doc(),
    )


def pinned(runner: Runner) -> dict[str, Any]:
    servers: dict[str, Any] = json.loads(runner.pins.read_text(encoding="utf-8"))["servers"]
    return servers


def credential_requests(fake: FakePortainer) -> list[str]:
    """Requests that carried a password, an API key or a JWT."""
    return [
        f"{r.method} {r.path}"
        for r in fake.log
        if r.auth != "none" or r.path in ("/api/auth", "/api/users/admin/init")
    ]


def test_first_run_pins_the_certificate_read_over_ssh_and_converges(
    deploy: Runner, desired: dict[str, Any], fake: FakePortainer, node: NodeSsh
) -> None:
    # WHEN the post-apply reconcile runs for the first time, verification on
    result = deploy(desired)
    # THEN it read the certificate once through the node, pinned it, and converged
    assert result.code == 0, result.out + result.err
    sha = leaf_certificate(fake.certificate_pem).sha256
    assert pinned(deploy)[fake.url]["sha256"] == sha
    assert pinned(deploy)[fake.url]["source"] == (
        f"ssh root@{NODE}:{node.port}, qm guest exec {SERVER_VMID}, {CERT_PATH}"
    )
    assert f"pinned the certificate of {fake.url}: {display(sha)}" in result.err
    assert node.guest_exec_calls() == [f"qm guest exec 1001 -- cat {CERT_PATH}"]
    assert "+ stack qdrant: created" in result.out
    # WHEN it runs again THEN the pin is used as it is: no SSH, no Portainer write
    fake.clear_log()
    again = deploy(desired)
    assert again.code == 0, again.out + again.err
    assert len(node.guest_exec_calls()) == 1
    assert fake.writes() == []


def test_fails_when_another_certificate_answers_and_sends_it_no_credential(
    deploy: Runner, desired: dict[str, Any], fake: FakePortainer
) -> None:
    # GIVEN a fleet deployed and pinned
    assert deploy(desired).code == 0
    old = leaf_certificate(fake.certificate_pem).sha256
    fake.stop()
    # WHEN something else answers at the same address, and the reconcile may wait long
    with FakePortainer(port=fake.port) as impostor:
        result = deploy(desired, "--server-timeout", "600")
        # THEN it is refused at the first handshake, before any request: the impostor saw
        # nothing, no password, no JWT, no API key
        assert impostor.log == []
        assert credential_requests(impostor) == []
    # AND it failed at once, naming both certificates and how to re-pin on purpose
    assert result.code == 1
    assert "waiting for Portainer" not in result.err
    assert f"refusing the Portainer server at {fake.url}" in result.out
    assert display(leaf_certificate(impostor.certificate_pem).sha256) in result.out
    assert display(old) in result.out
    assert "python -m portainer trust --reset" in result.out
    assert PASSWORD not in result.out + result.err
    # AND the pin was not touched
    assert pinned(deploy)[fake.url]["sha256"] == old


def test_repinning_on_purpose_after_the_vm_was_rebuilt(
    deploy: Runner, desired: dict[str, Any], fake: FakePortainer, node: NodeSsh, agent: FakeAgent
) -> None:
    # GIVEN a pinned server, then its VM rebuilt: a new Portainer with a new certificate,
    # which the node now serves too
    assert deploy(desired).code == 0
    old = leaf_certificate(fake.certificate_pem).sha256
    fake.stop()
    with FakePortainer(port=fake.port) as rebuilt:
        node.serve_certificate_of(rebuilt)
        new = leaf_certificate(rebuilt.certificate_pem).sha256
        assert deploy(desired).code == 1  # refused until re-pinned on purpose
        # WHEN the operator re-pins
        result = deploy.command("trust", desired, "--reset")
        # THEN the new certificate, read again over SSH, replaced the old pin
        assert result.code == 0, result.err
        assert f"{fake.url}: {display(new)} (was {display(old)})" in result.out
        assert pinned(deploy)[fake.url]["sha256"] == new
        # AND the reconcile converges the rebuilt server
        converged = deploy(desired)
        assert converged.code == 0, converged.out + converged.err
        assert [e["Name"] for e in rebuilt.endpoints()] == ["drphoenix"]


def test_trust_shows_the_pin_and_whether_the_server_presents_it(
    deploy: Runner, desired: dict[str, Any], fake: FakePortainer
) -> None:
    # WHEN asking before anything is pinned THEN it pins, and the server presents the pin
    first = deploy.command("trust", desired)
    sha = leaf_certificate(fake.certificate_pem).sha256
    assert first.code == 0, first.err
    assert f"{fake.url}: {display(sha)}" in first.out
    assert "the server presents this certificate" in first.out
    assert fake.log == []  # a handshake only
    # WHEN something else answers there THEN it says so and exits 1
    fake.stop()
    with FakePortainer(port=fake.port) as impostor:
        second = deploy.command("trust", desired)
        assert impostor.log == []
    assert second.code == 1
    assert "the server presents ANOTHER certificate" in second.out
    assert "trust --reset" in second.out


def test_a_fingerprint_checked_by_hand_can_be_pinned_without_ssh(
    deploy: Runner, fake: FakePortainer, agent: FakeAgent, node: NodeSsh
) -> None:
    # GIVEN outputs without a certificate source (an older infra state) and no pin
    old_outputs = desired_doc([agent_doc("drphoenix", agent.url)])
    refused = deploy(old_outputs)
    assert refused.code == 1
    assert "does not say where to read it" in refused.err
    assert "--fingerprint" in refused.err
    assert fake.log == []
    # WHEN the operator pins the fingerprint they read on the server (openssl's spelling)
    typed = display(leaf_certificate(fake.certificate_pem).sha256).replace("SHA256 ", "")
    pinned_by_hand = deploy.command("trust", old_outputs, "--fingerprint", typed)
    # THEN the reconcile trusts exactly that certificate
    assert pinned_by_hand.code == 0, pinned_by_hand.err
    assert deploy(old_outputs).code == 0
    assert node.guest_exec_calls() == []


def test_fails_at_once_when_the_node_host_key_is_not_known(
    deploy: Runner, desired: dict[str, Any], fake: FakePortainer, node: NodeSsh
) -> None:
    # GIVEN a known_hosts that does not know the Proxmox node
    node.known_hosts.write_text("", encoding="utf-8")
    # WHEN reconciling with a long wait allowed
    result = deploy(desired, "--server-timeout", "600")
    # THEN it stops at once, says what to check, pins nothing and contacts no Portainer
    assert result.code == 1
    assert "Host key verification failed" in result.err
    assert "ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub" in result.err
    assert "waiting for" not in result.err
    assert not deploy.pins.exists()
    assert fake.log == []


def test_waits_while_the_vm_boots_then_pins(
    deploy: Runner, desired: dict[str, Any], fake: FakePortainer, node: NodeSsh
) -> None:
    # GIVEN a Portainer that has not written its certificate yet; it appears once the
    # reconcile has looked for it (whenever that is: no timing assumed)
    certificate = node.sshd.guest_files(NODE, SERVER_VMID) / CERT_PATH.lstrip("/")
    certificate.unlink()
    looked = threading.Event()

    def write_after_first_look() -> None:
        while not looked.wait(0.01):
            if node.guest_exec_calls():
                certificate.write_text(fake.certificate_pem, encoding="ascii")
                looked.set()

    writer = threading.Thread(target=write_after_first_look, daemon=True)
    writer.start()
    try:
        # WHEN reconciling (the wait is bounded by --server-timeout)
        result = deploy(desired, "--server-timeout", "60")
    finally:
        looked.set()
        writer.join(timeout=5)
    # THEN it waited, saying why, then pinned and converged
    assert result.code == 0, result.out + result.err
    assert "waiting for the Portainer server's certificate (VM 1001)" in result.err
    assert "No such file" in result.err
    assert len(node.guest_exec_calls()) >= 2
    assert pinned(deploy)[fake.url]["sha256"] == leaf_certificate(fake.certificate_pem).sha256


def test_no_key_material_in_the_pins_file_or_the_output(
    deploy: Runner, desired: dict[str, Any], fake: FakePortainer
) -> None:
    # GIVEN the VM's data volume holds the key next to the certificate
    result = deploy(desired)
    assert result.code == 0
    # THEN neither the key nor the certificate itself was kept or printed: only its hash
    key_body = "".join(fake.private_key_pem.strip().splitlines()[1:-1])
    cert_body = "".join(fake.certificate_pem.strip().splitlines()[1:-1])
    for text in (deploy.pins.read_text(encoding="utf-8"), result.out, result.err):
        assert "PRIVATE KEY" not in text
        assert key_body[:40] not in text
        assert cert_body[:40] not in text


@pytest.mark.parametrize("how", [{"PORTAINER_INSECURE": "1"}, {}])
def test_insecure_still_works_for_a_first_experiment_and_warns_every_time(
    deploy: Runner, desired: dict[str, Any], how: dict[str, str]
) -> None:
    args = () if how else ("--insecure",)
    runs: list[Result] = [deploy(desired, *args, **how) for _ in range(2)]
    for result in runs:
        assert result.code == 0, result.out + result.err
        assert "is NOT verified" in result.err
        assert "receives the Portainer password or API key" in result.err
    assert not deploy.pins.exists()  # nothing pinned: nothing was verified


def test_fails_when_the_server_url_is_plain_http(
    deploy: Runner, desired: dict[str, Any], fake: FakePortainer, node: NodeSsh
) -> None:
    # GIVEN PORTAINER_URL pointing at Portainer's plain-HTTP port
    result = deploy(desired, PORTAINER_URL=f"http://{fake.host}:{fake.port}")
    # THEN nothing is sent in clear, and the message says what to use instead
    assert result.code == 1
    assert "is not https" in result.err
    assert fake.log == []
    assert node.guest_exec_calls() == []
