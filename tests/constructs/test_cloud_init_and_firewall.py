"""CloudInitSnippet, GuestFirewall and ClusterFirewall constructs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from cdktf import TerraformStack, TerraformVariable

from constructs_lib import (
    CloudInitSnippet,
    CloudInitSnippetProps,
    ClusterFirewall,
    ClusterFirewallProps,
    FirewallRuleProps,
    GuestFirewall,
    GuestFirewallProps,
    Ipv4Props,
    PhoenixContainer,
    PhoenixContainerProps,
    PropsError,
)
from tests.plan import make_app, minimal_vm, resource, synth_json


def stack(tmp_path: Path) -> TerraformStack:
    return TerraformStack(make_app(str(tmp_path)), "test")


def test_snippet_escapes_template_syntax_but_keeps_secret_tokens(tmp_path: Path) -> None:
    # GIVEN user-data with a shell ${VAR} and a sensitive Terraform variable
    scope = stack(tmp_path)
    secret = TerraformVariable(scope, "secret", type="string", sensitive=True).string_value
    text = f"#cloud-config\nruncmd:\n- echo ${{HOME}} %{{x}}\n- echo {secret}\n"
    # WHEN it becomes a snippet
    CloudInitSnippet(
        scope,
        "user_data_1002",
        CloudInitSnippetProps(
            node_name="pve",
            datastore_id="local",
            file_name="vm-1002.yaml",
            user_data=text,
        ),
    )
    snippet = resource(synth_json(scope), "proxmox_virtual_environment_file", "user_data_1002")
    # THEN Terraform will hand the shell syntax through and interpolate only the variable
    assert snippet["content_type"] == "snippets"
    assert snippet["datastore_id"] == "local"
    data = snippet["source_raw"]["data"]
    assert snippet["source_raw"]["file_name"] == "vm-1002.yaml"
    assert "echo $${HOME} %%{x}" in data
    assert "echo ${var.secret}" in data


def test_fails_when_snippet_is_not_cloud_config(tmp_path: Path) -> None:
    with pytest.raises(PropsError, match="must start with #cloud-config"):
        CloudInitSnippet(
            stack(tmp_path),
            "s",
            CloudInitSnippetProps(
                node_name="pve", datastore_id="local", file_name="a.yaml", user_data="runcmd: []"
            ),
        )


def test_vm_firewall_options_and_rules_reference_the_vm(tmp_path: Path) -> None:
    scope = stack(tmp_path)
    GuestFirewall(
        scope,
        "firewall_1002",
        GuestFirewallProps(
            guest=minimal_vm(scope),
            rules=[
                FirewallRuleProps(proto="tcp", dport="9001", source="10.0.0.101", comment="agent"),
                FirewallRuleProps(direction="out", action="DROP", dest="10.0.0.0/8"),
            ],
        ),
    )
    plan = synth_json(scope)
    options = resource(plan, "proxmox_virtual_environment_firewall_options", "firewall_1002")
    assert options == {
        "node_name": "pve",
        "vm_id": "${proxmox_virtual_environment_vm.vm_1002.vm_id}",
        "enabled": True,
        "input_policy": "DROP",
        "output_policy": "ACCEPT",
        # Proxmox drops a guest's firewall with the guest: a replaced VM gets it again.
        "lifecycle": {"replace_triggered_by": ["proxmox_virtual_environment_vm.vm_1002.id"]},
    }
    rules = resource(plan, "proxmox_virtual_environment_firewall_rules", "firewall_1002")
    assert rules["lifecycle"] == options["lifecycle"]
    assert rules["vm_id"] == "${proxmox_virtual_environment_vm.vm_1002.vm_id}"
    assert rules["depends_on"] == ["proxmox_virtual_environment_firewall_options.firewall_1002"]
    assert rules["rule"][0] == {
        "type": "in",
        "action": "ACCEPT",
        "proto": "tcp",
        "dport": "9001",
        "source": "10.0.0.101",
        "comment": "agent",
        "log": "nolog",
        "enabled": True,
    }
    assert rules["rule"][1]["type"] == "out"
    assert rules["rule"][1]["action"] == "DROP"


def test_container_firewall_uses_container_id(tmp_path: Path) -> None:
    scope = stack(tmp_path)
    ct = PhoenixContainer(
        scope,
        "ct_101",
        PhoenixContainerProps(
            node_name="pve",
            vm_id=101,
            hostname="n",
            os_template="local:vztmpl/x.tar.zst",
            datastore_id="local-lvm",
            ipv4=Ipv4Props(address="dhcp"),
        ),
    )
    GuestFirewall(scope, "firewall_101", GuestFirewallProps(guest=ct))
    plan = synth_json(scope)
    options = resource(plan, "proxmox_virtual_environment_firewall_options", "firewall_101")
    assert options["container_id"] == "${proxmox_virtual_environment_container.ct_101.vm_id}"
    assert "vm_id" not in options
    assert "proxmox_virtual_environment_firewall_rules" not in plan["resource"]


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"input_policy": "deny"}, "input_policy 'deny' is not one of"),
        ({"rules": [FirewallRuleProps(dport="22")]}, "rule 0: ports need a proto or a macro"),
        ({"rules": [FirewallRuleProps(action="ALLOW", macro="SSH")]}, "rule 0: action 'ALLOW'"),
    ],
)
def test_fails_when_firewall_props_are_invalid(
    tmp_path: Path, props: dict[str, Any], message: str
) -> None:
    scope = stack(tmp_path)
    with pytest.raises(PropsError, match=re.escape(message)):
        GuestFirewall(scope, "fw", GuestFirewallProps(guest=minimal_vm(scope), **props))


def test_cluster_firewall(tmp_path: Path) -> None:
    scope = stack(tmp_path)
    ClusterFirewall(scope, "cluster_firewall", ClusterFirewallProps(forward_policy="DROP"))
    firewall = resource(
        synth_json(scope), "proxmox_virtual_environment_cluster_firewall", "cluster_firewall"
    )
    assert firewall == {
        "enabled": True,
        "input_policy": "DROP",
        "output_policy": "ACCEPT",
        "forward_policy": "DROP",
        "ebtables": True,
    }


def test_fails_when_cluster_forward_policy_is_reject(tmp_path: Path) -> None:
    with pytest.raises(PropsError, match="forward_policy 'REJECT' is not ACCEPT or DROP"):
        ClusterFirewall(stack(tmp_path), "c", ClusterFirewallProps(forward_policy="REJECT"))
