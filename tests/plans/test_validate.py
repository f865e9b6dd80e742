"""Every plan Phoenix writes passes `terraform validate` on the stand-in; planted mistakes fail.

The stand-in serves the provider's schema (so Terraform core type-checks every attribute and
block) and runs the provider's validators, as `terraform validate` does with the real one.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rehearsal.terraform import Terraform
from tests.conftest import ROOT

from .conftest import synthesize

FLEETS = {
    "reference": ROOT / "configs",
    **{path.name: path for path in sorted((ROOT / "examples").iterdir()) if path.is_dir()},
}
CONSTRUCT_FIXTURES = sorted(
    path
    for path in (ROOT / "__snapshots__").glob("test_*_construct/*.json")
    if "resource" in json.loads(path.read_text(encoding="utf-8"))
)
PROVIDER_BLOCK = {
    "terraform": {
        "required_providers": {"proxmox": {"source": "bpg/proxmox", "version": "0.111.1"}}
    },
    "provider": {"proxmox": [{"endpoint": "https://127.0.0.1:8006/"}]},
}

Mutation = Callable[[dict[str, Any]], None]


def validate(terraform: Terraform, workdir: Path, document: dict[str, Any]) -> dict[str, Any]:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "main.tf.json").write_text(json.dumps(document), encoding="utf-8")
    terraform.init(workdir)
    return terraform.validate(workdir)


def problems(result: dict[str, Any]) -> list[str]:
    return [
        f"{d['summary']}: {d.get('detail', '')}"
        for d in result["diagnostics"]
        if d["severity"] == "error"
    ]


@pytest.mark.parametrize("fleet", sorted(FLEETS), ids=str)
def test_every_stack_of_every_fleet_validates(
    fleet: str, terraform: Terraform, tmp_path: Path
) -> None:
    # GIVEN a fleet synthesized as `cdktf synth` would
    outdir = synthesize(FLEETS[fleet], tmp_path / "cdktf.out")
    stacks = sorted(path.parent for path in (outdir / "stacks").glob("*/cdk.tf.json"))
    assert stacks, "the fleet synthesized no stack"
    for stack in stacks:
        # WHEN Terraform initializes (without the state backend, which may be PostgreSQL) and
        # validates each stack
        terraform.init(stack, backend=False)
        result = terraform.validate(stack)
        # THEN Terraform and the provider accept it
        assert result["valid"], f"{fleet}/{stack.name}: {problems(result)}"


@pytest.mark.parametrize("fixture", CONSTRUCT_FIXTURES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_construct_fixture_validates(
    fixture: Path, terraform: Terraform, tmp_path: Path
) -> None:
    # GIVEN a construct test's synthesized stack, wrapped in a provider block
    document = {**json.loads(fixture.read_text(encoding="utf-8")), **PROVIDER_BLOCK}
    # WHEN Terraform validates it THEN it is valid
    result = validate(terraform, tmp_path, document)
    assert result["valid"], problems(result)


def _vm(plan: dict[str, Any]) -> dict[str, Any]:
    vm: dict[str, Any] = plan["resource"]["proxmox_virtual_environment_vm"]["vm_1002"]
    return vm


def _set(path: str, value: Any) -> Mutation:
    def mutate(plan: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = _vm(plan)
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[last] = value

    return mutate


def _drop(key: str) -> Mutation:
    return lambda plan: _vm(plan).pop(key)


MISTAKES: dict[str, tuple[Mutation, str]] = {
    "unknown attribute": (_set("memory_gib", 8), 'No argument or block type is named "memory_gib"'),
    "wrong type": (_set("cpu.cores", "four"), "a number is required"),
    "missing required": (_drop("node_name"), 'The argument "node_name" is required'),
    "bad duration": (_set("agent.timeout", "300"), "expected value of timeout to be a duration"),
    "bad VMID": (_set("vm_id", 42), "expected vm_id to be in the range (100 - 2147483647)"),
    "bad enum": (_set("operating_system.type", "linux"), "expected type to be one of"),
    "incomplete object attribute": (
        lambda plan: _vm(plan)["network_device"][0].pop("mtu"),
        'attribute "mtu" is required',
    ),
    "bad MAC": (
        _set("network_device.0.mac_address", "bc-24-11-00-00-02"),
        "to be a valid MAC address",
    ),
    "bad file id": (
        _set("initialization.user_data_file_id", "user-data.yaml"),
        "to be a valid file identifier",
    ),
}


@pytest.fixture(scope="module")
def reference_infra(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    outdir = synthesize(ROOT / "configs", tmp_path_factory.mktemp("reference") / "cdktf.out")
    plan: dict[str, Any] = json.loads(
        (outdir / "stacks" / "infra" / "cdk.tf.json").read_text(encoding="utf-8")
    )
    plan["terraform"].pop("backend")
    return plan


@pytest.mark.parametrize("mistake", sorted(MISTAKES), ids=str)
def test_fails_when_a_plan_carries_a_mistake(
    mistake: str, reference_infra: dict[str, Any], terraform: Terraform, tmp_path: Path
) -> None:
    # GIVEN the reference infra stack with one mistake planted in VM 1002
    mutate, expected = MISTAKES[mistake]
    plan = copy.deepcopy(reference_infra)
    mutate(plan)
    # WHEN Terraform validates it
    result = validate(terraform, tmp_path, plan)
    # THEN it is rejected, saying why
    assert not result["valid"]
    assert any(expected in problem for problem in problems(result)), problems(result)


def test_fails_when_a_gpu_mapping_has_an_upper_case_pci_path(
    terraform: Terraform, tmp_path: Path
) -> None:
    # GIVEN the AI lab's plan with its mapping's path written as some tools print it
    outdir = synthesize(ROOT / "examples" / "ai-lab", tmp_path / "cdktf.out")
    plan: dict[str, Any] = json.loads(
        (outdir / "stacks" / "infra" / "cdk.tf.json").read_text(encoding="utf-8")
    )
    plan["terraform"].pop("backend")
    mapping = plan["resource"]["proxmox_hardware_mapping_pci"]["gpu_rtx4090"]
    mapping["map"][0]["path"] = "0000:0A:00.0"
    # WHEN Terraform validates it THEN the provider's path validator rejects it
    result = validate(terraform, tmp_path / "work", plan)
    assert not result["valid"]
    assert any("not a valid Linux device path" in p for p in problems(result)), problems(result)
