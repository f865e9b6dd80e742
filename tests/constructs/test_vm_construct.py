"""PhoenixVm: a clone with explicit hardware, cloud-init and bounded agent waits."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import cdktf
import pytest
from cdktf import TerraformStack
from syrupy.assertion import SnapshotAssertion

from constructs_lib import (
    BootstrapChange,
    CloudImageProps,
    DnsProps,
    Ipv4Props,
    NicProps,
    NodeChange,
    PhoenixVm,
    PhoenixVmProps,
    PhoenixVmTemplate,
    PhoenixVmTemplateProps,
    PropsError,
    StartupProps,
)
from tests.plan import make_app, resource, synth_json

VM = "proxmox_virtual_environment_vm"


def vm_props(**overrides: Any) -> PhoenixVmProps:
    base: dict[str, Any] = {
        "node_name": "pve",
        "vm_id": 1002,
        "name": "drphoenix",
        "template": 9000,
        "datastore_id": "fast-zfs",
        "ipv4": Ipv4Props(address="10.0.0.102/24", gateway="10.0.0.1"),
    }
    base.update(overrides)
    return PhoenixVmProps(**base)


def synth_vm(tmp_path: Path, props: PhoenixVmProps) -> dict[str, Any]:
    stack = TerraformStack(make_app(str(tmp_path)), "test")
    PhoenixVm(stack, "vm_1002", props)
    return synth_json(stack)


def test_clones_an_existing_template_by_vmid(tmp_path: Path) -> None:
    # GIVEN a VM that clones template 9000, which exists outside this app
    # WHEN it is synthesized
    plan = synth_vm(tmp_path, vm_props())
    # THEN it is a full clone of that VMID, with every disk attribute explicit
    vm = resource(plan, VM, "vm_1002")
    assert vm["clone"] == {"vm_id": 9000, "full": True}
    assert vm["disk"] == [
        {
            "interface": "scsi0",
            "datastore_id": "fast-zfs",
            "size": 32,
            "discard": "on",
            "iothread": True,
        }
    ]
    assert vm["initialization"]["datastore_id"] == "fast-zfs"


def test_clone_references_a_template_construct(tmp_path: Path) -> None:
    # GIVEN a template built in the same stack
    stack = TerraformStack(make_app(str(tmp_path)), "test")
    template = PhoenixVmTemplate(
        stack,
        "template_9000",
        PhoenixVmTemplateProps(
            node_name="pve",
            vm_id=9000,
            name="tpl",
            datastore_id="local-lvm",
            image=CloudImageProps(url="https://example.invalid/img.img", file_name="img.qcow2"),
        ),
    )
    # WHEN a VM clones it
    PhoenixVm(stack, "vm_1002", vm_props(template=template))
    # THEN the clone refers to the template's vm_id, so Terraform creates the template first
    vm = resource(synth_json(stack), VM, "vm_1002")
    assert vm["clone"]["vm_id"] == "${proxmox_virtual_environment_vm.template_9000.vm_id}"


def test_agent_waits_are_bounded_and_destroy_does_not_hang(tmp_path: Path) -> None:
    vm = resource(synth_vm(tmp_path, vm_props(agent_timeout_seconds=120)), VM, "vm_1002")
    assert vm["agent"] == {"enabled": True, "timeout": "120s", "wait_for_ip": {"ipv4": True}}
    assert vm["stop_on_destroy"] is True
    assert vm["serial_device"] == [{"device": "socket"}]


def test_network_dns_startup_and_tags(tmp_path: Path) -> None:
    props = vm_props(
        nic=NicProps(bridge="vmbr1", vlan_id=20, mac_address="BC:24:11:00:00:02", firewall=True),
        dns=DnsProps(servers=["10.0.0.1"], domain="phoenix.local"),
        startup=StartupProps(order=3, up_delay_seconds=30, down_delay_seconds=10),
        tags=["qdrant", "phoenix"],
        on_boot=False,
    )
    vm = resource(synth_vm(tmp_path, props), VM, "vm_1002")
    # An attribute of type list(object): Terraform's JSON syntax needs every key, unset as null.
    assert vm["network_device"] == [
        {
            "bridge": "vmbr1",
            "disconnected": None,
            "enabled": None,
            "firewall": True,
            "mac_address": "BC:24:11:00:00:02",
            "model": "virtio",
            "mtu": None,
            "queues": None,
            "rate_limit": None,
            "trunks": None,
            "vlan_id": 20,
        }
    ]
    assert vm["initialization"]["dns"] == {"servers": ["10.0.0.1"], "domain": "phoenix.local"}
    assert vm["startup"] == {"order": 3, "up_delay": 30, "down_delay": 10}
    assert vm["tags"] == ["phoenix", "qdrant"]  # sorted as Proxmox stores them
    assert vm["on_boot"] is False


def test_user_data_snippet_keeps_existing_vm_by_default(tmp_path: Path) -> None:
    vm = resource(
        synth_vm(tmp_path, vm_props(user_data_file_id="local:snippets/vm-1002.yaml")), VM, "vm_1002"
    )
    assert vm["initialization"]["user_data_file_id"] == "local:snippets/vm-1002.yaml"
    # The template it was cloned from and the snippet it booted with stay what they were.
    assert vm["lifecycle"] == {"ignore_changes": ["clone", "initialization[0].user_data_file_id"]}
    assert vm["migrate"] is True  # a node change migrates it


def test_user_data_snippet_can_replace_the_vm_on_change(tmp_path: Path) -> None:
    props = vm_props(
        user_data_file_id="local:snippets/vm-1002.yaml", on_bootstrap_change=BootstrapChange.REPLACE
    )
    vm = resource(synth_vm(tmp_path, props), VM, "vm_1002")
    # Only the clone source's node is left alone, so that a migration is not a re-clone.
    assert vm["lifecycle"] == {"ignore_changes": ["clone[0].node_name"]}


def test_a_vm_set_to_rebuild_on_a_node_change_is_not_migrated(tmp_path: Path) -> None:
    props = vm_props(
        user_data_file_id="local:snippets/vm-1002.yaml",
        on_bootstrap_change=BootstrapChange.REPLACE,
        on_node_change=NodeChange.REBUILD,
    )
    vm = resource(synth_vm(tmp_path, props), VM, "vm_1002")
    assert vm["migrate"] is False
    assert "lifecycle" not in vm


def test_adopting_an_existing_vm_adds_an_import_block(tmp_path: Path) -> None:
    plan = synth_vm(tmp_path, vm_props(adopt=True))
    assert plan["import"] == [{"to": "proxmox_virtual_environment_vm.vm_1002", "id": "pve/1002"}]


def test_dhcp_vm_has_no_gateway(tmp_path: Path) -> None:
    vm = resource(synth_vm(tmp_path, vm_props(ipv4=Ipv4Props(address="dhcp"))), VM, "vm_1002")
    assert vm["initialization"]["ip_config"] == [{"ipv4": {"address": "dhcp"}}]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"cores": 0}, "cores 0 must be at least 1"),
        ({"memory_mib": 128}, "memory_mib 128 must be at least 256"),
        ({"disk_gib": 0}, "disk_gib 0 must be at least 1"),
        ({"vm_id": 99}, "vm_id 99 is below 100"),
        ({"ipv4": Ipv4Props(address="10.0.0.300/24")}, "ipv4 address '10.0.0.300/24'"),
        (
            {"ipv4": Ipv4Props(address="dhcp", gateway="10.0.0.1")},
            "a gateway needs a static ipv4 address",
        ),
        (
            {"user_data_file_id": "local:snippets/x.yaml", "username": "phoenix"},
            "username/ssh_keys conflict with user_data_file_id",
        ),
    ],
)
def test_fails_when_props_are_invalid(
    tmp_path: Path, overrides: dict[str, Any], message: str
) -> None:
    stack = TerraformStack(make_app(str(tmp_path)), "test")
    with pytest.raises(
        PropsError, match=rf"^vm {overrides.get('vm_id', 1002)}: .*{re.escape(message)}"
    ):
        PhoenixVm(stack, "vm", vm_props(**overrides))


def test_all_options_snapshot(tmp_path: Path, plan_snapshot: SnapshotAssertion) -> None:
    props = vm_props(
        template_node_name="pve2",
        disk_gib=64,
        cores=8,
        cpu_type="host",
        memory_mib=16384,
        nic=NicProps(bridge="vmbr0", vlan_id=10, firewall=True),
        dns=DnsProps(servers=["10.0.0.1", "1.1.1.1"], domain="lab"),
        user_data_file_id="local:snippets/vm-1002-user-data.yaml",
        startup=StartupProps(order=2, up_delay_seconds=15),
        tags=["a", "b"],
        description="everything set",
        adopt=True,
    )
    assert synth_vm(tmp_path, props) == plan_snapshot


def test_testing_matcher_agrees(tmp_path: Path) -> None:
    stack = TerraformStack(make_app(str(tmp_path)), "test")
    PhoenixVm(stack, "vm_1002", vm_props())
    assert cdktf.Testing.to_have_resource_with_properties(
        cdktf.Testing.synth(stack), VM, {"vm_id": 1002, "name": "drphoenix", "started": True}
    )
