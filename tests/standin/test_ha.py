"""The stand-in's HA resources: the provider's validators with the plugin framework's wording,
its plan (defaults, what forces a replacement), importers, and what Proxmox refuses."""

from __future__ import annotations

from typing import Any

import pytest

from providers.standin import cty, planner
from providers.standin.resources import RULES
from providers.standin.resources.ha import parse_resource_id
from providers.standin.rules import ProviderError
from providers.standin.schema import load
from providers.standin.server import _fields

from .test_planner import plan

HA = "proxmox_haresource"
GROUP = "proxmox_hagroup"
RULE = "proxmox_harule"


def problems(type_name: str, config: dict[str, Any]) -> list[str]:
    config = cty.conform(config, load().resources[type_name].cty_type)
    errors = planner.validate(RULES[type_name], _fields(type_name), config)
    return [f"{error.summary} {error.detail}".strip() for error in errors]


def rule_config(**changes: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "rule": "management",
        "type": "node-affinity",
        "resources": ["vm:1001"],
        "nodes": {"pve1": 2, "pve2": 1},
    }
    config.update(changes)
    return config


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("vm:1001", ("vm", "1001")), ("ct:101", ("ct", "101"))],
)
def test_ha_resource_ids_parse_as_the_provider_does(text: str, parsed: tuple[str, str]) -> None:
    assert parse_resource_id(text) == parsed


@pytest.mark.parametrize(
    ("type_name", "config", "message"),
    [
        (
            HA,
            {"resource_id": "vm:42"},
            'Attribute resource_id value must be a valid HA resource identifier, got: "vm:42"',
        ),
        (
            HA,
            {"resource_id": "qemu:1001"},
            "value must be a valid HA resource identifier",
        ),
        (
            HA,
            {"resource_id": "vm:1001", "state": "running"},
            'Attribute state value must be a valid HA resource state, got: "running"',
        ),
        (
            HA,
            {"resource_id": "vm:1001", "max_restart": 11},
            "Attribute max_restart value must be between 0 and 10, got: 11",
        ),
        (
            GROUP,
            {"group": "x", "nodes": {"pve1": 1}},
            "Attribute group must start with a letter, end with a letter or number",
        ),
        (
            GROUP,
            {"group": "core", "nodes": {"pve_1": 1}},
            'Attribute nodes["pve_1"] must be a valid Proxmox node name, got: "pve_1"',
        ),
        (
            GROUP,
            {"group": "core", "nodes": {"pve1": 1001}},
            'Attribute nodes["pve1"] value must be between 0 and 1000, got: 1001',
        ),
        (
            RULE,
            rule_config(type="node-affinty"),
            'Attribute type value must be one of: ["node-affinity" "resource-affinity"], got: '
            '"node-affinty"',
        ),
        (
            RULE,
            rule_config(resources=["1001"]),
            'Attribute resources must be in format type:id (e.g. vm:100, ct:101), got: "1001"',
        ),
        (
            RULE,
            rule_config(nodes=None),
            "Missing required attribute The `nodes` attribute is required when `type` is "
            '"node-affinity".',
        ),
        (
            RULE,
            rule_config(affinity="positive"),
            "Invalid attribute combination The `affinity` attribute is only valid when `type` "
            'is "resource-affinity".',
        ),
    ],
)
def test_fails_when_an_ha_value_breaks_a_provider_validator(
    type_name: str, config: dict[str, Any], message: str
) -> None:
    found = problems(type_name, config)
    assert any(message in problem for problem in found), found


def test_valid_ha_configurations_have_no_validator_errors() -> None:
    assert problems(HA, {"resource_id": "ct:101", "state": "started", "max_relocate": 2}) == []
    assert problems(GROUP, {"group": "core", "nodes": {"pve1": 2, "pve2": 1}}) == []
    assert problems(RULE, rule_config()) == []


def test_an_ha_entry_plans_started_and_learns_its_type_on_apply() -> None:
    planned, replace = plan(HA, None, {"resource_id": "ct:101"})
    assert replace == []
    assert planned["state"] == "started"
    assert planned["type"] is cty.UNKNOWN
    rules = RULES[HA]
    assert rules.fill_computed is not None
    state = planner.settle(rules.fill_computed(planned))
    assert (state["id"], state["type"]) == ("ct:101", "ct")
    assert plan(HA, state, {"resource_id": "ct:101"}) == (state, [])


def test_a_renamed_rule_is_replaced_a_renamed_group_is_not() -> None:
    rules = RULES[RULE]
    assert rules.fill_computed is not None
    state = planner.settle(rules.fill_computed(plan(RULE, None, rule_config())[0]))
    assert plan(RULE, state, rule_config(rule="core"))[1] == [(("attr", "rule"),)]
    group = {"group": "core", "nodes": {"pve1": 1}}
    fill = RULES[GROUP].fill_computed
    assert fill is not None
    group_state = planner.settle(fill(plan(GROUP, None, group)[0]))
    assert plan(GROUP, group_state, {**group, "group": "edge"})[1] == []


def test_proxmox_refuses_ha_for_a_guest_that_does_not_exist() -> None:
    on_create = RULES[HA].on_create
    assert on_create is not None
    cluster: dict[str, object] = {"guest/101": {}}
    with pytest.raises(ProviderError) as refused:
        on_create({"resource_id": "vm:1001"}, cluster)
    assert refused.value.summary == "Could not create HA resource 'vm:1001'."
    on_create({"resource_id": "ct:101"}, cluster)  # the guest exists: accepted


def test_proxmox_refuses_an_entry_naming_a_missing_group_and_a_rule_over_unmanaged_guests() -> None:
    on_create = RULES[HA].on_create
    assert on_create is not None
    with pytest.raises(ProviderError) as refused:
        on_create({"resource_id": "vm:1001", "group": "core"}, {"guest/1001": {}})
    assert refused.value.detail == "HA group 'core' does not exist"
    rule_create = RULES[RULE].on_create
    assert rule_create is not None
    with pytest.raises(ProviderError) as refused:
        rule_create(rule_config(), {"guest/1001": {}})
    assert refused.value.detail.endswith("vm:1001 is not an HA resource")
    rule_create(rule_config(), {"guest/1001": {}, "ha/resource/vm:1001@guest/1001": {}})


def test_ha_imports_take_the_provider_ids() -> None:
    parse = RULES[HA].parse_import_id
    assert parse is not None
    assert parse("vm:1001") == {"id": "vm:1001", "resource_id": "vm:1001"}
    with pytest.raises(ProviderError) as refused:
        parse("1001")
    assert refused.value.detail.startswith("Couldn't parse the Terraform resource ID")
