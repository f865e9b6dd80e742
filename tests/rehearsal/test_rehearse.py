"""`make rehearse`: a fleet deployed offline end to end, and its address mapping."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rehearsal.loopback import copy_to_loopback, to_loopback
from tests.conftest import ROOT, terraform_or_skip


def test_private_addresses_move_onto_loopback_and_public_ones_stay() -> None:
    text = "cidr: 10.0.0.0/24\nip: 192.168.1.5/24\ndns: [1.1.1.1]\nversion: 2.44.0.1\n"
    assert to_loopback(text) == (
        "cidr: 127.0.0.0/24\nip: 127.168.1.5/24\ndns: [1.1.1.1]\nversion: 2.44.0.1\n"
    )


def test_the_copied_reference_fleet_names_no_private_address(tmp_path: Path) -> None:
    mapping = copy_to_loopback(ROOT / "configs", tmp_path / "configs")
    assert mapping["10.0.0.102"] == "127.0.0.102"
    for path in (tmp_path / "configs").glob("*.yaml"):
        assert "10.0.0." not in path.read_text(encoding="utf-8"), path.name


def test_the_copy_keeps_its_state_local_whatever_the_fleet_shares(tmp_path: Path) -> None:
    # GIVEN a fleet whose state is shared in PostgreSQL
    source = tmp_path / "team"
    copy_to_loopback(ROOT / "configs", source)
    (source / "state.yaml").write_text("backend: pg\n", encoding="utf-8")
    # WHEN it is copied for a rehearsal THEN the copy has no state.yaml: local state, so a
    # rehearsal never writes into or locks the team's real state
    copy_to_loopback(source, tmp_path / "rehearsal")
    assert not (tmp_path / "rehearsal" / "state.yaml").exists()
    assert (tmp_path / "rehearsal" / "guests.yaml").exists()


@pytest.mark.e2e
def test_rehearse_deploys_the_minimal_example_and_converges(tmp_path: Path) -> None:
    terraform = terraform_or_skip()
    # WHEN the minimal example fleet is rehearsed
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "rehearsal",
            "--config",
            "examples/minimal",
            "--workdir",
            str(tmp_path),
        ],
        cwd=ROOT,
        env={**os.environ, "PROXMOX_VE_API_TOKEN": "root@pam!real=do-not-use"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    # THEN it applied on the stand-in and nothing is left to do
    assert result.returncode == 0, output
    assert "192.168.1.10    -> 127.168.1.10" in output
    assert "Apply complete! Resources: 2 added" in output  # the container and its template
    assert "infra: no changes" in output
    # AND the printed inspection commands work on the rehearsal's state
    state = subprocess.run(
        [terraform, f"-chdir={tmp_path}/cdktf.out/stacks/infra", "state", "list"],
        env={**os.environ, "TF_CLI_CONFIG_FILE": str(tmp_path / ".standin" / "terraformrc")},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "proxmox_virtual_environment_container.ct_200" in state.stdout.split()
    # AND the deployer's real token never reached the stand-in's cluster or state
    for path in tmp_path.rglob("*"):
        if path.suffix in (".json", ".tfstate"):
            assert "do-not-use" not in path.read_text(encoding="utf-8"), path
