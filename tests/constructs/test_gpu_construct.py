"""GPUs: PciMapping, a VM's hostpci and machine, a container's device nodes, the NVIDIA
parts of cloud-init and the container's user-space script."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
import yaml
from cdktf import TerraformStack
from syrupy.assertion import SnapshotAssertion

from constructs_lib import (
    DevicePassthroughProps,
    Ipv4Props,
    PciMapping,
    PciMappingEntry,
    PciMappingProps,
    PciPassthroughProps,
    PhoenixContainer,
    PhoenixContainerProps,
    PhoenixVm,
    PhoenixVmProps,
    PropsError,
)
from constructs_lib.bootstrap import NvidiaSpec, VmBootstrap, render_user_data
from constructs_lib.gpu import container_script_commands, nvidia_devices, nvidia_userspace_script
from tests.plan import make_app, resource, synth_json

MAPPING = "proxmox_hardware_mapping_pci"
VM = "proxmox_virtual_environment_vm"
CT = "proxmox_virtual_environment_container"


def entry(**overrides: Any) -> PciMappingEntry:
    base: dict[str, Any] = {
        "node_name": "pve",
        "pci_address": "0000:01:00.0",
        "device_id": "10de:2684",
    }
    base.update(overrides)
    return PciMappingEntry(**base)


def gpu_stack(tmp_path: Path, *, machine: str | None = "q35") -> dict[str, Any]:
    """A mapping, a VM passing it through and a container with a GPU's device nodes."""
    stack = TerraformStack(make_app(str(tmp_path)), "test")
    mapping = PciMapping(
        stack,
        "gpu_rtx4090",
        PciMappingProps(
            name="rtx4090",
            entries=[
                entry(node_name="pve2", pci_address="0000:41:00.0"),
                entry(subsystem_id="10de:167c", iommu_group=12),
            ],
            comment="Managed by Phoenix",
        ),
    )
    PhoenixVm(
        stack,
        "vm_1101",
        PhoenixVmProps(
            node_name="pve",
            vm_id=1101,
            name="vllm",
            template=9000,
            datastore_id="local-lvm",
            ipv4=Ipv4Props(address="10.0.0.111/24"),
            machine=machine,
            pci_devices=[PciPassthroughProps(mapping=mapping.name_reference)],
        ),
    )
    PhoenixContainer(
        stack,
        "ct_201",
        PhoenixContainerProps(
            node_name="pve",
            vm_id=201,
            hostname="ollama",
            os_template="local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
            os_type="debian",
            datastore_id="local-lvm",
            ipv4=Ipv4Props(address="10.0.0.201/24"),
            devices=nvidia_devices([1], gid=44),
        ),
    )
    return synth_json(stack)


def test_a_mapping_holds_each_node_device_sorted_by_node(tmp_path: Path) -> None:
    mapping = resource(gpu_stack(tmp_path), MAPPING, "gpu_rtx4090")
    assert mapping["name"] == "rtx4090"
    assert [item["node"] for item in mapping["map"]] == ["pve", "pve2"]
    assert mapping["map"][0] == {
        "node": "pve",
        "path": "0000:01:00.0",
        "id": "10de:2684",
        "subsystem_id": "10de:167c",
        "iommu_group": 12,
    }


def test_the_vm_names_the_mapping_by_reference_on_a_pcie_port(tmp_path: Path) -> None:
    vm = resource(gpu_stack(tmp_path), VM, "vm_1101")
    assert vm["machine"] == "q35"
    assert vm["hostpci"] == [
        {
            "device": "hostpci0",
            "mapping": "${proxmox_hardware_mapping_pci.gpu_rtx4090.name}",
            "pcie": True,
            "rombar": True,
            "xvga": False,
        }
    ]


def test_the_container_gets_its_gpu_then_the_shared_nodes(tmp_path: Path) -> None:
    container = resource(gpu_stack(tmp_path), CT, "ct_201")
    assert [d["path"] for d in container["device_passthrough"]] == [
        "/dev/nvidia1",
        "/dev/nvidiactl",
        "/dev/nvidia-uvm",
        "/dev/nvidia-uvm-tools",
    ]
    assert {(d["gid"], d["uid"], d["mode"]) for d in container["device_passthrough"]} == {
        (44, 0, "0660")
    }


def test_gpu_guests_snapshot(tmp_path: Path, plan_snapshot: SnapshotAssertion) -> None:
    # Also validated by Terraform on the stand-in (tests/plans/test_validate.py).
    assert gpu_stack(tmp_path) == plan_snapshot


