"""Routine fleet edits do what the lifecycle table (docs/lifecycle.md) promises, read from
Terraform's own plan against the applied reference fleet: nothing is destroyed or doubled
unless the table says so."""

from __future__ import annotations

from typing import Any

from rehearsal.terraform import actions
from tests.config_edits import append_item, read_field, rename_key, set_field

from .conftest import Deployment
from .test_lifecycle import (
    CT,
    FILE,
    GUESTS,
    OPTIONS,
    REPLACE,
    RULES,
    SECOND_KEY,
    VM,
    place_guests,
)


def plan(deployment: Deployment) -> dict[str, Any]:
    deployment.synth()
    return deployment.terraform.plan(deployment.stack("infra"))


def changes(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {change["address"]: change for change in plan["resource_changes"]}


def destroyed(plan: dict[str, Any]) -> list[str]:
    return sorted(address for address, acts in actions(plan).items() if "delete" in acts)


def guests_destroyed(plan: dict[str, Any]) -> list[str]:
    return [address for address in destroyed(plan) if address.startswith((VM, CT))]


def test_sizing_changes_update_in_place(deployment: Deployment) -> None:
    # WHEN VM 1002 grows (memory, cores, disk) and container 101 gets more memory
    deployment.change(
        set_field("guests.yaml", "vms.1002.cores", 6),
        set_field("guests.yaml", "vms.1002.memory_mib", 16384),
        set_field("guests.yaml", "vms.1002.disk_gib", 96),
        set_field("guests.yaml", "containers.101.memory_mib", 1024),
    )
    result = plan(deployment)
    # THEN both are updated in place; nothing else changes
    assert actions(result) == {f"{VM}.vm_1002": ["update"], f"{CT}.ct_101": ["update"]}


def test_adding_a_key_to_a_container_keeps_it(deployment: Deployment) -> None:
    # GIVEN container 101 (the gateway) with on_bootstrap_change: keep, the default
    # WHEN a second root key is added
    deployment.change(append_item("guests.yaml", "containers.101.ssh_keys", SECOND_KEY))
    # THEN nothing is planned: no replacement, no gateway site delivery again
    assert actions(plan(deployment)) == {}


def test_a_vm_moving_to_another_node_migrates(deployment: Deployment) -> None:
    # GIVEN a second node WHEN VM 1002 moves there
    place_guests(deployment, drphoenix_node="pve2")
    result = plan(deployment)
    # THEN the VM is updated in place (migrate); its snippet is uploaded to the new node; its
    # firewall follows it in place
    assert actions(result) == {
        f"{VM}.vm_1002": ["update"],
        f"{FILE}.user_data_1002": REPLACE,
        f"{OPTIONS}.firewall_1002": ["update"],
        f"{RULES}.firewall_1002": ["update"],
    }
    vm = changes(result)[f"{VM}.vm_1002"]["change"]
    assert (vm["before"]["node_name"], vm["after"]["node_name"]) == ("pve", "pve2")
    assert vm["after"]["migrate"] is True
    # WHEN it is applied THEN nothing is left to do
    deployment.terraform.apply(deployment.stack("infra"))
    assert deployment.terraform.plan_is_empty(deployment.stack("infra"))


def test_a_vm_set_to_rebuild_is_rebuilt_on_the_new_node(deployment: Deployment) -> None:
    deployment.change(
        set_field("guests.yaml", "vms.1002.on_node_change", "rebuild"),
        set_field("guests.yaml", "vms.1002.on_bootstrap_change", "replace"),
    )
    place_guests(deployment, drphoenix_node="pve2")
    result = plan(deployment)
    assert actions(result)[f"{VM}.vm_1002"] == REPLACE
    assert destroyed(result) == [
        f"{FILE}.user_data_1002",
        f"{OPTIONS}.firewall_1002",
        f"{RULES}.firewall_1002",
        f"{VM}.vm_1002",
    ]


def test_a_renumbered_vm_is_rebuilt_once_old_guest_first(deployment: Deployment) -> None:
    # WHEN VM 1002 becomes 1012, saying where it comes from
    deployment.change(
        rename_key("guests.yaml", "vms.1002", 1012),
        set_field("guests.yaml", "vms.1012.renumbered_from", 1002),
        set_field("guests.yaml", "vms.1012.volumes.0.export", "/quickOS/vm-persistent-data/1012"),
    )
    result = plan(deployment)
    # THEN there is one guest, replaced at its new address (moved from the old one): Terraform
    # destroys before it creates, so the two never run at once
    vm = changes(result)[f"{VM}.vm_1012"]
    assert vm["previous_address"] == f"{VM}.vm_1002"
    assert vm["change"]["actions"] == REPLACE
    assert ["vm_id"] in vm["change"]["replace_paths"]
    assert f"{VM}.vm_1002" not in actions(result)
    # AND its firewall and snippet move with it
    for address in (f"{OPTIONS}.firewall_1012", f"{RULES}.firewall_1012", f"{FILE}.user_data_1012"):
        assert changes(result)[address]["previous_address"] == address.replace("1012", "1002")
    # WHEN it is applied THEN the old VMID is gone from the cluster and nothing is left to do
    deployment.terraform.apply(deployment.stack("infra"))
    assert deployment.terraform.plan_is_empty(deployment.stack("infra"))


def test_a_renamed_vm_is_renamed_in_place(deployment: Deployment) -> None:
    deployment.change(set_field("guests.yaml", "vms.1002.name", "qdrant-host"))
    routes = read_field(deployment.configs, "gateway.yaml", "routes")
    deployment.change(
        *(
            set_field("gateway.yaml", f"routes.{index}.to.guest", "qdrant-host")
            for index, route in enumerate(routes)
            if route["to"]["guest"] == "drphoenix"
        )
    )
    result = plan(deployment)
    # THEN no guest goes: the snippet (new host name, for future clones) and the gateway site
    # (its comments name the route's guest) are written again
    assert guests_destroyed(result) == []
    assert destroyed(result) == [f"{FILE}.user_data_1002", "terraform_data.gateway_site"]
    vm = changes(result)[f"{VM}.vm_1002"]["change"]
    assert vm["actions"] == ["update"]
    assert (vm["before"]["name"], vm["after"]["name"]) == ("drphoenix", "qdrant-host")


def test_a_container_moving_node_is_rebuilt_as_documented(deployment: Deployment) -> None:
    # The provider cannot migrate containers: the lifecycle table says "rebuild".
    deployment.change(
        set_field("proxmox.yaml", "nodes.pve2", {"address": "127.0.0.14"}),
        *(set_field("guests.yaml", f"{guest}.node", "pve") for guest in GUESTS),
        set_field("guests.yaml", "containers.101.node", "pve2"),
    )
    result = plan(deployment)
    assert actions(result)[f"{CT}.ct_101"] == REPLACE
    assert ["node_name"] in changes(result)[f"{CT}.ct_101"]["change"]["replace_paths"]


def test_a_new_static_address_updates_in_place(deployment: Deployment) -> None:
    # WHEN VM 1002 gets another address on its network
    deployment.change(set_field("guests.yaml", "vms.1002.network.ip", "127.0.0.112/24"))
    result = plan(deployment)
    # THEN the VM is updated in place, the gateway site (which proxies to it) is written
    # again, and the desired Portainer state carries the agent's new URL
    assert guests_destroyed(result) == []
    assert actions(result) == {
        f"{VM}.vm_1002": ["update"],
        "terraform_data.gateway_site": REPLACE,
        "terraform_data.portainer_desired_state": ["update"],
    }
