"""examples/cluster synthesizes into the plan the cluster promises: guests placed per node, the
Portainer server and the gateway HA-managed with node-affinity rules, state in PostgreSQL.

Terraform plans and applies it on the stand-in in tests/plans/test_cluster.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from fleet import load_fleet
from tests.conftest import ROOT
from tests.plan import resource, synth_files

CLUSTER = ROOT / "examples" / "cluster"
VM = "proxmox_virtual_environment_vm"


@pytest.fixture(scope="module")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    outdir: Path = tmp_path_factory.mktemp("cdktf") / "cdktf.out"
    return synth_files(load_fleet(CLUSTER), outdir)


def test_infra_plan_matches_snapshot(
    stacks: dict[str, dict[str, Any]], plan_snapshot: SnapshotAssertion
) -> None:
    assert stacks["infra"] == plan_snapshot


def test_portainer_plan_matches_snapshot(
    stacks: dict[str, dict[str, Any]], plan_snapshot: SnapshotAssertion
) -> None:
    assert stacks["portainer"] == plan_snapshot


def test_guests_are_placed_on_their_nodes(stacks: dict[str, dict[str, Any]]) -> None:
    infra = stacks["infra"]
    placed = {
        name: (body["node_name"], body.get("clone", {}).get("node_name"))
        for name, body in infra["resource"][VM].items()
    }
    # THEN each VM runs on its node; clones across nodes name the template's node
    assert placed == {
        "template_9000": ("pve1", None),
        "vm_1001": ("pve1", None),
        "vm_1002": ("pve2", "pve1"),
        "vm_1003": ("pve3", "pve1"),
    }
    # AND disks go where each guest's node keeps them: Ceph for HA guests, local-lvm otherwise
    disks = {name: body["disk"][0]["datastore_id"] for name, body in infra["resource"][VM].items()}
    assert disks["vm_1001"] == "ceph-vm"
    assert disks["vm_1002"] == disks["vm_1003"] == "local-lvm"


def test_ha_guests_get_entries_and_each_group_a_node_affinity_rule(
    stacks: dict[str, dict[str, Any]],
) -> None:
    infra = stacks["infra"]
    entries = infra["resource"]["proxmox_haresource"]
    assert sorted(entries) == ["ha_1001", "ha_101"]
    assert entries["ha_101"]["resource_id"] == "ct:101"
    assert entries["ha_101"]["max_relocate"] == 2
    rule = resource(infra, "proxmox_harule", "ha_group_management")
    assert rule["type"] == "node-affinity"
    assert rule["nodes"] == {"pve1": 2, "pve2": 1}
    assert rule["resources"] == ["${proxmox_haresource.ha_1001.resource_id}"]
    assert "proxmox_hagroup" not in infra["resource"]  # Proxmox VE 9 has no HA groups


def test_both_stacks_keep_their_state_in_postgres(stacks: dict[str, dict[str, Any]]) -> None:
    for name in ("infra", "portainer"):
        assert stacks[name]["terraform"]["backend"] == {
            "pg": {"conn_str": None, "schema_name": f"homelab_{name}"}
        }
