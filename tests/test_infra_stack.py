"""InfraStack wiring: what each fleet setting turns into in the plan."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleet import Fleet, load_fleet
from fleet.proxmox import ClusterFirewall
from tests.conftest import ROOT
from tests.plan import resource, synth_fleet

VM = "proxmox_virtual_environment_vm"
FILE = "proxmox_virtual_environment_file"


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    return load_fleet(ROOT / "configs")


def infra(fleet: Fleet, tmp_path: Path) -> dict[str, Any]:
    return synth_fleet(fleet, str(tmp_path))["infra"]


def user_data(plan: dict[str, Any], vmid: int) -> dict[str, Any]:
    snippet = resource(plan, FILE, f"user_data_{vmid}")
    assert snippet["content_type"] == "snippets"
    assert snippet["source_raw"]["file_name"] == f"phoenix-vm-{vmid}-user-data.yaml"
    document: dict[str, Any] = yaml.safe_load(snippet["source_raw"]["data"])
    return document


def composes(document: dict[str, Any]) -> dict[str, Any]:
    return {f["path"]: yaml.safe_load(f["content"]) for f in document.get("write_files", [])}


def test_each_vm_boots_its_own_snippet(fleet: Fleet, tmp_path: Path) -> None:
    plan = infra(fleet, tmp_path)
    for vmid in (1001, 1002):
        vm = resource(plan, VM, f"vm_{vmid}")
        assert (
            vm["initialization"]["user_data_file_id"]
            == f"${{proxmox_virtual_environment_file.user_data_{vmid}.id}}"
        )
        assert "user_account" not in vm["initialization"]  # the snippet owns the user
        assert vm["lifecycle"] == {
            "ignore_changes": ["clone", "initialization[0].user_data_file_id"]
        }


def test_server_and_agent_land_on_their_vms(fleet: Fleet, tmp_path: Path) -> None:
    plan = infra(fleet, tmp_path)
    server = composes(user_data(plan, 1001))
    agent = composes(user_data(plan, 1002))
    assert list(server) == ["/opt/phoenix/portainer-server/compose.yaml"]
    assert list(agent) == ["/opt/phoenix/portainer-agent/compose.yaml"]
    assert (
        server["/opt/phoenix/portainer-server/compose.yaml"]["services"]["portainer"]["image"]
        == "portainer/portainer-ce:2.44.0"
    )
    assert (
        agent["/opt/phoenix/portainer-agent/compose.yaml"]["services"]["portainer_agent"]["image"]
        == "portainer/agent:2.44.0"
    )


def test_nfs_volume_of_each_vm_is_its_own_export(fleet: Fleet, tmp_path: Path) -> None:
    plan = infra(fleet, tmp_path)
    assert user_data(plan, 1002)["mounts"][0][:2] == [
        "10.0.0.13:/quickOS/vm-persistent-data/1002",
        "/persistent-storage",
    ]
    assert user_data(plan, 1001)["mounts"][0][0] == "10.0.0.13:/quickOS/vm-persistent-data/1001"


def test_guest_firewalls_follow_the_config(fleet: Fleet, tmp_path: Path) -> None:
    plan = infra(fleet, tmp_path)
    rules = resource(plan, "proxmox_virtual_environment_firewall_rules", "firewall_1002")["rule"]
    assert {"proto": "tcp", "dport": "9001", "source": "10.0.0.101"}.items() <= rules[0].items()
    assert resource(plan, "proxmox_virtual_environment_firewall_options", "firewall_101")[
        "container_id"
    ] == ("${proxmox_virtual_environment_container.ct_101.vm_id}")
    # a firewall only filters NICs that opt in
    assert resource(plan, VM, "vm_1002")["network_device"][0]["firewall"] is True
    assert "proxmox_virtual_environment_cluster_firewall" not in plan["resource"]


def test_cluster_firewall_when_declared(fleet: Fleet, tmp_path: Path) -> None:
    proxmox = fleet.proxmox.model_copy(update={"cluster_firewall": ClusterFirewall()})
    plan = infra(dataclasses.replace(fleet, proxmox=proxmox), tmp_path)
    policy = resource(plan, "proxmox_virtual_environment_cluster_firewall", "cluster_firewall")
    assert policy["enabled"] is True
    assert policy["input_policy"] == "DROP"


def test_agent_secret_is_a_sensitive_variable_in_both_snippets(
    fleet: Fleet, tmp_path: Path
) -> None:
    assert fleet.portainer is not None
    portainer = fleet.portainer.model_copy(update={"agent_secret": True})
    plan = infra(dataclasses.replace(fleet, portainer=portainer), tmp_path)
    assert plan["variable"]["portainer_agent_secret"]["sensitive"] is True
    for vmid in (1001, 1002):
        data = resource(plan, FILE, f"user_data_{vmid}")["source_raw"]["data"]
        assert "AGENT_SECRET: ${var.portainer_agent_secret}" in data


def test_replace_on_bootstrap_change_drops_the_ignore(fleet: Fleet, tmp_path: Path) -> None:
    vms = dict(fleet.guests.vms)
    vms[1002] = vms[1002].model_copy(update={"on_bootstrap_change": "replace"})
    guests = fleet.guests.model_copy(update={"vms": vms})
    plan = infra(dataclasses.replace(fleet, guests=guests), tmp_path)
    assert resource(plan, VM, "vm_1002")["lifecycle"] == {"ignore_changes": ["clone[0].node_name"]}
    assert "initialization[0].user_data_file_id" in str(resource(plan, VM, "vm_1001")["lifecycle"])


def test_adopted_guests_get_import_blocks(fleet: Fleet, tmp_path: Path) -> None:
    vms = dict(fleet.guests.vms)
    vms[1002] = vms[1002].model_copy(update={"adopt": True})
    containers = {101: fleet.guests.containers[101].model_copy(update={"adopt": True})}
    guests = fleet.guests.model_copy(update={"vms": vms, "containers": containers})
    plan = infra(dataclasses.replace(fleet, guests=guests), tmp_path)
    # The guests and, so that their existing rules are taken over, their firewalls.
    assert sorted(plan["import"], key=lambda block: block["to"]) == [
        {"to": "proxmox_virtual_environment_container.ct_101", "id": "pve/101"},
        {"to": "proxmox_virtual_environment_firewall_options.firewall_1002", "id": "vm/pve/1002"},
        {
            "to": "proxmox_virtual_environment_firewall_options.firewall_101",
            "id": "container/pve/101",
        },
        {"to": "proxmox_virtual_environment_firewall_rules.firewall_1002", "id": "vm/pve/1002"},
        {
            "to": "proxmox_virtual_environment_firewall_rules.firewall_101",
            "id": "container/pve/101",
        },
        {"to": "proxmox_virtual_environment_vm.vm_1002", "id": "pve/1002"},
    ]
    # An adopted VM was never cloned by this state: its clone block is not acted on.
    assert resource(plan, VM, "vm_1002")["lifecycle"]["ignore_changes"] == [
        "clone",
        "initialization[0].user_data_file_id",
    ]


def test_startup_order_and_on_boot(fleet: Fleet, tmp_path: Path) -> None:
    plan = infra(fleet, tmp_path)
    assert resource(plan, "proxmox_virtual_environment_container", "ct_101")["startup"] == {
        "order": 1
    }
    assert resource(plan, VM, "vm_1001")["startup"] == {"order": 2, "up_delay": 30}
    assert resource(plan, VM, "vm_1002")["startup"] == {"order": 3, "up_delay": 30}
    assert resource(plan, VM, "vm_1002")["on_boot"] is True


def test_gateway_site_is_delivered_to_the_container_over_ssh(fleet: Fleet, tmp_path: Path) -> None:
    from gateway import GatewaySite, Route, Upstream, install_commands, render_site, site_sha256

    plan = infra(fleet, tmp_path)
    delivery = resource(plan, "terraform_data", "gateway_site")
    expected = render_site(
        GatewaySite(
            routes=[
                Route(
                    path="/qdrant/", upstream=Upstream("10.0.0.102", 6333), name="drphoenix:6333"
                ),
                Route(
                    host="portainer.phoenix.local",
                    upstream=Upstream("10.0.0.101", 9443, "https"),
                    name="portainer:9443",
                ),
            ],
            listen_port=80,
        )
    )
    # SSH to the gateway's static address with the deployer's ssh-agent; no key in the plan
    assert delivery["connection"] == {
        "type": "ssh",
        "host": "10.0.0.153",
        "user": "root",
        "agent": "true",
        "timeout": "5m",
    }
    upload, install = delivery["provisioner"]
    assert upload["file"]["destination"] == "/run/phoenix-gateway.conf.new"
    # Terraform turns $${ back into ${: the container receives exactly the rendered site
    assert upload["file"]["content"].replace("$${", "${").replace("%%{", "%{") == expected
    assert install["remote-exec"]["inline"] == install_commands(sha256=site_sha256(expected))
    # a new site or a new container runs the delivery again
    assert delivery["triggers_replace"] == {
        "content_sha256": site_sha256(expected),
        "guest": "${proxmox_virtual_environment_container.ct_101.id}",
    }
