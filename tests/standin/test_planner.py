"""The stand-in's provider semantics in process: wire encoding, plans, validators, importers.

The Terraform-level behaviour is tested in tests/plans; these pin the rules it rests on.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgpack
import pytest

from providers.standin import cty, planner
from providers.standin.resources import RULES
from providers.standin.rules import ProviderError
from providers.standin.schema import load
from providers.standin.server import _fields
from tests.conftest import ROOT

VM = "proxmox_virtual_environment_vm"
CT = "proxmox_virtual_environment_container"
RULES_TYPE = "proxmox_virtual_environment_firewall_rules"


def plan(type_name: str, prior: dict[str, Any] | None, config: dict[str, Any]) -> Any:
    """Plan `config` over `prior` as Terraform would ask (proposed = config + prior computed)."""
    schema = load().resources[type_name]
    config = cty.conform(config, schema.cty_type)
    proposed = dict(config)
    if prior is not None:
        fields = _fields(type_name)
        for name, spec in fields.items():
            if spec.computed and proposed.get(name) is None:
                proposed[name] = prior.get(name)
    return planner.plan(RULES[type_name], _fields(type_name), prior, proposed, config)


def vm_config(**changes: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "node_name": "pve",
        "vm_id": 1002,
        "name": "drphoenix",
        "clone": [{"vm_id": 9000, "full": True}],
        "network_device": [{"bridge": "vmbr0", "model": "virtio"}],
        "started": True,
        "agent": [{"enabled": True, "timeout": "300s"}],
        "initialization": [{"ip_config": [{"ipv4": [{"address": "10.0.0.102/24"}]}]}],
    }
    config.update(changes)
    return config


def apply(type_name: str, planned: dict[str, Any]) -> dict[str, Any]:
    rules = RULES[type_name]
    assert rules.fill_computed is not None
    state: dict[str, Any] = planner.settle(rules.fill_computed(planned))
    return state


def test_values_round_trip_msgpack_with_unknowns_and_complete_objects() -> None:
    cty_type = ["object", {"a": "string", "b": ["list", "number"], "c": "bool"}]
    encoded = cty.encode({"a": cty.UNKNOWN, "b": [1, 2.5]}, cty_type)
    raw = msgpack.unpackb(encoded, raw=False)
    assert sorted(raw) == ["a", "b", "c"]  # every attribute present, the missing one null
    assert raw["c"] is None
    assert cty.decode(encoded, cty_type) == {"a": cty.UNKNOWN, "b": [1, 2.5], "c": None}


def test_refined_unknowns_from_terraform_decode_as_unknown() -> None:
    refined = msgpack.packb(msgpack.ExtType(12, b"\x81\x01\xc3"))
    assert cty.decode(refined, "string") is cty.UNKNOWN


def test_create_plans_defaults_and_unknown_computed_values() -> None:
    planned, replace = plan(VM, None, vm_config())
    assert replace == []
    assert planned["bios"] == "seabios"  # an SDK default
    assert planned["agent"][0]["type"] == "virtio"  # a default inside a block
    assert planned["network_device"][0]["mtu"] == 0  # inside an object attribute
    assert planned["network_device"][0]["mac_address"] is cty.UNKNOWN
    assert planned["ipv4_addresses"] is cty.UNKNOWN
    assert planned["id"] is cty.UNKNOWN


def test_apply_then_plan_again_is_the_prior_state() -> None:
    planned, _ = plan(VM, None, vm_config())
    state = apply(VM, planned)
    assert state["id"] == "1002"
    assert state["ipv4_addresses"] == [["127.0.0.1"], ["10.0.0.102"]]  # lo first, as the agent
    again, replace = plan(VM, state, vm_config())
    assert (again, replace) == (state, [])


def test_a_changed_clone_source_forces_replacement() -> None:
    state = apply(VM, plan(VM, None, vm_config())[0])
    planned, replace = plan(VM, state, vm_config(clone=[{"vm_id": 9001, "full": True}]))
    assert replace == [(("attr", "clone"), ("index", 0), ("attr", "vm_id"))]
    assert planned["id"] is cty.UNKNOWN  # a new VM: computed values are unknown again


def test_node_change_replaces_unless_migrate() -> None:
    state = apply(VM, plan(VM, None, vm_config())[0])
    _, replace = plan(VM, state, vm_config(node_name="pve2"))
    assert (("attr", "node_name"),) in replace
    _, replace = plan(VM, state, vm_config(node_name="pve2", migrate=True))
    assert replace == []


def test_in_place_nic_change_makes_agent_addresses_unknown() -> None:
    state = apply(VM, plan(VM, None, vm_config())[0])
    changed = vm_config(network_device=[{"bridge": "vmbr1", "model": "virtio"}])
    planned, replace = plan(VM, state, changed)
    assert replace == []
    assert planned["ipv4_addresses"] is cty.UNKNOWN
    # the MAC Proxmox assigned stays: it is computed inside the object attribute
    assert planned["network_device"][0]["mac_address"] == state["network_device"][0]["mac_address"]


def test_container_root_disk_shrink_replaces_growth_does_not() -> None:
    config = {
        "node_name": "pve",
        "vm_id": 101,
        "operating_system": [{"template_file_id": "local:vztmpl/debian.tar.zst"}],
        "disk": [{"datastore_id": "local-lvm", "size": 8}],
    }
    state = apply(CT, plan(CT, None, config)[0])
    assert plan(CT, state, {**config, "disk": [{"datastore_id": "local-lvm", "size": 16}]})[1] == []
    shrink = plan(CT, state, {**config, "disk": [{"datastore_id": "local-lvm", "size": 4}]})
    assert shrink[1] == [(("attr", "disk"),)]


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("vm_id", 99, "expected vm_id to be in the range (100 - 2147483647), got 99"),
        ("agent.timeout", "5 minutes", "expected value of timeout to be a duration"),
        ("cpu.type", "pentium9", "must be a valid custom CPU type"),
        ("name", "dr_phoenix", "must be a valid DNS name"),
        ("initialization.user_data_file_id", "snippets/x.yaml", "valid file identifier"),
    ],
)
def test_fails_when_a_vm_value_breaks_a_provider_validator(
    path: str, value: Any, message: str
) -> None:
    config = vm_config()
    parts = path.split(".")
    if len(parts) == 1:
        config[path] = value
    else:
        config.setdefault(parts[0], [{}])[0][parts[1]] = value
    config = cty.conform(config, load().resources[VM].cty_type)
    errors = planner.validate(RULES[VM], _fields(VM), config)
    assert any(message in error.summary for error in errors), [e.summary for e in errors]


def test_valid_vm_configuration_has_no_validator_errors() -> None:
    config = cty.conform(vm_config(), load().resources[VM].cty_type)
    assert planner.validate(RULES[VM], _fields(VM), config) == []


@pytest.mark.parametrize(
    ("type_name", "import_id", "expected"),
    [
        (VM, "pve/1002", {"id": "1002", "node_name": "pve", "vm_id": 1002}),
        (RULES_TYPE, "vm/pve/1002", {"node_name": "pve", "vm_id": 1002}),
        (RULES_TYPE, "container/pve/101", {"node_name": "pve", "container_id": 101}),
    ],
)
def test_import_ids_parse_as_the_provider_does(
    type_name: str, import_id: str, expected: dict[str, Any]
) -> None:
    parse = RULES[type_name].parse_import_id
    assert parse is not None
    assert parse(import_id) == expected


@pytest.mark.parametrize(
    ("type_name", "import_id", "message"),
    [
        (VM, "1002", "unexpected format of ID (), expected node/id"),
        (RULES_TYPE, "qemu/pve/1002", "invalid import ID: qemu/pve/1002"),
        (RULES_TYPE, "vm/pve/abc", "VM ID must be a number"),
    ],
)
def test_fails_when_an_import_id_is_malformed(type_name: str, import_id: str, message: str) -> None:
    parse = RULES[type_name].parse_import_id
    assert parse is not None
    with pytest.raises(ProviderError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse(import_id)


def test_the_plugin_refuses_to_run_outside_terraform(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TF_PLUGIN_MAGIC_COOKIE"}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "providers.standin"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "Terraform starts it" in result.stderr


MAPPING = "proxmox_hardware_mapping_pci"


def mapping_config(**entry: Any) -> dict[str, Any]:
    return {
        "name": "rtx4090",
        "map": [{"node": "pve", "path": "0000:01:00.0", "id": "10de:2684", **entry}],
    }


def test_pci_mapping_plans_its_default_and_keeps_its_name_as_id() -> None:
    planned, replace = plan(MAPPING, None, mapping_config())
    assert (planned["mediated_devices"], planned["id"], replace) == (False, cty.UNKNOWN, [])
    state = apply(MAPPING, planned)
    assert state["id"] == "rtx4090"
    assert plan(MAPPING, state, mapping_config()) == (state, [])


def test_a_pci_mapping_is_updated_in_place_never_replaced() -> None:
    state = apply(MAPPING, plan(MAPPING, None, mapping_config())[0])
    moved = mapping_config(path="0000:02:00.0", iommu_group=14)
    assert plan(MAPPING, state, {**moved, "name": "gpu0"})[1] == []


@pytest.mark.parametrize(
    ("entry", "detail"),
    [
        (
            {"id": "10de2684"},
            "Attribute map[Value].id value must be a valid hardware mapping device ID, e.g. "
            '"8086:5916", got: "10de2684"',
        ),
        (
            {"subsystem_id": "10de:16"},
            "Attribute map[Value].subsystem_id value must be a valid hardware mapping device "
            'ID, e.g. "8086:5916", got: "10de:16"',
        ),
        (
            {"path": "01:00.0"},
            "Attribute map[Value].path not a valid Linux device path for hardware mapping of "
            'type "pci", got: "01:00.0"',
        ),
        (
            {"path": "0000:0A:00.0"},
            "Attribute map[Value].path not a valid Linux device path for hardware mapping of "
            'type "pci", got: "0000:0A:00.0"',
        ),
        (
            {"comment": "gpu, slot 1"},
            'Attribute map[Value].comment must not contain commas "," or equals signs "=" as '
            "these are used as separators in the Proxmox VE API property string format, got: "
            '"gpu, slot 1"',
        ),
    ],
)
def test_fails_when_a_pci_mapping_breaks_a_provider_validator(
    entry: dict[str, Any], detail: str
) -> None:
    config = cty.conform(mapping_config(**entry), load().resources[MAPPING].cty_type)
    errors = planner.validate(RULES[MAPPING], _fields(MAPPING), config)
    assert [(e.summary, e.detail) for e in errors] == [("Invalid Attribute Value Match", detail)]


def test_fails_when_a_container_passes_through_an_empty_device_path() -> None:
    config = cty.conform(
        {"node_name": "pve", "device_passthrough": [{"path": ""}]}, load().resources[CT].cty_type
    )
    errors = planner.validate(RULES[CT], _fields(CT), config)
    assert [e.summary for e in errors] == ['expected "path" to not be an empty string, got ']


def test_adding_a_gpu_to_a_vm_is_an_in_place_change() -> None:
    # GIVEN a running VM WHEN a mapped GPU and q35 are added THEN Terraform updates it in place
    state = apply(VM, plan(VM, None, vm_config())[0])
    gpu = [{"device": "hostpci0", "mapping": "rtx4090", "pcie": True, "rombar": True}]
    planned, replace = plan(VM, state, vm_config(hostpci=gpu, machine="q35"))
    assert replace == []
    assert planned["hostpci"][0]["mapping"] == "rtx4090"
