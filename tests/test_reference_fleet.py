"""The reference fleet in configs/ synthesizes into the plan the project promises."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from fleet import Fleet, load_fleet
from tests.conftest import ROOT
from tests.plan import resource, synth_files

VM = "proxmox_virtual_environment_vm"
CONTAINER = "proxmox_virtual_environment_container"


@pytest.fixture(scope="module")
def reference_fleet() -> Fleet:
    return load_fleet(ROOT / "configs")


@pytest.fixture(scope="module")
def stacks(
    reference_fleet: Fleet, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, Any]]:
    return synth_files(reference_fleet, tmp_path_factory.mktemp("cdktf") / "cdktf.out")


@pytest.fixture(scope="module")
def infra(stacks: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return stacks["infra"]


def test_reference_fleet_has_infra_then_portainer_stacks(stacks: dict[str, Any]) -> None:
    assert sorted(stacks) == ["infra", "portainer"]


def test_infra_plan_matches_snapshot(
    infra: dict[str, Any], plan_snapshot: SnapshotAssertion
) -> None:
    assert infra == plan_snapshot


def test_portainer_plan_matches_snapshot(
    stacks: dict[str, Any], plan_snapshot: SnapshotAssertion
) -> None:
    assert stacks["portainer"] == plan_snapshot


def test_portainer_stack_reads_the_desired_state_from_infra_state(stacks: dict[str, Any]) -> None:
    portainer = stacks["portainer"]
    remote = portainer["data"]["terraform_remote_state"]["cross-stack-reference-input-infra"]
    assert remote["backend"] == "local"
    assert remote["config"] == {"path": "../../../terraform.infra.tfstate"}
    reconcile = portainer["resource"]["terraform_data"]["portainer_reconcile"]
    # The reference fleet's desired state is one part: one writer, then the reconcile
    writer, run = (provisioner["local-exec"] for provisioner in reconcile["provisioner"])
    parts_file = '".phoenix-desired-state-$PHOENIX_DESIRED_STATE_SHA256.json"'
    assert writer["command"] == (
        f"umask 077 && printf '%s' \"$PHOENIX_DESIRED_STATE_PART\" > {parts_file}"
    )
    assert run["command"] == (
        f"exec <{parts_file} && rm -f {parts_file} && cd '../../..' && "
        'exec "$${PHOENIX_PYTHON:-.venv/bin/python}" -m portainer reconcile --outputs-file - '
        '--desired-state-sha256 "$PHOENIX_DESIRED_STATE_SHA256" $${PHOENIX_RECONCILE_ARGS:-}'
    )
    reference = "data.terraform_remote_state.cross-stack-reference-input-infra.outputs."
    # no credentials in the plan: a part of the desired state and its digest only
    assert sorted(writer["environment"]) == [
        "PHOENIX_DESIRED_STATE_PART",
        "PHOENIX_DESIRED_STATE_SHA256",
    ]
    assert list(run["environment"]) == ["PHOENIX_DESIRED_STATE_SHA256"]
    assert writer["environment"]["PHOENIX_DESIRED_STATE_PART"].startswith(
        '${nonsensitive(join("", slice(' + reference
    )
    digest = '${sha256(join("", ' + reference
    assert reconcile["triggers_replace"]["desired_state_sha256"].startswith(digest)
    # the trigger, hashed once: each process reads it from the resource itself
    assert (
        writer["environment"]["PHOENIX_DESIRED_STATE_SHA256"]
        == run["environment"]["PHOENIX_DESIRED_STATE_SHA256"]
        == "${nonsensitive(self.triggers_replace.desired_state_sha256)}"
    )


def test_template_9000_is_built_from_the_cloud_image(infra: dict[str, Any]) -> None:
    template = resource(infra, VM, "template_9000")
    assert template["vm_id"] == 9000
    assert template["template"] is True
    assert template["started"] is False
    assert template["disk"][0]["import_from"] == "${proxmox_download_file.template_9000_image.id}"
    assert (
        resource(infra, "proxmox_download_file", "template_9000_image")["content_type"] == "import"
    )


@pytest.mark.parametrize(
    ("vmid", "name", "address"),
    [(1001, "portainer", "10.0.0.101/24"), (1002, "drphoenix", "10.0.0.102/24")],
)
def test_vms_are_full_clones_of_template_9000(
    infra: dict[str, Any], vmid: int, name: str, address: str
) -> None:
    vm = resource(infra, VM, f"vm_{vmid}")
    assert vm["vm_id"] == vmid
    assert vm["name"] == name
    assert vm["clone"] == {
        "vm_id": "${proxmox_virtual_environment_vm.template_9000.vm_id}",
        "full": True,
    }
    assert vm["initialization"]["ip_config"] == [
        {"ipv4": {"address": address, "gateway": "10.0.0.1"}}
    ]
    assert vm["agent"]["enabled"] is True
    assert vm["agent"]["timeout"] == "300s"


def test_container_101_is_an_unprivileged_gateway(infra: dict[str, Any]) -> None:
    container = resource(infra, CONTAINER, "ct_101")
    assert container["unprivileged"] is True
    assert container["initialization"]["hostname"] == "nginx"
    assert container["initialization"]["ip_config"][0]["ipv4"]["address"] == "10.0.0.153/24"


def test_provider_block_carries_no_credentials(infra: dict[str, Any]) -> None:
    (provider,) = infra["provider"]["proxmox"]
    assert provider["endpoint"] == "https://10.0.0.13:8006/"
    forbidden = {
        "api_token",
        "password",
        "username",
        "auth_ticket",
        "csrf_prevention_token",
        "private_key",
    }
    assert forbidden.isdisjoint(provider)
    assert {"private_key", "password"}.isdisjoint(provider["ssh"][0])


def test_state_path_is_relative(infra: dict[str, Any]) -> None:
    assert infra["terraform"]["backend"]["local"]["path"] == "../../../terraform.infra.tfstate"


def test_inventory_lists_every_guest_by_vmid(infra: dict[str, Any]) -> None:
    guests = infra["output"]["inventory"]["value"]
    assert [(g["vmid"], g["name"], g["kind"]) for g in guests] == [
        (101, "nginx", "container"),
        (1001, "portainer", "vm"),
        (1002, "drphoenix", "vm"),
        (9000, "ubuntu-noble-template", "template"),
    ]
    assert guests[0]["roles"] == ["gateway"]
    assert guests[2]["address"] == "10.0.0.102"


def test_portainer_desired_state_has_the_qdrant_stack_on_drphoenix(infra: dict[str, Any]) -> None:
    desired = infra["output"]["portainer"]["value"]
    assert desired["schema_version"] == 1
    assert desired["server"]["url"] == "https://10.0.0.101:9443"
    # the server's certificate is read through node pve's SSH login and VM 1001's guest agent
    assert desired["server"]["certificate_source"] == {
        "ssh_host": "10.0.0.13",
        "ssh_port": 22,
        "ssh_user": "root",
        "vmid": 1001,
        "path": "/var/lib/docker/volumes/portainer-server_portainer_data/_data/certs/cert.pem",
    }
    (agent,) = desired["agents"]
    assert agent["name"] == "drphoenix"
    assert agent["url"] == "tcp://10.0.0.102:9001"
    (stack,) = agent["stacks"]
    assert stack["name"] == "qdrant"
    compose = (ROOT / "configs/stacks/qdrant/compose.yaml").read_text(encoding="utf-8")
    # Terraform template syntax is escaped; Terraform itself hands back the file as written
    # (tests/test_terraform_outputs.py applies it for real).
    assert stack["compose"] == compose.replace("${", "$${")
    assert stack["compose_sha256"] == hashlib.sha256(compose.encode()).hexdigest()
    assert stack["secret_env"] == [
        {"name": "QDRANT__SERVICE__API_KEY", "from_env": "QDRANT_API_KEY"}
    ]
    assert stack["env"] == [{"name": "QDRANT__LOG_LEVEL", "value": "INFO"}]


def test_plan_holds_no_absolute_paths(infra: dict[str, Any]) -> None:
    text = str(infra)
    assert str(ROOT) not in text
    assert str(Path.home()) not in text


def test_plans_hold_no_key_or_certificate(stacks: dict[str, dict[str, Any]]) -> None:
    # The Portainer certificate is pinned on the deployer's machine, never in a plan or snapshot.
    text = json.dumps(stacks)
    for marker in ("PRIVATE KEY", "BEGIN CERTIFICATE", "portainer-pins"):
        assert marker not in text
