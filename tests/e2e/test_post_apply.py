"""End to end: real Terraform applies the synthesized post-apply stack against a fake Portainer.

The fleet is the reference fleet moved onto loopback stand-ins (10.0.0.x -> 127.0.0.x), so the
agent the fake Portainer pings and the reconcile waits for is a fake agent on 127.0.0.102. The
infra stack is applied for real on the bpg/proxmox stand-in (the gateway site goes to a
loopback sshd), then the post-apply stack reads its state. Nothing reaches 10.0.0.x.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rehearsal.loopback import copy_to_loopback
from rehearsal.ssh import Agent, GuestSshd
from rehearsal.terraform import Terraform
from tests.conftest import ROOT
from tests.fakes.agent import FakeAgent
from tests.fakes.portainer import FakePortainer
from tests.terraform import terraform, terraform_binary, terraform_env

pytestmark = pytest.mark.e2e

ADMIN_PASSWORD = "e2e-admin-password-never-shown"
QDRANT_KEY = "e2e-qdrant-key-never-shown"


@dataclass
class Deployment:
    """A synthesized fleet on disk plus the fakes it talks to."""

    root: Path
    configs: Path
    fake: FakePortainer
    agent: FakeAgent
    ssh_agent: Agent

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
                "PORTAINER_CA_BUNDLE": self.fake.ca_bundle,
                "PORTAINER_USERNAME": "admin",
                "PORTAINER_PASSWORD": ADMIN_PASSWORD,
                "QDRANT_API_KEY": QDRANT_KEY,
                # The synthesized command runs from the project root three levels up; here
                # that is a temp dir, so point it at this checkout's interpreter and code.
                "PHOENIX_PYTHON": sys.executable,
                "PYTHONPATH": str(ROOT),
                # Bounded waits, short enough for a test.
                "PHOENIX_RECONCILE_ARGS": "--agent-timeout 2 --server-timeout 10",
            },
        )

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


@pytest.fixture
def deployment(tmp_path: Path, ssh: tuple[Agent, GuestSshd]) -> Iterator[Deployment]:
    terraform_binary()  # skip loudly when terraform is missing
    with FakePortainer() as fake, FakeAgent(host="127.0.0.102") as agent:
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
        deployment = Deployment(
            root=tmp_path, configs=configs, fake=fake, agent=agent, ssh_agent=ssh[0]
        )
        deployment.synth()
        deployment.apply_infra()
        yield deployment


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
    compose = deployment.configs / "stacks/qdrant/compose.yaml"
    assert stack.content == compose.read_text(encoding="utf-8")  # ${VAR} survived Terraform
    assert stack.status == 1
    assert "terraform_data.portainer_reconcile (local-exec)" in first
    for secret in (ADMIN_PASSWORD, QDRANT_KEY):
        assert secret not in first

    # WHEN it is applied again with nothing changed
    fake.clear_log()
    second = deployment.apply_portainer()
    # THEN Terraform has nothing to do and Portainer sees no write at all
    assert "No changes." in second
    assert fake.writes() == []

    # WHEN the compose file changes and the fleet is synthesized and deployed again
    compose.write_text(
        compose.read_text(encoding="utf-8").replace("v1.15.5", "v1.15.6"), encoding="utf-8"
    )
    deployment.synth()
    deployment.apply_infra()
    fake.clear_log()
    third = deployment.apply_portainer()
    # THEN exactly one stack update reaches Portainer
    writes = [(record.method, record.path) for record in fake.writes()]
    assert writes == [("PUT", f"/api/stacks/{stack.id}")]
    assert "1 added, 0 changed, 1 destroyed" in third  # the trigger replaced the step
    _, updated = owned_stack(fake)
    assert "qdrant/qdrant:v1.15.6" in updated.content


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
