"""High availability (plugin framework, short names per ADR-007):
fwprovider/cluster/ha/resource_haresource.go `haResourceResource` (proxmox_haresource),
resource_hagroup.go `hagroupResource` (proxmox_hagroup, Proxmox VE 8 groups),
resource_harule.go `haruleResource` (proxmox_harule, Proxmox VE 9 rules), validators.go,
model_*.go, and proxmox/types/ha_resource_{id,state,type}.go.

Facts that shape plans: nothing on the HA resource or the group is RequiresReplace (the
provider updates the object named by the *prior* id, so Phoenix never changes an HA id in
place); a rule's `rule` and `type` are. Read fills every attribute back, so imports plan clean.
On the cluster an HA resource names a guest that must exist, goes when the guest is purged
(the VM's `purge_on_destroy`), and a rule lists only guests HA already manages.
"""

from __future__ import annotations

import copy
import re

from ..cty import UNKNOWN
from ..rules import Objects, ProviderError, ResourceRules, State
from ..validators import (
    Validator,
    fw_int_between,
    fw_length_at_least,
    fw_map,
    fw_one_of,
    fw_parse,
    fw_regex,
)
from .common import at, guest_key

_NAME = fw_regex(
    r"^[a-zA-Z][a-zA-Z0-9\-_.]*[a-zA-Z0-9]$",
    "must start with a letter, end with a letter or number, be composed of letters, numbers, "
    "'-', '_' and '.', and must be at least 2 characters long",
)
_COMMENT: tuple[Validator, ...] = (
    fw_length_at_least(1),
    fw_regex(r"^\S|^$", "must not start with whitespace"),
    fw_regex(r"\S$|^$", "must not end with whitespace"),
)
_NODES = fw_map(
    at_least=1,
    keys=fw_regex(
        r"^[a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?$", "must be a valid Proxmox node name"
    ),
    values=fw_int_between(0, 1000),
)
_STATES = {"started": "started", "enabled": "started", "stopped": "stopped"}
_STATES.update({"disabled": "disabled", "ignored": "ignored"})


def parse_resource_id(text: str) -> tuple[str, str]:
    """types.ParseHAResourceID: `vm:<id>` or `ct:<id>`, the id 100..999999999."""
    kind, colon, name = text.partition(":")
    if not colon:
        raise ValueError(f"'{text}' is not a valid HA resource identifier")
    if kind not in ("vm", "ct"):
        raise ValueError(f"illegal HA resource type '{kind}'")
    if not re.fullmatch(r"[+-]?\d+", name):
        raise ValueError(f"invalid {kind} HA resource name '{name}'")
    if not 100 <= int(name) <= 999_999_999:
        raise ValueError(f"invalid {kind} HA resource name '{name}': out of range")
    return kind, name


def _parse_state(text: str) -> str:
    if text not in _STATES:
        raise ValueError(f"illegal HA resource state '{text}'")
    return _STATES[text]


def _parse_type(text: str) -> str:
    if text not in ("vm", "ct"):
        raise ValueError(f"illegal HA resource type '{text}'")
    return text


# -- proxmox_haresource -----------------------------------------------------------------------


def _resource_key(state: State) -> str | None:
    """`@guest/<id>`: purging the guest removes it from HA (see _forget in server.py)."""
    sid = state.get("resource_id")
    if not isinstance(sid, str):
        return None
    try:
        _, name = parse_resource_id(sid)
    except ValueError:
        return None
    return f"ha/resource/{sid}@{guest_key(int(name))}"


def _resource_on_create(planned: State, objects: Objects) -> None:
    sid = str(planned.get("resource_id"))
    key = _resource_key(planned)
    summary = f"Could not create HA resource '{sid}'."
    if key is not None and key in objects:
        raise ProviderError(summary, f"resource ID '{sid}' already defined")
    group = planned.get("group")
    if objects and isinstance(group, str) and f"ha/group/{group}" not in objects:
        raise ProviderError(summary, f"HA group '{group}' does not exist")
    _, name = parse_resource_id(sid)
    if objects and guest_key(int(name)) not in objects:
        # Proxmox's own wording is not in the provider source; this says what it means.
        raise ProviderError(summary, f"guest {name} does not exist on the cluster")


def _resource_filled(planned: State) -> State:
    state = copy.deepcopy(planned)
    kind, _ = parse_resource_id(str(state["resource_id"]))
    state["id"] = state["resource_id"]
    if state.get("type") in (None, UNKNOWN):
        state["type"] = kind  # deduced from the resource id when unset
    state["state"] = _STATES.get(str(state.get("state")), "started")
    return state


def _resource_import(import_id: str) -> State:
    """ImportState: the HA resource id itself (`vm:100`), read back whole."""
    try:
        parse_resource_id(import_id)
    except ValueError as error:
        raise ProviderError(
            "Unexpected error parsing Proxmox HA resource identifier",
            f"Couldn't parse the Terraform resource ID into a valid HA resource identifier: "
            f"{error}",
        ) from None
    return {"id": import_id, "resource_id": import_id}


