"""HaResource and HaGroup: an HA entry per guest, node preferences as an HA group (Proxmox VE
8) or a node-affinity rule (9), in the order Proxmox needs them."""

from __future__ import annotations

from pathlib import Path

import pytest
from cdktf import TerraformStack

from constructs_lib import (
    HaGroup,
    HaGroupProps,
    HaResource,
    HaResourceProps,
    Ipv4Props,
    PhoenixContainer,
    PhoenixContainerProps,
    PropsError,
)
from tests.plan import make_app, minimal_vm, resource, synth_json

HA = "proxmox_haresource"


def stack(tmp_path: Path) -> TerraformStack:
    return TerraformStack(make_app(str(tmp_path)), "test")


def container(scope: TerraformStack) -> PhoenixContainer:
    return PhoenixContainer(
        scope,
        "ct_101",
        PhoenixContainerProps(
            node_name="pve2",
            vm_id=101,
            hostname="gateway",
            os_template="local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
            datastore_id="ceph-vm",
            ipv4=Ipv4Props(address="dhcp"),
        ),
    )


def test_an_ha_entry_follows_its_guest_and_is_rebuilt_with_it(tmp_path: Path) -> None:
    # GIVEN a VM and a container, both HA-managed
    scope = stack(tmp_path)
    HaResource(scope, "ha_1002", HaResourceProps(guest=minimal_vm(scope), max_relocate=2))
    HaResource(scope, "ha_101", HaResourceProps(guest=container(scope), state="stopped"))
    plan = synth_json(scope)
    # THEN each entry names its guest's kind and VMID, waits for it, and is replaced with it
    vm_entry = resource(plan, HA, "ha_1002")
    assert vm_entry["resource_id"] == "vm:1002"
    assert vm_entry["state"] == "started"
    assert vm_entry["max_relocate"] == 2
    assert vm_entry["depends_on"] == ["proxmox_virtual_environment_vm.vm_1002"]
    assert vm_entry["lifecycle"] == {
        "replace_triggered_by": ["proxmox_virtual_environment_vm.vm_1002.id"]
    }
    ct_entry = resource(plan, HA, "ha_101")
    assert (ct_entry["resource_id"], ct_entry["state"]) == ("ct:101", "stopped")
    assert ct_entry["depends_on"] == ["proxmox_virtual_environment_container.ct_101"]


def test_proxmox_ve_8_entries_name_their_group(tmp_path: Path) -> None:
    scope = stack(tmp_path)
    group = HaGroup(
        scope,
        "ha_group_core",
        HaGroupProps(name="core", nodes={"pve2": 1, "pve1": 2}, proxmox_version=8, failback=False),
    )
    HaResource(scope, "ha_1002", HaResourceProps(guest=minimal_vm(scope), group=group))
    plan = synth_json(scope)
    assert resource(plan, "proxmox_hagroup", "ha_group_core") == {
        "group": "core",
        "nodes": {"pve1": 2, "pve2": 1},
        "no_failback": True,
        "restricted": False,
    }
    # a reference: the entry is created after its group and removed before it
    assert resource(plan, HA, "ha_1002")["group"] == "${proxmox_hagroup.ha_group_core.group}"


def test_proxmox_ve_9_rules_list_their_entries(tmp_path: Path) -> None:
    scope = stack(tmp_path)
    entry = HaResource(scope, "ha_1002", HaResourceProps(guest=minimal_vm(scope), failback=True))
    HaGroup(
        scope,
        "ha_group_core",
        HaGroupProps(name="core", nodes={"pve1": 2}, restricted=True, members=[entry]),
    )
    plan = synth_json(scope)
    assert resource(plan, "proxmox_harule", "ha_group_core") == {
        "rule": "core",
        "type": "node-affinity",
        "nodes": {"pve1": 2},
        "resources": ["${proxmox_haresource.ha_1002.resource_id}"],
        "strict": True,
    }
    assert resource(plan, HA, "ha_1002")["failback"] is True
    assert "group" not in resource(plan, HA, "ha_1002")


@pytest.mark.parametrize(
    ("props", "message"),
    [
        (HaGroupProps(name="x", nodes={"pve1": 1}, members=()), "is not a valid HA id"),
        (HaGroupProps(name="core", nodes={}, proxmox_version=8), "at least one node"),
        (HaGroupProps(name="core", nodes={"pve1": 1001}, proxmox_version=8), "is not 0..1000"),
        (HaGroupProps(name="core", nodes={"pve1": 1}), "a Proxmox VE 9 rule needs members"),
    ],
)
def test_fails_when_group_props_are_invalid(
    tmp_path: Path, props: HaGroupProps, message: str
) -> None:
    with pytest.raises(PropsError, match=message):
        HaGroup(stack(tmp_path), "ha_group", props)


def test_fails_when_an_entry_mixes_proxmox_versions(tmp_path: Path) -> None:
    scope = stack(tmp_path)
    vm = minimal_vm(scope)
    group = HaGroup(scope, "g", HaGroupProps(name="core", nodes={"pve1": 1}, proxmox_version=8))
    with pytest.raises(PropsError, match="failback on a resource needs Proxmox VE 9"):
        HaResource(scope, "ha_1002", HaResourceProps(guest=vm, group=group, failback=True))
    with pytest.raises(PropsError, match=r"max_restart 11 is not 0\.\.10"):
        HaResource(scope, "ha_1003", HaResourceProps(guest=vm, max_restart=11))
