"""The cluster example (examples/cluster: three nodes, HA for the Portainer server and the
gateway) through real Terraform on the stand-in: it plans, applies in an order Proxmox accepts
(an HA entry after its guest, a rule after its members, a Proxmox VE 8 group before the
entries naming it), re-plans empty, and HA changes touch HA objects only.

The copy's addresses are on loopback, its state is local (a rehearsal's), and it has no
gateway.yaml: the gateway site's SSH delivery is the reference fleet's test.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rehearsal.loopback import copy_to_loopback
from rehearsal.terraform import Terraform, actions, replace_paths
from tests.config_edits import remove_field, set_field
from tests.conftest import ROOT, terraform_or_skip

from .conftest import Deployment

CLUSTER = ROOT / "examples" / "cluster"
VM = "proxmox_virtual_environment_vm"
CT = "proxmox_virtual_environment_container"
HA = "proxmox_haresource"
RULE = "proxmox_harule"
GROUP = "proxmox_hagroup"


def cluster_copy(root: Path) -> Deployment:
    configs = root / "configs"
    copy_to_loopback(CLUSTER, configs)
    (configs / "gateway.yaml").unlink()
    terraform = Terraform(terraform_or_skip(), root / ".standin", world=root / "world.json")
    deployment = Deployment(root, terraform)
    deployment.synth()
    terraform.init(deployment.stack("infra"))
    return deployment


@pytest.fixture(scope="module")
def applied_cluster(tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    deployment = cluster_copy(tmp_path_factory.mktemp("cluster"))
    deployment.terraform.apply(deployment.stack("infra"))
    return deployment


@pytest.fixture
def cluster(applied_cluster: Deployment, tmp_path: Path) -> Deployment:
    """A private copy of the applied cluster: configs, state and the stand-in's world."""
    root = tmp_path / "cluster"
    shutil.copytree(applied_cluster.root, root, symlinks=True)
    terraform = Terraform(terraform_or_skip(), root / ".standin", world=root / "world.json")
    return Deployment(root, terraform)


def test_the_cluster_example_plans_applies_and_converges(tmp_path: Path) -> None:
    # GIVEN the cluster example, nothing deployed yet
    deployment = cluster_copy(tmp_path)
    infra = deployment.stack("infra")
    # WHEN Terraform plans it THEN it creates the guests, their HA entries and one
    # node-affinity rule per HA group in use (Proxmox VE 9)
    planned = actions(deployment.terraform.plan(infra))
    assert {address for address in planned if address.startswith("proxmox_ha")} == {
        f"{HA}.ha_1001",
        f"{HA}.ha_101",
        f"{RULE}.ha_group_management",
        f"{RULE}.ha_group_edge",
    }
    assert set(map(tuple, planned.values())) == {("create",)}
    # AND it applies (the stand-in's Proxmox refuses an HA entry before its guest, a rule
    # before its members) and then has nothing left to do
    deployment.terraform.apply(infra)
    assert deployment.terraform.plan_is_empty(infra)


def test_proxmox_ve_8_keeps_preferences_in_ha_groups(tmp_path: Path) -> None:
    # GIVEN the cluster example on Proxmox VE 8
    root = tmp_path / "pve8"
    copy_to_loopback(CLUSTER, root / "configs")
    (root / "configs" / "gateway.yaml").unlink()
    set_field("proxmox.yaml", "ha.proxmox_version", 8)(root / "configs")
    terraform = Terraform(terraform_or_skip(), root / ".standin", world=root / "world.json")
    deployment = Deployment(root, terraform)
    deployment.synth()
    infra = deployment.stack("infra")
    terraform.init(infra)
    # WHEN planned THEN every declared group is an HA group, and no rule exists
    planned = actions(terraform.plan(infra))
    assert f"{GROUP}.ha_group_management" in planned
    assert f"{GROUP}.ha_group_edge" in planned
    assert not [address for address in planned if address.startswith(RULE)]
    # AND it applies (each entry after the group it names) and converges
    terraform.apply(infra)
    assert terraform.plan_is_empty(infra)


def test_dropping_ha_from_a_guest_removes_only_its_ha_objects(cluster: Deployment) -> None:
    # GIVEN the applied cluster WHEN the Portainer server is no longer HA
    cluster.change(remove_field("guests.yaml", "vms.1001.ha"))
    cluster.synth()
    # THEN its HA entry and the rule it alone was in go; the VM stays as it is
    assert actions(cluster.terraform.plan(cluster.stack("infra"))) == {
        f"{HA}.ha_1001": ["delete"],
        f"{RULE}.ha_group_management": ["delete"],
    }


def test_moving_a_guest_to_another_ha_group_updates_the_rules_in_place(
    cluster: Deployment,
) -> None:
    # GIVEN the applied cluster WHEN the gateway (on pve2) joins the management group
    cluster.change(set_field("guests.yaml", "containers.101.ha.group", "management"))
    cluster.synth()
    # THEN the management rule gains it, the now empty edge rule goes, nothing is rebuilt
    assert actions(cluster.terraform.plan(cluster.stack("infra"))) == {
        f"{RULE}.ha_group_management": ["update"],
        f"{RULE}.ha_group_edge": ["delete"],
    }


def test_a_rebuilt_ha_guest_gets_its_ha_entry_again(cluster: Deployment) -> None:
    # GIVEN the applied cluster WHEN the Portainer server is rebuilt on purpose
    infra = cluster.stack("infra")
    plan = cluster.terraform.plan(infra, f"-replace={VM}.vm_1001")
    # THEN its HA entry is replaced with it (Proxmox purges the entry with the guest)
    planned = actions(plan)
    assert planned[f"{VM}.vm_1001"] == ["delete", "create"]
    assert planned[f"{HA}.ha_1001"] == ["delete", "create"]
    assert replace_paths(plan, f"{HA}.ha_1001") == []  # replace_triggered_by, not an argument
    # AND after the apply nothing is missing
    cluster.terraform.apply(infra, f"-replace={VM}.vm_1001")
    assert cluster.terraform.plan_is_empty(infra)


def test_a_vm_moving_node_keeps_its_ha_entry(cluster: Deployment) -> None:
    # GIVEN the applied cluster WHEN the Portainer server moves to pve2 (in its group; its
    # template stays on pve1, which the fleet checks want said)
    cluster.change(
        set_field("guests.yaml", "vms.1001.node", "pve2"),
        set_field("guests.yaml", "vms.1001.clone_across_nodes", True),
    )
    cluster.synth()
    # THEN the VM is migrated in place (its snippet follows it) and its HA objects untouched
    planned = actions(cluster.terraform.plan(cluster.stack("infra")))
    assert planned[f"{VM}.vm_1001"] == ["update"]
    assert not [address for address in planned if address.startswith("proxmox_ha")]
