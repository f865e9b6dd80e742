"""Each lifecycle promise, read from Terraform's own plan against the applied reference fleet.

The reference fleet runs on loopback addresses; its infra stack was applied on the stand-in
(the gateway site delivered to a stand-in sshd). Each test plans one edit against a private
copy of that state and cluster.
"""

from __future__ import annotations

import re

import pytest

from rehearsal.ssh import Agent, GuestSshd
from rehearsal.terraform import TerraformError, actions, importing, replace_paths
from tests.config_edits import append_item, remove_field, set_field
from tests.conftest import GATEWAY

from .conftest import Deployment

VM = "proxmox_virtual_environment_vm"
CT = "proxmox_virtual_environment_container"
FILE = "proxmox_virtual_environment_file"
OPTIONS = "proxmox_virtual_environment_firewall_options"
RULES = "proxmox_virtual_environment_firewall_rules"
REPLACE = ["delete", "create"]
GUESTS = ("templates.9000", "vms.1001", "vms.1002", "containers.101")
SECOND_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE1x7rJXJbGxOUoO3BqJUXhpkCHj3Tf8KDAvmNYnQtDa ops"


def add_key_to_vm_1002(deployment: Deployment) -> None:
    deployment.change(append_item("guests.yaml", "vms.1002.user.ssh_keys", SECOND_KEY))
    deployment.synth()


def place_guests(deployment: Deployment, drphoenix_node: str) -> None:
    """A second node `pve2`; every guest named onto `pve` except drphoenix, which says it
    clones its template (on `pve`) across nodes when it is elsewhere."""
    deployment.change(
        set_field("proxmox.yaml", "nodes.pve2", {"address": "127.0.0.14"}),
        *(set_field("guests.yaml", f"{guest}.node", "pve") for guest in GUESTS),
        set_field("guests.yaml", "vms.1002.node", drphoenix_node),
        set_field("guests.yaml", "vms.1002.clone_across_nodes", drphoenix_node != "pve"),
    )
    deployment.synth()


def test_reference_infra_applies_then_plans_no_changes(
    applied_reference: Deployment, ssh: tuple[Agent, GuestSshd]
) -> None:
    # GIVEN the reference infra stack applied on the stand-in
    infra = applied_reference.stack("infra")
    terraform = applied_reference.terraform
    # THEN planning the same configuration again changes nothing
    assert terraform.plan_is_empty(infra)
    # AND the gateway site went to the gateway container over SSH, then its install script ran
    events = [event for event in ssh[1].events if event.host == GATEWAY]
    assert any(e.kind == "upload" and e.detail.startswith("/run/") for e in events)
    assert any(e.kind == "script" and "nginx -t" in e.detail for e in events)
    # AND the README's state-inspection commands work on that state
    listed = terraform.run(infra, "state", "list").stdout.split()
    assert f"{VM}.vm_1002" in listed
    shown = terraform.run(infra, "state", "show", "-no-color", f"{VM}.vm_1002").stdout
    assert re.search(r'name\s+= "drphoenix"', shown)
    inventory = terraform.run(infra, "output", "-json", "inventory").stdout
    assert '"address":"127.0.0.102"' in inventory.replace(" ", "")


def test_snippet_change_with_keep_leaves_the_vm_alone(deployment: Deployment) -> None:
    # GIVEN VM 1002 with the default on_bootstrap_change: keep
    # WHEN its cloud-init snippet changes (a second SSH key)
    add_key_to_vm_1002(deployment)
    plan = deployment.terraform.plan(deployment.stack("infra"))
    # THEN only the snippet file is replaced; no VM changes
    assert actions(plan) == {f"{FILE}.user_data_1002": REPLACE}


