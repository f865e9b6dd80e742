"""The GPU example fleet in examples/ai-lab/ synthesizes into the plan docs/gpu.md describes:
a cluster PCI mapping, a q35 VM passing it through, a container with the NVIDIA device nodes,
the driver and toolkit in cloud-init, the container's user-space libraries, and the routes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from syrupy.assertion import SnapshotAssertion

from fleet import Fleet, load_fleet
from portainer.desired import parse_desired_state
from tests.conftest import ROOT
from tests.plan import resource, synth_files

VM = "proxmox_virtual_environment_vm"
CONTAINER = "proxmox_virtual_environment_container"
MAPPING = "proxmox_hardware_mapping_pci"
SCHEMA = ROOT / "providers" / "bpg-proxmox-0.111.1.schema.json"
_JSON_TYPES = {"string": str, "number": int, "bool": bool}


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    return load_fleet(ROOT / "examples" / "ai-lab")


@pytest.fixture(scope="module")
def stacks(fleet: Fleet, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    return synth_files(fleet, tmp_path_factory.mktemp("cdktf") / "cdktf.out")


@pytest.fixture(scope="module")
def infra(stacks: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return stacks["infra"]


def _schema_block(resource_type: str) -> dict[str, Any]:
    document = json.loads(SCHEMA.read_text(encoding="utf-8"))
    block: dict[str, Any] = document["provider_schemas"]["registry.terraform.io/bpg/proxmox"][
        "resource_schemas"
    ][resource_type]["block"]
    return block


def _assert_typed(values: dict[str, Any], attributes: dict[str, Any]) -> None:
    """Every key is an attribute of the schema and its value has the attribute's type
    (a `${...}` reference stands for a string)."""
    for key, value in values.items():
        assert key in attributes, f"{key} is not an attribute (have {sorted(attributes)})"
        expected = _JSON_TYPES[attributes[key]["type"]]
        assert isinstance(value, expected), f"{key}: {value!r} is not a {expected.__name__}"
    required = {name for name, attribute in attributes.items() if attribute.get("required")}
    assert required <= set(values), f"missing required {sorted(required - set(values))}"


def test_infra_plan_matches_snapshot(
    infra: dict[str, Any], plan_snapshot: SnapshotAssertion
) -> None:
    assert infra == plan_snapshot


def test_portainer_plan_matches_snapshot(
    stacks: dict[str, Any], plan_snapshot: SnapshotAssertion
) -> None:
    assert stacks["portainer"] == plan_snapshot


def test_the_vm_gpu_is_a_cluster_mapping_with_the_schema_types(infra: dict[str, Any]) -> None:
    # GIVEN the RTX 4090 declared on node gpu1 and given to VM 1101
    mapping = resource(infra, MAPPING, "gpu_rtx4090")
    # THEN one mapping holds it, named after the GPU, typed as the provider schema says
    block = _schema_block(MAPPING)
    _assert_typed(
        {k: v for k, v in mapping.items() if k != "map"},
        {k: v for k, v in block["attributes"].items() if "type" in v},
    )
    assert mapping["name"] == "rtx4090"
    (entry,) = mapping["map"]
    _assert_typed(entry, block["attributes"]["map"]["nested_type"]["attributes"])
    assert entry == {
        "node": "gpu1",
        "path": "0000:01:00.0",
        "id": "10de:2684",
        "subsystem_id": "10de:167c",
        "iommu_group": 12,
    }
    # AND the container's GPU, which the node's driver keeps, has no mapping
    assert sorted(infra["resource"][MAPPING]) == ["gpu_rtx4090"]


def test_the_gpu_vm_is_q35_and_passes_the_mapping_through(infra: dict[str, Any]) -> None:
    vm = resource(infra, VM, "vm_1101")
    assert vm["machine"] == "q35"
    (hostpci,) = vm["hostpci"]
    block = _schema_block(VM)["block_types"]["hostpci"]["block"]
    _assert_typed(hostpci, block["attributes"])
    # By reference: Terraform creates the mapping before the VM that names it.
    assert hostpci == {
        "device": "hostpci0",
        "mapping": "${proxmox_hardware_mapping_pci.gpu_rtx4090.name}",
        "pcie": True,
        "rombar": True,
        "xvga": False,
    }
    # AND the VM without a GPU keeps the template's machine and has no hostpci
    portainer = resource(infra, VM, "vm_1001")
    assert "machine" not in portainer
    assert "hostpci" not in portainer


def test_the_gpu_container_gets_the_nvidia_device_nodes(infra: dict[str, Any]) -> None:
    container = resource(infra, CONTAINER, "ct_201")
    block = _schema_block(CONTAINER)["block_types"]["device_passthrough"]["block"]
    for device in container["device_passthrough"]:
        _assert_typed(device, block["attributes"])
    assert [(d["path"], d["gid"], d["mode"]) for d in container["device_passthrough"]] == [
        ("/dev/nvidia0", 44, "0660"),
        ("/dev/nvidiactl", 44, "0660"),
        ("/dev/nvidia-uvm", 44, "0660"),
        ("/dev/nvidia-uvm-tools", 44, "0660"),
    ]
    assert container["unprivileged"] is True
    assert "device_passthrough" not in resource(infra, CONTAINER, "ct_101")


def _user_data(infra: dict[str, Any], vmid: int) -> dict[str, Any]:
    snippet = resource(infra, "proxmox_virtual_environment_file", f"user_data_{vmid}")
    text = snippet["source_raw"]["data"]
    document: dict[str, Any] = yaml.safe_load(text)
    return document


def test_the_gpu_vm_cloud_init_installs_the_driver_and_the_container_toolkit(
    infra: dict[str, Any],
) -> None:
    user_data = _user_data(infra, 1101)
    # Ubuntu's own packages: the driver through ubuntu-drivers, nvidia-smi, the toolkit
    assert {"ubuntu-drivers-common", "nvidia-utils-570-server", "nvidia-container-toolkit"} <= set(
        user_data["packages"]
    )
    runcmd = user_data["runcmd"]
    driver = ["ubuntu-drivers", "install", "--gpgpu", "nvidia:570-server"]
    runtime = ["nvidia-ctk", "runtime", "configure", "--runtime=docker"]
    agent = runcmd.index(
        ["docker", "compose", "-f", "/opt/phoenix/portainer-agent/compose.yaml", "up", "-d"]
    )
    # Docker knows the nvidia runtime before the agent (and so any stack) starts
    assert (
        runcmd.index(driver)
        < runcmd.index(runtime)
        < runcmd.index(["systemctl", "restart", "docker"])
        < agent
    )
    assert user_data["power_state"]["mode"] == "reboot"
    # AND a VM without a GPU gets none of it
    plain = _user_data(infra, 1001)
    assert not any("nvidia" in package for package in plain["packages"])
    assert "power_state" not in plain


def test_the_gpu_container_gets_the_node_driver_user_space_through_its_node(
    infra: dict[str, Any],
) -> None:
    setup = resource(infra, "terraform_data", "gpu_setup_201")
    assert setup["connection"]["host"] == "10.20.0.10"  # the node, not the container
    assert setup["connection"]["user"] == "root"
    upload, run = setup["provisioner"]
    script = upload["file"]["content"]
    assert "version=550.127.05" in script
    assert 'sh "$runfile" --silent --no-kernel-module' in script
    inline = run["remote-exec"]["inline"]
    assert "pct exec 201 -- sh /root/phoenix-gpu-setup.sh" in inline
    assert (
        setup["triggers_replace"]["guest"] == "${proxmox_virtual_environment_container.ct_201.id}"
    )


def test_the_gpu_stack_reaches_portainer_unchanged(infra: dict[str, Any]) -> None:
    # What Terraform outputs: the literal text behind the JSON's `$${` escapes
    value = json.dumps(infra["output"]["portainer"]["value"])
    desired = parse_desired_state(json.loads(value.replace("$${", "${").replace("%%{", "%{")))
    (agent,) = desired.agents
    (stack,) = agent.stacks
    compose = (ROOT / "examples" / "ai-lab" / "stacks" / "vllm" / "compose.yaml").read_text()
    assert (agent.guest, stack.name, stack.compose) == ("vllm", "vllm", compose)
    devices = yaml.safe_load(stack.compose)["services"]["vllm"]["deploy"]["resources"][
        "reservations"
    ]["devices"]
    assert devices == [{"driver": "nvidia", "count": "all", "capabilities": ["gpu"]}]


def test_the_gateway_keeps_v1_and_strips_ollama(infra: dict[str, Any]) -> None:
    site = resource(infra, "terraform_data", "gateway_site")["provisioner"][0]["file"]["content"]
    assert "proxy_pass http://10.20.0.111:8000;" in site  # /v1/models stays /v1/models
    assert "proxy_pass http://10.20.0.201:11434/;" in site  # /ollama/api/tags -> /api/tags


def test_example_documents_its_gpus(fleet: Fleet) -> None:
    readme = (ROOT / "docs" / "gpu.md").read_text(encoding="utf-8")
    assert "examples/ai-lab" in readme
    assert Path(ROOT / "examples" / "ai-lab" / "stacks" / "vllm" / "compose.yaml").is_file()
