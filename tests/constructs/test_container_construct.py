"""PhoenixContainer: unprivileged by default, features explicit, template downloaded or named."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from cdktf import TerraformStack
from syrupy.assertion import SnapshotAssertion

from constructs_lib import (
    BindMountProps,
    ContainerTemplateDownload,
    DnsProps,
    Ipv4Props,
    LxcFeatures,
    NicProps,
    PhoenixContainer,
    PhoenixContainerProps,
    PropsError,
    StartupProps,
)
from tests.plan import make_app, resource, synth_json

CT = "proxmox_virtual_environment_container"


def ct_props(**overrides: Any) -> PhoenixContainerProps:
    base: dict[str, Any] = {
        "node_name": "pve",
        "vm_id": 101,
        "hostname": "nginx",
        "os_template": "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
        "datastore_id": "local-lvm",
        "ipv4": Ipv4Props(address="10.0.0.153/24", gateway="10.0.0.1"),
    }
    base.update(overrides)
    return PhoenixContainerProps(**base)


def synth_ct(tmp_path: Path, props: PhoenixContainerProps) -> dict[str, Any]:
    stack = TerraformStack(make_app(str(tmp_path)), "test")
    PhoenixContainer(stack, "ct_101", props)
    return synth_json(stack)


def test_is_unprivileged_unless_asked(tmp_path: Path) -> None:
    # GIVEN default props WHEN synthesized THEN the container is unprivileged (the provider's
    # own default is privileged) and no feature key is sent
    ct = resource(synth_ct(tmp_path, ct_props()), CT, "ct_101")
    assert ct["unprivileged"] is True
    assert "features" not in ct


def test_privileged_only_when_explicit(tmp_path: Path) -> None:
    ct = resource(synth_ct(tmp_path, ct_props(unprivileged=False)), CT, "ct_101")
    assert ct["unprivileged"] is False


def test_only_enabled_features_are_sent(tmp_path: Path) -> None:
    ct = resource(
        synth_ct(tmp_path, ct_props(features=LxcFeatures(nesting=True, keyctl=True))), CT, "ct_101"
    )
    assert ct["features"] == {"nesting": True, "keyctl": True}


def test_existing_template_volume_is_used_as_is(tmp_path: Path) -> None:
    plan = synth_ct(tmp_path, ct_props())
    ct = resource(plan, CT, "ct_101")
    assert ct["operating_system"] == {
        "template_file_id": "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
        "type": "unmanaged",
    }
    assert "proxmox_download_file" not in plan.get("resource", {})


def test_downloaded_template_is_referenced(tmp_path: Path) -> None:
    download = ContainerTemplateDownload(
        url="https://download.proxmox.com/images/system/debian-12-standard_12.7-1_amd64.tar.zst",
        file_name="debian-12-standard_12.7-1_amd64.tar.zst",
    )
    plan = synth_ct(tmp_path, ct_props(os_template=download, os_type="debian"))
    fetched = resource(plan, "proxmox_download_file", "ct_101_template")
    assert fetched["content_type"] == "vztmpl"
    assert fetched["overwrite"] is False
    ct = resource(plan, CT, "ct_101")
    assert (
        ct["operating_system"]["template_file_id"] == "${proxmox_download_file.ct_101_template.id}"
    )


def test_network_root_disk_and_resources(tmp_path: Path) -> None:
    props = ct_props(
        cores=2,
        memory_mib=1024,
        swap_mib=0,
        disk_gib=16,
        nic=NicProps(bridge="vmbr1", vlan_id=30, firewall=True),
        dns=DnsProps(servers=["10.0.0.1"]),
        ssh_keys=["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE2b admin@phoenix"],
        startup=StartupProps(order=1, up_delay_seconds=5),
    )
    ct = resource(synth_ct(tmp_path, props), CT, "ct_101")
    assert ct["cpu"] == {"cores": 2}
    assert ct["memory"] == {"dedicated": 1024, "swap": 0}
    assert ct["disk"] == {"datastore_id": "local-lvm", "size": 16}
    assert ct["network_interface"] == [
        {"name": "eth0", "bridge": "vmbr1", "vlan_id": 30, "firewall": True}
    ]
    assert ct["initialization"]["user_account"] == {
        "keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE2b admin@phoenix"]
    }
    assert ct["startup"] == {"order": 1, "up_delay": 5}


def test_bind_mounts(tmp_path: Path) -> None:
    props = ct_props(
        bind_mounts=[BindMountProps(host_path="/srv/logs", path="/var/log/nginx", read_only=True)]
    )
    ct = resource(synth_ct(tmp_path, props), CT, "ct_101")
    assert ct["mount_point"] == [
        {"volume": "/srv/logs", "path": "/var/log/nginx", "read_only": True}
    ]


def test_adopting_an_existing_container_adds_an_import_block(tmp_path: Path) -> None:
    plan = synth_ct(tmp_path, ct_props(adopt=True))
    assert plan["import"] == [
        {"to": "proxmox_virtual_environment_container.ct_101", "id": "pve/101"}
    ]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"cores": 0}, "cores 0 must be at least 1"),
        ({"memory_mib": 8}, "memory_mib 8 must be at least 16"),
        ({"swap_mib": -1}, "swap_mib -1 must not be negative"),
        ({"disk_gib": 0}, "disk_gib 0 must be at least 1"),
        ({"features": LxcFeatures(mount=["nfs"])}, "unprivileged containers cannot mount nfs/cifs"),
        ({"ipv4": Ipv4Props(address="10.0.0.153")}, "is not 'dhcp' or an address/prefix"),
    ],
)
def test_fails_when_props_are_invalid(
    tmp_path: Path, overrides: dict[str, Any], message: str
) -> None:
    stack = TerraformStack(make_app(str(tmp_path)), "test")
    with pytest.raises(PropsError, match=rf"^container 101: .*{re.escape(message)}"):
        PhoenixContainer(stack, "ct", ct_props(**overrides))


def test_all_options_snapshot(tmp_path: Path, plan_snapshot: SnapshotAssertion) -> None:
    props = ct_props(
        os_template=ContainerTemplateDownload(
            url="https://download.proxmox.com/images/system/alpine-3.22-default_20250617_amd64.tar.xz",
            file_name="alpine-3.22-default_20250617_amd64.tar.xz",
            datastore_id="templates",
        ),
        os_type="alpine",
        features=LxcFeatures(nesting=True, fuse=True),
        nic=NicProps(mac_address="BC:24:11:00:01:01", firewall=True),
        dns=DnsProps(servers=["10.0.0.1"], domain="phoenix.local"),
        bind_mounts=[BindMountProps(host_path="/tank/data", path="/data")],
        start_on_boot=False,
        tags=["z", "a"],
        description="all options",
    )
    assert synth_ct(tmp_path, props) == plan_snapshot
