"""PhoenixVmTemplate: a stopped template built from a cloud image Proxmox downloads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from cdktf import TerraformStack
from syrupy.assertion import SnapshotAssertion

from constructs_lib import CloudImageProps, PhoenixVmTemplate, PhoenixVmTemplateProps, PropsError
from tests.plan import make_app, resource, synth_json


def template_props(**overrides: Any) -> PhoenixVmTemplateProps:
    base: dict[str, Any] = {
        "node_name": "pve",
        "vm_id": 9000,
        "name": "ubuntu-noble-template",
        "datastore_id": "local-lvm",
        "image": CloudImageProps(
            url="https://cloud-images.ubuntu.com/releases/24.04/release/ubuntu-24.04-server-cloudimg-amd64.img",
            file_name="ubuntu-24.04-server-cloudimg-amd64.qcow2",
            checksum="ab" * 32,
        ),
    }
    base.update(overrides)
    return PhoenixVmTemplateProps(**base)


def synth_template(tmp_path: Path, props: PhoenixVmTemplateProps) -> dict[str, Any]:
    stack = TerraformStack(make_app(str(tmp_path)), "test")
    PhoenixVmTemplate(stack, "template_9000", props)
    return synth_json(stack)


def test_template_is_never_started_and_imports_the_image(tmp_path: Path) -> None:
    plan = synth_template(tmp_path, template_props())
    vm = resource(plan, "proxmox_virtual_environment_vm", "template_9000")
    assert vm["template"] is True
    assert vm["started"] is False
    assert vm["on_boot"] is False
    assert vm["agent"] == {"enabled": True}
    assert vm["serial_device"] == [{"device": "socket"}]
    assert vm["disk"][0]["import_from"] == "${proxmox_download_file.template_9000_image.id}"
    image = resource(plan, "proxmox_download_file", "template_9000_image")
    assert image["content_type"] == "import"
    assert image["checksum"] == "ab" * 32
    assert image["checksum_algorithm"] == "sha256"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"vm_id": 5}, "vm_id 5 is below 100"),
        ({"disk_gib": 0}, "disk_gib 0 must be at least 1"),
        (
            {"image": CloudImageProps(url="https://x.invalid/a.img", file_name="a.img")},
            "must end in .qcow2 or .raw",
        ),
    ],
)
def test_fails_when_props_are_invalid(
    tmp_path: Path, overrides: dict[str, Any], message: str
) -> None:
    stack = TerraformStack(make_app(str(tmp_path)), "test")
    with pytest.raises(PropsError, match=re.escape(message)):
        PhoenixVmTemplate(stack, "t", template_props(**overrides))


def test_snapshot(tmp_path: Path, plan_snapshot: SnapshotAssertion) -> None:
    assert (
        synth_template(tmp_path, template_props(tags=["template"], description="base image"))
        == plan_snapshot
    )