def test_snippet_change_with_replace_replaces_exactly_that_vm(deployment: Deployment) -> None:
    # GIVEN VM 1002 set to be rebuilt when its bootstrap changes
    deployment.change(set_field("guests.yaml", "vms.1002.on_bootstrap_change", "replace"))
    # WHEN its snippet changes
    add_key_to_vm_1002(deployment)
    plan = deployment.terraform.plan(deployment.stack("infra"))
    # THEN that VM is replaced because of the snippet, its firewall with it, nothing else
    assert actions(plan) == {
        f"{FILE}.user_data_1002": REPLACE,
        f"{VM}.vm_1002": REPLACE,
        f"{OPTIONS}.firewall_1002": REPLACE,
        f"{RULES}.firewall_1002": REPLACE,
    }
    assert replace_paths(plan, f"{VM}.vm_1002") == [["initialization", 0, "user_data_file_id"]]


def test_a_replaced_guest_gets_its_firewall_again(deployment: Deployment) -> None:
    # GIVEN VM 1002 set to be rebuilt, not migrated, when its node changes
    deployment.change(set_field("guests.yaml", "vms.1002.on_node_change", "rebuild"))
    # WHEN it moves to a second node (Proxmox rebuilds it there: a new guest)
    place_guests(deployment, drphoenix_node="pve2")
    infra = deployment.stack("infra")
    plan = deployment.terraform.plan(infra)
    # THEN the node change replaces the VM, and the firewall Proxmox deletes with it is re-created
    assert actions(plan)[f"{VM}.vm_1002"] == REPLACE
    assert ["node_name"] in replace_paths(plan, f"{VM}.vm_1002")
    assert actions(plan)[f"{OPTIONS}.firewall_1002"] == REPLACE
    assert actions(plan)[f"{RULES}.firewall_1002"] == REPLACE
    # WHEN it is applied THEN nothing is left to do: the rules exist on the new guest
    deployment.terraform.apply(infra)
    assert deployment.terraform.plan_is_empty(infra)


def adopt_everything(deployment: Deployment) -> None:
    """The reference fleet as a second checkout would declare guests that already exist."""
    deployment.change(
        set_field("guests.yaml", "templates.9000.managed", False),
        remove_field("guests.yaml", "containers.101.os_template.url"),
        set_field(
            "guests.yaml",
            "containers.101.os_template.file_id",
            "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
        ),
        *(set_field("guests.yaml", f"{guest}.adopt", True) for guest in GUESTS[1:]),
    )
    deployment.synth()


def test_adopt_imports_every_guest_and_replaces_nothing(deployment: Deployment) -> None:
    # GIVEN the guests exist on the cluster, and a second checkout starts from an empty state
    (deployment.root / "terraform.infra.tfstate").unlink()
    adopt_everything(deployment)
    infra = deployment.stack("infra")
    # WHEN it plans with adopt: true on every guest
    plan = deployment.terraform.plan(infra)
    # THEN each guest and its firewall are imported, and nothing is destroyed or replaced
    assert importing(plan) == {
        f"{VM}.vm_1001": "pve/1001",
        f"{VM}.vm_1002": "pve/1002",
        f"{CT}.ct_101": "pve/101",
        f"{OPTIONS}.firewall_1001": "vm/pve/1001",
        f"{OPTIONS}.firewall_1002": "vm/pve/1002",
        f"{OPTIONS}.firewall_101": "container/pve/101",
        f"{RULES}.firewall_1001": "vm/pve/1001",
        f"{RULES}.firewall_1002": "vm/pve/1002",
        f"{RULES}.firewall_101": "container/pve/101",
    }
    assert not [a for a, acts in actions(plan).items() if "delete" in acts]
    # WHEN it is applied THEN a second plan has nothing left to do
    deployment.terraform.apply(infra)
    assert deployment.terraform.plan_is_empty(infra)


def test_fails_when_a_guest_exists_and_is_not_adopted(deployment: Deployment) -> None:
    # GIVEN the guests exist, and a second checkout declares them without adopt
    (deployment.root / "terraform.infra.tfstate").unlink()
    adopt_everything(deployment)
    deployment.change(remove_field("guests.yaml", "vms.1002.adopt"))
    deployment.synth()
    # WHEN it applies THEN Proxmox refuses the VMID, and the apply says so
    with pytest.raises(TerraformError, match="VM 1002 already exists"):
        deployment.terraform.apply(deployment.stack("infra"))
