"""Every construct, with every option it writes, in one stack that real Terraform validates.

The construct snapshots are validated as they are (test_validate.py); this covers the
constructs without an all-options snapshot, so no construct writes JSON Terraform never saw.
"""

from __future__ import annotations

import json
from pathlib import Path

from cdktf import TerraformStack, TerraformVariable

from constructs_lib import (
    BindMountProps,
    CloudInitSnippet,
    CloudInitSnippetProps,
    ClusterFirewall,
    ClusterFirewallProps,
    FirewallRuleProps,
    GuestFirewall,
    GuestFirewallProps,
    Ipv4Props,
    LxcFeatures,
    PhoenixContainer,
    PhoenixContainerProps,
    RemoteConfigFile,
    RemoteConfigFileProps,
)
from constructs_lib.portainer_reconcile import PortainerReconcile, PortainerReconcileProps
from rehearsal.terraform import Terraform
from tests.plan import make_app, minimal_vm, synth_json

from .test_validate import PROVIDER_BLOCK, problems, validate


def every_construct(tmp_path: Path) -> TerraformStack:
    scope = TerraformStack(make_app(str(tmp_path / "synth")), "constructs")
    secret = TerraformVariable(scope, "secret", type="string", sensitive=True).string_value
    snippet = CloudInitSnippet(
        scope,
        "user_data_1002",
        CloudInitSnippetProps(
            node_name="pve",
            datastore_id="local",
            file_name="vm-1002.yaml",
            user_data=f"#cloud-config\nruncmd:\n- echo ${{HOME}} {secret}\n",
        ),
    )
    vm = minimal_vm(scope, "10.0.0.102/24")
    container = PhoenixContainer(
        scope,
        "ct_101",
        PhoenixContainerProps(
            node_name="pve",
            vm_id=101,
            hostname="gateway",
            os_template="local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
            os_type="debian",
            unprivileged=False,
            features=LxcFeatures(nesting=True, keyctl=True, fuse=True, mount=["nfs"]),
            datastore_id="local-lvm",
            ipv4=Ipv4Props(address="10.0.0.153/24", gateway="10.0.0.1"),
            ssh_keys=[
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFwtb9kFumuKUG0z96VO5pjuJbc43aYDc8vJsze/mSYA k"
            ],
            bind_mounts=[BindMountProps(host_path="/srv/data", path="/data", read_only=True)],
            adopt=True,
        ),
    )
    rules = [
        FirewallRuleProps(proto="tcp", dport="9001", source="10.0.0.101", comment="agent"),
        FirewallRuleProps(direction="out", action="DROP", dest="10.0.0.0/8", log="info"),
        FirewallRuleProps(macro="SSH", source="10.0.0.0/24", enabled=False),
    ]
    GuestFirewall(scope, "firewall_1002", GuestFirewallProps(guest=vm, rules=rules))
    GuestFirewall(
        scope,
        "firewall_101",
        GuestFirewallProps(guest=container, input_policy="REJECT", rules=rules),
    )
    ClusterFirewall(
        scope,
        "cluster_firewall",
        ClusterFirewallProps(input_policy="DROP", forward_policy="DROP", ebtables=False),
    )
    RemoteConfigFile(
        scope,
        "gateway_site",
        RemoteConfigFileProps(
            guest=container,
            host="10.0.0.153",
            content="server { listen 80; }\n",
            staged_path="/run/site.conf",
            commands=["install -m 0644 /run/site.conf /etc/nginx/conf.d/site.conf"],
        ),
    )
    PortainerReconcile(
        scope,
        "portainer_reconcile",
        PortainerReconcileProps(
            desired_state_parts=[snippet.file_id, secret],
            part_count=3,
            extra_args=["--prune"],
        ),
    )
    return scope


def test_every_construct_with_every_option_validates(terraform: Terraform, tmp_path: Path) -> None:
    # GIVEN every construct in one stack, wrapped in a provider block
    document = {**synth_json(every_construct(tmp_path)), **PROVIDER_BLOCK}
    assert len(document["resource"]) == 7  # file, vm, container, options, rules, cluster, data
    # WHEN Terraform validates it THEN Terraform and the provider accept it
    result = validate(terraform, tmp_path / "tf", json.loads(json.dumps(document)))
    assert result["valid"], problems(result)
