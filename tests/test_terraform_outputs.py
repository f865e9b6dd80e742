"""Terraform itself evaluates the infra stack's outputs into exactly the documented values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fleet import load_fleet
from tests.conftest import ROOT
from tests.plan import synth_fleet
from tests.terraform import outputs, terraform


@pytest.fixture(scope="module")
def applied_outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    # GIVEN the reference fleet's infra stack, reduced to its outputs (no provider needed)
    plan = synth_fleet(load_fleet(ROOT / "configs"), str(tmp_path_factory.mktemp("synth")))["infra"]
    workdir = tmp_path_factory.mktemp("outputs")
    (workdir / "main.tf.json").write_text(json.dumps({"output": plan["output"]}), encoding="utf-8")
    # WHEN terraform applies it
    terraform(workdir, "init", "-input=false")
    terraform(workdir, "apply", "-auto-approve", "-input=false")
    return outputs(workdir)


@pytest.mark.e2e
def test_compose_reaches_consumers_byte_for_byte(applied_outputs: dict[str, Any]) -> None:
    # THEN the compose file's own ${VAR} references survive Terraform's template evaluation
    desired = applied_outputs["portainer"]["value"]
    (stack,) = desired["agents"][0]["stacks"]
    compose = (ROOT / "configs/stacks/qdrant/compose.yaml").read_text(encoding="utf-8")
    assert "${QDRANT__SERVICE__API_KEY}" in compose
    assert stack["compose"] == compose


@pytest.mark.e2e
def test_outputs_are_not_sensitive_and_hold_no_secret(applied_outputs: dict[str, Any]) -> None:
    assert applied_outputs["portainer"]["sensitive"] is False
    text = json.dumps(applied_outputs)
    assert "from_env" in text  # secrets are references...
    assert "QDRANT_API_KEY" in text
    assert "password" not in text.lower()


@pytest.mark.e2e
def test_inventory_value(applied_outputs: dict[str, Any], tmp_path: Path) -> None:
    inventory = applied_outputs["inventory"]["value"]
    assert [guest["vmid"] for guest in inventory] == [101, 1001, 1002, 9000]
    assert inventory[1] == {
        "vmid": 1001,
        "name": "portainer",
        "kind": "vm",
        "node": "pve",
        "address": "10.0.0.101",
        "roles": ["docker", "portainer_server"],
    }
