"""Real Terraform on the plans Phoenix writes, against the bpg/proxmox stand-in.

One stand-in install per session; one applied reference fleet per session, copied for each
test that changes it, so Terraform runs once per stack and scenario.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from cdktf import App

from fleet import load_fleet
from rehearsal.loopback import copy_to_loopback
from rehearsal.ssh import Agent, GuestSshd
from rehearsal.terraform import Terraform, find_terraform
from stacks import build_stacks
from tests.config_edits import Mutation
from tests.conftest import ROOT, terraform_or_skip


def synthesize(config_dir: Path, outdir: Path) -> Path:
    """`cdktf synth` of a config dir into `outdir` (in process); returns `outdir`."""
    app = App(outdir=str(outdir))
    build_stacks(app, load_fleet(config_dir))
    app.synth()
    return outdir


@dataclass
class Deployment:
    """A fleet synthesized under `root` (state files land there too) and its cluster."""

    root: Path
    terraform: Terraform

    @property
    def configs(self) -> Path:
        return self.root / "configs"

    def stack(self, name: str) -> Path:
        return self.root / "cdktf.out" / "stacks" / name

    def synth(self) -> None:
        outdir = self.root / "cdktf.out"
        for stack in (outdir / "stacks").glob("*/cdk.tf.json") if outdir.exists() else ():
            stack.unlink()
        synthesize(self.configs, outdir)

    def change(self, *edits: Mutation) -> None:
        """Apply field edits (`tests.config_edits`) to the configs (`synth` afterwards)."""
        for edit in edits:
            edit(self.configs)


@pytest.fixture(scope="session")
def terraform(tmp_path_factory: pytest.TempPathFactory) -> Terraform:
    """Terraform with the stand-in installed (no cluster kept: see `deployment`)."""
    return Terraform(terraform_or_skip(), tmp_path_factory.mktemp("standin"))


@pytest.fixture(scope="session")
def applied_reference(
    tmp_path_factory: pytest.TempPathFactory, ssh: tuple[Agent, GuestSshd]
) -> Deployment:
    """The reference fleet on loopback, its infra stack applied on the stand-in."""
    root = tmp_path_factory.mktemp("reference")
    copy_to_loopback(ROOT / "configs", root / "configs")
    deployment = Deployment(root, _terraform(root, ssh[0]))
    deployment.synth()
    deployment.terraform.init(deployment.stack("infra"))
    deployment.terraform.apply(deployment.stack("infra"))
    return deployment


@pytest.fixture
def deployment(
    applied_reference: Deployment, tmp_path: Path, ssh: tuple[Agent, GuestSshd]
) -> Deployment:
    """A private copy of the applied reference fleet: configs, plans, state and cluster."""
    root = tmp_path / "fleet"
    shutil.copytree(applied_reference.root, root, symlinks=True)
    return Deployment(root, _terraform(root, ssh[0]))


def _terraform(root: Path, agent: Agent) -> Terraform:
    return Terraform(
        find_terraform() or "terraform",
        root / ".standin",
        world=root / "proxmox-world.json",
        extra_env={"SSH_AUTH_SOCK": str(agent.socket)},
    )
