"""A snapshot failure reads as a plan review: address, changed values, texts by line."""

from __future__ import annotations

import json
from pathlib import Path

from fleet import load_fleet
from tests.config_edits import Mutation, read_field, set_field, update_field
from tests.conftest import ROOT, PlanSnapshot
from tests.plan import synth_files

QDRANT_COMPOSE = "stacks/qdrant/compose.yaml"
SNAPSHOT = ROOT / "__snapshots__" / "test_reference_fleet" / "test_infra_plan_matches_snapshot.json"


def infra_after(tmp_path: Path, *edits: Mutation) -> str:
    configs = tmp_path / "configs"
    configs.mkdir()
    for path in (ROOT / "configs").rglob("*"):
        target = configs / path.relative_to(ROOT / "configs")
        if path.is_dir():
            target.mkdir(exist_ok=True)
        else:
            target.write_bytes(path.read_bytes())
    for change in edits:
        change(configs)
    stacks = synth_files(load_fleet(configs), tmp_path / "cdktf.out")
    return json.dumps(stacks["infra"], indent=2, sort_keys=True)


def test_a_memory_change_names_the_vm_and_the_memory_line(tmp_path: Path) -> None:
    # GIVEN VM 1002's memory grown in the config
    received = infra_after(tmp_path, set_field("guests.yaml", "vms.1002.memory_mib", 16384))
    # WHEN the snapshot extension explains the difference
    lines = list(PlanSnapshot().diff_lines(received, SNAPSHOT.read_text(encoding="utf-8")))
    # THEN it names the Terraform address, the one changed value, and how to accept it
    assert lines[:2] == [
        "plan change in proxmox_virtual_environment_vm.vm_1002:",
        "  ~ memory.dedicated: 8192 -> 16384",
    ]
    assert "--snapshot-update" in lines[-2]
    assert len(lines) == 5


def test_a_compose_change_shows_only_the_changed_lines(tmp_path: Path) -> None:
    received = infra_after(
        tmp_path, update_field(QDRANT_COMPOSE, "services.qdrant.image", lambda i: f"{i}-next")
    )
    lines = list(PlanSnapshot().diff_lines(received, SNAPSHOT.read_text(encoding="utf-8")))
    text = "\n".join(lines)
    assert "plan change in output.portainer:" in text
    image = read_field(ROOT / "configs", QDRANT_COMPOSE, "services.qdrant.image")
    assert f"-    image: {image}" in text
    assert f"+    image: {image}-next" in text
    assert all(len(line) < 200 for line in lines)  # no 1,000-character JSON lines