@pytest.mark.parametrize(
    ("props", "message"),
    [
        (PciMappingProps(name="gpu", entries=[]), "needs at least one node's device"),
        (
            PciMappingProps(name="gpu", entries=[entry(), entry(pci_address="0000:02:00.0")]),
            "one entry per node, got ['pve', 'pve']",
        ),
        (
            PciMappingProps(name="gpu", entries=[entry(pci_address="0000:0A:00.0")]),
            "pci_address '0000:0A:00.0' is not like 0000:01:00.0",
        ),
        (
            PciMappingProps(name="gpu", entries=[entry(subsystem_id="10de")]),
            "device id '10de' is not like 10de:2684",
        ),
    ],
)
def test_fails_when_a_mapping_is_invalid(
    tmp_path: Path, props: PciMappingProps, message: str
) -> None:
    stack = TerraformStack(make_app(str(tmp_path)), "test")
    with pytest.raises(PropsError, match=message.replace("[", r"\[").replace("]", r"\]")):
        PciMapping(stack, "gpu", props)


def test_fails_when_pcie_passthrough_lacks_q35(tmp_path: Path) -> None:
    with pytest.raises(PropsError, match="PCIe passthrough needs machine 'q35', got None"):
        gpu_stack(tmp_path, machine=None)


def test_fails_when_a_device_mode_is_not_octal(tmp_path: Path) -> None:
    stack = TerraformStack(make_app(str(tmp_path)), "test")
    with pytest.raises(PropsError, match="device /dev/nvidia0: mode '660' is not like 0660"):
        PhoenixContainer(
            stack,
            "ct_201",
            PhoenixContainerProps(
                node_name="pve",
                vm_id=201,
                hostname="ollama",
                os_template="local:vztmpl/debian.tar.zst",
                datastore_id="local-lvm",
                ipv4=Ipv4Props(address="dhcp"),
                devices=[DevicePassthroughProps(path="/dev/nvidia0", mode="660")],
            ),
        )


def test_cloud_init_installs_driver_then_toolkit_then_reboots() -> None:
    document = yaml.safe_load(
        render_user_data(
            VmBootstrap(
                hostname="vllm", docker=True, nvidia=NvidiaSpec(driver_branch="570-server-open")
            )
        )
    )
    assert document["packages"][-3:] == [
        "ubuntu-drivers-common",
        "nvidia-utils-570-server",  # the open modules share the branch's utilities
        "nvidia-container-toolkit",
    ]
    assert document["runcmd"][-3:] == [
        ["ubuntu-drivers", "install", "--gpgpu", "nvidia:570-server-open"],
        ["nvidia-ctk", "runtime", "configure", "--runtime=docker"],
        ["systemctl", "restart", "docker"],
    ]
    assert document["power_state"] == {
        "mode": "reboot",
        "message": "Phoenix: reboot to load the NVIDIA driver",
        "condition": True,
    }


def test_cloud_init_without_docker_installs_only_the_driver() -> None:
    document = yaml.safe_load(render_user_data(VmBootstrap(hostname="cuda", nvidia=NvidiaSpec())))
    assert "nvidia-container-toolkit" not in document["packages"]
    assert ["nvidia-ctk", "runtime", "configure", "--runtime=docker"] not in document["runcmd"]


def test_user_space_script_pins_the_node_version_without_a_kernel_module() -> None:
    script = nvidia_userspace_script(driver_version="550.127.05", hostname="ollama")
    assert script.startswith("#!/bin/sh\n")
    assert "version=550.127.05\n" in script
    assert (
        "https://download.nvidia.com/XFree86/Linux-x86_64/$version/"
        "NVIDIA-Linux-x86_64-$version.run" in script
    )
    assert 'sh "$runfile" --silent --no-kernel-module\n' in script
    assert "${" not in script  # nothing Terraform could mistake for an interpolation
    with pytest.raises(ValueError, match=r"is not like 550\.127\.05"):
        nvidia_userspace_script(driver_version="550; rm -rf /", hostname="x")


def test_node_commands_check_push_run_and_clean_up() -> None:
    digest = hashlib.sha256(b"script").hexdigest()
    commands = container_script_commands(
        ctid=201, staged_path="/run/s.sh", sha256=digest, sudo=True
    )
    assert commands == [
        "set -eu",
        f"printf '%s\\n' '{digest}  /run/s.sh' | sha256sum --check --quiet --strict -",
        "sudo -n pct push 201 /run/s.sh /root/phoenix-gpu-setup.sh --perms 0700",
        "sudo -n pct exec 201 -- sh /root/phoenix-gpu-setup.sh",
        "sudo -n pct exec 201 -- rm -f /root/phoenix-gpu-setup.sh",
        "rm -f /run/s.sh",
    ]