RESOURCE = ResourceRules(
    type_name="proxmox_haresource",
    source="fwprovider/cluster/ha/resource_haresource.go",
    legacy_type_system=False,
    defaults={"state": "started"},
    validators={
        "resource_id": (
            fw_parse(parse_resource_id, "value must be a valid HA resource identifier"),
        ),
        "state": (fw_parse(_parse_state, "value must be a valid HA resource state"),),
        "type": (fw_parse(_parse_type, "value must be a valid HA resource type"),),
        "comment": _COMMENT,
        "group": (_NAME,),
        "max_relocate": (fw_int_between(0, 10),),
        "max_restart": (fw_int_between(0, 10),),
    },
    fill_computed=_resource_filled,
    world_key=_resource_key,
    parse_import_id=_resource_import,
    on_create=_resource_on_create,
)


# -- proxmox_hagroup (Proxmox VE 8) -----------------------------------------------------------


def _group_key(state: State) -> str | None:
    group = state.get("group")
    return f"ha/group/{group}" if isinstance(group, str) else None


def _group_on_create(planned: State, objects: Objects) -> None:
    key = _group_key(planned)
    if key is not None and key in objects:
        group = planned.get("group")
        raise ProviderError(
            f"Could not create HA group '{group}'.", f"ha group '{group}' already defined"
        )


def _group_filled(planned: State) -> State:
    state = copy.deepcopy(planned)
    state["id"] = state["group"]
    return state


GROUP = ResourceRules(
    type_name="proxmox_hagroup",
    source="fwprovider/cluster/ha/resource_hagroup.go",
    legacy_type_system=False,
    defaults={"no_failback": False, "restricted": False},
    validators={"group": (_NAME,), "comment": _COMMENT, "nodes": (_NODES,)},
    fill_computed=_group_filled,
    world_key=_group_key,
    parse_import_id=lambda import_id: {"id": import_id, "group": import_id},
    on_create=_group_on_create,
)


# -- proxmox_harule (Proxmox VE 9) ------------------------------------------------------------

_MEMBER = fw_regex(r"^(vm|ct):\d+$", "must be in format type:id (e.g. vm:100, ct:101)")


def _rule_config(config: State) -> list[ProviderError]:
    """ValidateConfig: which attributes each rule type takes; setvalidator.SizeAtLeast(1)."""
    errors: list[ProviderError] = []
    resources = config.get("resources")
    if isinstance(resources, list) and not resources:
        errors.append(
            ProviderError(
                "Invalid Attribute Value",
                "Attribute resources set must contain at least 1 elements, got: 0",
                at(("attr", "resources")),
            )
        )
    kind = config.get("type")
    missing = 'The `{}` attribute is required when `type` is "{}".'
    invalid = 'The `{}` attribute is only valid when `type` is "{}".'
    if kind == "node-affinity":
        if config.get("nodes") is None:
            errors.append(_rule_error("Missing required attribute", missing, "nodes", kind))
        if config.get("affinity") is not None:
            errors.append(
                _rule_error(
                    "Invalid attribute combination", invalid, "affinity", "resource-affinity"
                )
            )
    elif kind == "resource-affinity":
        if config.get("affinity") is None:
            errors.append(_rule_error("Missing required attribute", missing, "affinity", kind))
        if config.get("nodes") is not None:
            errors.append(
                _rule_error("Invalid attribute combination", invalid, "nodes", "node-affinity")
            )
        if config.get("strict") is True:
            errors.append(
                _rule_error("Invalid Attribute Combination", invalid, "strict", "node-affinity")
            )
    return errors


def _rule_error(summary: str, template: str, name: str, kind: str) -> ProviderError:
    return ProviderError(summary, template.format(name, kind), at(("attr", name)))


def _rule_key(state: State) -> str | None:
    rule = state.get("rule")
    return f"ha/rule/{rule}" if isinstance(rule, str) else None


def _rule_on_create(planned: State, objects: Objects) -> None:
    rule = planned.get("rule")
    summary = "Unable to Create HA Rule"
    if _rule_key(planned) in objects:
        raise ProviderError(summary, f"Could not create HA rule '{rule}': rule already defined")
    managed = {
        key.split("/", 2)[2].split("@", 1)[0] for key in objects if key.startswith("ha/resource/")
    }
    for member in sorted(planned.get("resources") or []):
        if objects and member not in managed:
            # "The resources must already be managed by HA" (the schema's description).
            raise ProviderError(
                summary, f"Could not create HA rule '{rule}': {member} is not an HA resource"
            )


def _rule_filled(planned: State) -> State:
    state = copy.deepcopy(planned)
    state["id"] = state["rule"]
    state["resources"] = sorted(state.get("resources") or [])
    return state


RULE = ResourceRules(
    type_name="proxmox_harule",
    source="fwprovider/cluster/ha/resource_harule.go",
    legacy_type_system=False,
    defaults={"disable": False, "strict": False},
    force_new=frozenset({"rule", "type"}),
    validators={
        "rule": (_NAME,),
        "type": (fw_one_of("node-affinity", "resource-affinity"),),
        "comment": _COMMENT,
        "resources": (_MEMBER,),
        "nodes": (_NODES,),
        "affinity": (fw_one_of("positive", "negative"),),
    },
    check_config=_rule_config,
    fill_computed=_rule_filled,
    world_key=_rule_key,
    parse_import_id=lambda import_id: {"id": import_id, "rule": import_id},
    on_create=_rule_on_create,
)
