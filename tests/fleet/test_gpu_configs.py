"""Bad GPU configs, one per fleet rule of fleet/rules/gpu.py (and the GPU parts of the models
and compose checks): each case is one change to a copy of examples/ai-lab/ and asserts the
whole report, `file: field.path: message`, one problem per line.

A second list holds GPU configs that must load: the rules are not just strict.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from fleet import load_fleet
from tests.conftest import ROOT
from tests.fleet.conftest import Mutation, combine, edit, problems

G = "ai-lab/guests.yaml"
P = "ai-lab/proxmox.yaml"
S = "ai-lab/stacks.yaml"
VLLM_COMPOSE = "stacks/vllm/compose.yaml"
OLLAMA_TYPE = "      type: debian\n    features: {nesting: true}\n    gpus: [rtx3090]"
RESERVATION = (
    "            - driver: nvidia\n              count: all\n              capabilities: [gpu]"
)


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`examples/ai-lab/` copied into an empty working directory: messages say `ai-lab/...`."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(ROOT / "examples" / "ai-lab", tmp_path / "ai-lab")
    return Path("ai-lab")


def on_every_guest(node: str) -> Mutation:
    """Name the node on every guest (required once proxmox.yaml has several)."""

    def mutate(root: Path) -> None:
        path = root / "guests.yaml"
        text = path.read_text(encoding="utf-8")
        path.write_text(
            re.sub(r"^(    name: .*)$", rf"\1\n    node: {node}", text, flags=re.M),
            encoding="utf-8",
        )

    return mutate


SECOND_NODE = edit(
    "proxmox.yaml",
    "networks:\n",
    "  gpu2:\n    address: 10.20.0.12\n    gpus:\n      a100:\n"
    '        pci_address: "0000:41:00.0"\n        device_id: "10de:20b2"\n\nnetworks:\n',
)

SECOND_CONTAINER = edit(
    "guests.yaml",
    "containers:\n",
    "containers:\n  202:\n    name: whisper\n    os_template:\n"
    "      file_id: local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst\n"
    "      type: debian\n    gpus: [rtx3090]\n    network: {ip: 10.20.0.202/24}\n",
)
WHY_Q35 = (
    "GPUs pass through as PCIe devices, which need the q35 machine type (Proxmox refuses to "
    "start the VM otherwise: 'q35 machine model is not enabled')"
)

CASES: list[tuple[str, Mutation, list[str]]] = [
    (
        "gpu_on_another_node",
        combine(
            SECOND_NODE,
            on_every_guest("gpu1"),
            edit("guests.yaml", "gpus: [rtx4090]", "gpus: [a100]"),
        ),
        [
            G
            + (
                ": vms.1101.gpus.0: node gpu1 has no GPU 'a100' (declared on gpu2): the cluster "
                "mapping of a VM's GPU has no device there, so Proxmox refuses to start the VM; "
                "declare it under nodes.gpu1.gpus in ai-lab/proxmox.yaml or move the guest"
            )
        ],
    ),
    (
        "gpu_declared_nowhere",
        edit("guests.yaml", "gpus: [rtx4090]", "gpus: [rtx4080]"),
        [
            G
            + (
                ": vms.1101.gpus.0: GPU 'rtx4080' is not declared in ai-lab/proxmox.yaml; did "
                "you mean 'rtx4090'? (nodes.gpu1.gpus: rtx3090, rtx4090)"
            )
        ],
    ),
    (
        "gpu_of_a_vm_also_in_a_container_both_on_boot",
        edit("guests.yaml", "gpus: [rtx3090]", "gpus: [rtx4090]"),
        [
            G
            + (
                ": vms.1101.gpus.0: GPU 'rtx4090' of node gpu1 is also given to containers.201 "
                "(ollama); both start on boot, and a VM holds its GPU alone, so the one starting "
                "second fails: give each its own GPU, or set on_boot: false on one of them"
            )
        ],
    ),
    (
        "gpu_vm_without_q35",
        edit(
            "guests.yaml",
            "    machine: q35                  # GPUs pass through as PCIe devices\n",
            "",
        ),
        [G + f": vms.1101.machine: set machine: q35 for the VM's GPUs: {WHY_Q35}"],
    ),
    (
        "gpu_vm_on_i440fx",
        edit("guests.yaml", "machine: q35 ", "machine: pc  "),
        [G + f": vms.1101.machine: 'pc' cannot take the VM's GPUs, set q35: {WHY_Q35}"],
    ),
    (
        "gpu_container_deployed_with_an_api_token",
        edit("proxmox.yaml", "  auth: root_password\n", ""),
        [
            G
            + (
                ": containers.201.gpus: Proxmox lets only root@pam configure device passthrough "
                "into a container; an API token cannot, whatever its privileges (root@pam's own "
                "tokens included): set api.auth: root_password in ai-lab/proxmox.yaml and deploy "
                "with PROXMOX_VE_USERNAME=root@pam and PROXMOX_VE_PASSWORD, or give the GPU to a "
                "VM (a token passes a mapped GPU through with Mapping.Use on /mapping/pci/<gpu> "
                "and VM.Config.HWType on the VM)"
            )
        ],
    ),
    (
        "gpu_container_on_a_node_without_its_driver_version",
        edit("proxmox.yaml", '    nvidia_driver: "550.127.05"', "    # nvidia_driver unknown"),
        [
            G
            + (
                ": containers.201.gpus: the container uses node gpu1's NVIDIA driver and needs "
                "user-space libraries of the same version: set nodes.gpu1.nvidia_driver in "
                "ai-lab/proxmox.yaml (nvidia-smi on the node shows it)"
            )
        ],
    ),
    (
        "gpu_container_on_alpine",
        edit("guests.yaml", OLLAMA_TYPE, OLLAMA_TYPE.replace("debian", "alpine")),
        [
            G
            + (
                ": containers.201.os_template.type: GPU containers need type debian or ubuntu, "
                "got 'alpine': Phoenix installs the NVIDIA user-space libraries there with apt, "
                "and they need glibc"
            )
        ],
    ),
    (
        "gpu_stack_on_a_vm_without_a_gpu",
        edit(
            "guests.yaml",
            "    gpus: [rtx4090]               # cloud-init installs the NVIDIA driver and "
            "Container Toolkit\n",
            "",
        ),
        [
            G
            + (
                ": vms.1101.stacks.0: stack 'vllm' reserves a GPU (service vllm of "
                "stacks/vllm/compose.yaml), but vllm has none; give it one of nodes.gpu1.gpus in "
                "ai-lab/proxmox.yaml with gpus: [<name>]"
            )
        ],
    ),
    (
        "gpu_reservation_without_capabilities",
        edit(VLLM_COMPOSE, "              capabilities: [gpu]\n", ""),
        [
            S
            + (
                ": stacks.vllm.compose_file: compose file stacks/vllm/compose.yaml: "
                "services.vllm.deploy.resources.reservations.devices.0 needs capabilities, like "
                "[gpu]: Docker refuses a device request without them"
            )
        ],
    ),
    (
        "gpu_reservation_with_count_and_device_ids",
        edit(VLLM_COMPOSE, "count: all", 'count: all\n              device_ids: ["0"]'),
        [
            S
            + (
                ": stacks.vllm.compose_file: compose file stacks/vllm/compose.yaml: "
                "services.vllm.deploy.resources.reservations.devices.0 gives both count and "
                "device_ids; Compose takes one or the other"
            )
        ],
    ),
    (
        "two_gpus_at_one_pci_address",
        edit("proxmox.yaml", '"0000:02:00.0"', '"0000:01:00.0"'),
        [
            P
            + (
                ": nodes.gpu1.gpus: rtx4090 and rtx3090 have the same pci_address 0000:01:00.0; "
                "a GPU is declared once"
            )
        ],
    ),
    (
        "gpu_pci_address_without_its_domain",
        edit("proxmox.yaml", '"0000:02:00.0"', '"02:00.0"'),
        [
            P
            + (
                ": nodes.gpu1.gpus.rtx3090.pci_address: '02:00.0' is not a valid PCI address: "
                "domain:bus:device.function as `lspci -D` prints it, like 0000:01:00.0"
            )
        ],
    ),
    (
        "gpu_listed_twice",
        edit("guests.yaml", "gpus: [rtx3090]", "gpus: [rtx3090, rtx3090]"),
        [G + ": containers.201.gpus: GPU 'rtx3090' is listed twice"],
    ),
]


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [pytest.param(mutation, expected, id=name) for name, mutation, expected in CASES],
)
def test_fails_when(lab: Path, mutation: Mutation, expected: list[str]) -> None:
    # GIVEN the AI lab with one GPU mistake
    mutation(lab)
    # WHEN the fleet loads THEN exactly these problems are reported, in this order
    assert problems(lab) == expected


def test_every_gpu_rule_has_a_case() -> None:
    from fleet.rules import gpu

    rules = [name for name in dir(gpu) if name.startswith(("gpu_", "gpus_"))]
    rules = [name for name in rules if callable(getattr(gpu, name)) and name != "_gpu_guests"]
    assert sorted(rules) == [
        "gpu_containers_allowed",
        "gpu_stacks_have_a_gpu",
        "gpu_vms_use_q35",
        "gpus_not_shared_at_boot",
        "gpus_on_their_node",
    ]
    assert len(CASES) >= len(rules) + 4  # containers_allowed alone has three


VALID: list[tuple[str, Mutation]] = [
    ("ai_lab_as_shipped", lambda root: None),
    (
        "a_vm_gpu_in_a_container_that_does_not_start_on_boot",
        edit("guests.yaml", "gpus: [rtx3090]", "gpus: [rtx4090]\n    on_boot: false"),
    ),
    ("two_containers_share_a_gpu", SECOND_CONTAINER),
    (
        "upper_case_pci_ids_as_some_tools_print_them",
        edit("proxmox.yaml", '"10de:2204"', '"10DE:2204"'),
    ),
    (
        "one_gpu_name_on_two_nodes_is_one_mapping",
        combine(
            SECOND_NODE,
            edit("proxmox.yaml", "      a100:", "      rtx4090:"),
            on_every_guest("gpu1"),
        ),
    ),
]


@pytest.mark.parametrize("mutation", [pytest.param(m, id=name) for name, m in VALID])
def test_loads_when_unusual_but_valid(lab: Path, mutation: Mutation) -> None:
    mutation(lab)
    load_fleet(lab)
