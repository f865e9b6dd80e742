"""Firewall resources (SDKv2): proxmoxtf/resource/firewall/options.go `Options()`,
firewall/rules.go `Rules()`, firewall/selector.go, and
proxmoxtf/resource/cluster/firewall/firewall.go `Firewall()`.

A guest's options and rules live in the guest's configuration on Proxmox: they exist while
the guest exists and go when it is destroyed. Nothing here is ForceNew.
"""

from __future__ import annotations

import copy

from ..rules import Objects, ProviderError, ResourceRules, State
from ..validators import matches, one_of
from .common import VM_ID, at, crc32_id, guest_key

POLICY = one_of("ACCEPT", "REJECT", "DROP")
LOG_LEVEL = one_of("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug", "nolog")


def _target(state: State) -> tuple[str, int] | None:
    """("qemu" or "lxc", id) of the guest a firewall resource belongs to."""
    if isinstance(state.get("vm_id"), int):
        return "qemu", state["vm_id"]
    if isinstance(state.get("container_id"), int):
        return "lxc", state["container_id"]
    return None


def _api_path(state: State) -> str:
    target = _target(state)
    node = state.get("node_name")
    if target is not None:
        return f"nodes/{node}/{target[0]}/{target[1]}"
    return f"nodes/{node}" if node else "cluster"


def _guest(state: State) -> str | None:
    target = _target(state)
    return guest_key(target[1]) if target else None


def _rules_key(state: State) -> str:
    """Where the stand-in keeps a target's rules; `@guest/<id>` makes them go with the guest."""
    guest = _guest(state)
    return f"rules/{_api_path(state)}" + (f"@{guest}" if guest else "")


def parse_guest_import_id(import_id: str, *, allow_node: bool) -> State:
    """optionsImport / RulesImport: `vm/<node>/<vm_id>`, `container/<node>/<id>` (rules also
    take `cluster` and `node/<node>`)."""
    kind, _, rest = import_id.partition("/")
    if allow_node and import_id == "cluster":
        return {"id": crc32_id("rule", "cluster/firewall/rules")}
    if allow_node and kind == "node":
        if not rest:
            raise ProviderError(f"invalid node import ID: node name cannot be empty in {import_id}")
        return {"node_name": rest}
    labels = {
        "vm": ("VM", "vm_id", "VM ID"),
        "container": ("container", "container_id", "container ID"),
    }
    if kind not in labels:
        expected = (
            "'cluster', 'vm/<node_name>/<vm_id>', or 'container/<node_name>/<container_id>'"
            if allow_node
            else "'vm/<node_name>/<vm_id>' or 'container/<node_name>/<container_id>'"
        )
        raise ProviderError(f"invalid import ID: {import_id} (expected: {expected})")
    label, attribute, id_label = labels[kind]
    node, slash, number = rest.partition("/")
    if not slash:
        raise ProviderError(
            f"invalid {label} import ID format: {import_id} "
            f"(expected: {kind}/<node_name>/<{attribute}>)"
        )
    if not node:
        raise ProviderError(f"invalid {label} import ID: node name cannot be empty in {import_id}")
    if not number.isdigit():
        raise ProviderError(
            f"invalid {label} import ID: {id_label} must be a number in {import_id}"
        )
    return {"node_name": node, attribute: int(number)}


def _exactly_one_target(config: State) -> list[ProviderError]:
    """Options: ExactlyOneOf vm_id / container_id (selector.go)."""
    present = [name for name in ("container_id", "vm_id") if config.get(name) is not None]
    if len(present) == 1:
        return []
    if not present:
        return [ProviderError('"vm_id": one of `container_id,vm_id` must be specified')]
    return [
        ProviderError(
            '"vm_id": only one of `container_id,vm_id` can be specified, but '
            "`container_id,vm_id` were specified."
        )
    ]


def _target_needs_node(config: State) -> list[ProviderError]:
    """Rules: vm_id and container_id are RequiredWith node_name (selector.go)."""
    return [
        ProviderError(
            f'"{name}": all of `{name},node_name` must be specified', path=at(("attr", name))
        )
        for name in ("container_id", "vm_id")
        if config.get(name) is not None and config.get("node_name") is None
    ]


def _options_filled(planned: State) -> State:
    state = copy.deepcopy(planned)
    state["id"] = crc32_id("options", f"{_api_path(state)}/firewall/options")
    return state


def _options_import_state(identity: State, objects: Objects) -> State:
    """optionsRead: the guest's options as Proxmox reports them."""
    stored = objects.get(f"options/{_api_path(identity)}@{_guest(identity)}")
    state = dict(stored or {})
    state.update(identity)
    return _options_filled(state)


def _options_after_apply(prior: State | None, new: State | None, objects: Objects) -> None:
    state = new or prior
    if state is None or _guest(state) is None:
        return
    key = f"options/{_api_path(state)}@{_guest(state)}"
    if new is None:
        objects.pop(key, None)  # Delete only forgets the resource; Proxmox keeps the options
    else:
        objects[key] = {
            k: v for k, v in new.items() if k not in ("node_name", "vm_id", "container_id")
        }


OPTIONS = ResourceRules(
    type_name="proxmox_virtual_environment_firewall_options",
    source="proxmoxtf/resource/firewall/options.go",
    defaults={
        "dhcp": False,
        "enabled": False,
        "input_policy": "DROP",
        "log_level_in": "nolog",
        "log_level_out": "nolog",
        "macfilter": True,
        "ndp": False,
        "output_policy": "ACCEPT",
        "radv": True,
    },
    validators={
        "vm_id": (VM_ID,),
        "container_id": (VM_ID,),
        "input_policy": (POLICY,),
        "output_policy": (POLICY,),
        "log_level_in": (LOG_LEVEL,),
        "log_level_out": (LOG_LEVEL,),
    },
    check_config=_exactly_one_target,
    fill_computed=_options_filled,
    world_key=_guest,
    owns_world_key=False,
    parse_import_id=lambda import_id: parse_guest_import_id(import_id, allow_node=False),
    import_state=_options_import_state,
    after_apply=_options_after_apply,
)


def _rules_filled(planned: State) -> State:
    state = copy.deepcopy(planned)
    state["id"] = crc32_id("rule", f"{_api_path(state)}/firewall/rules")
    for position, rule in enumerate(state.get("rule") or []):
        rule["pos"] = position
    return state


def _rules_on_create(planned: State, objects: Objects) -> None:
    """RulesCreate refuses a target that already has rules."""
    if objects.get(_rules_key(planned)):
        raise ProviderError("Existing rules detected. Aborting...")


def _rules_after_apply(prior: State | None, new: State | None, objects: Objects) -> None:
    if new is None:
        if prior is not None:
            objects.pop(_rules_key(prior), None)  # RulesDelete deletes the state's rules
        return
    objects[_rules_key(new)] = new.get("rule") or []


def _rules_import_state(identity: State, objects: Objects) -> State:
    """RulesRead: whatever rules the target has (possibly none), with their positions."""
    state = dict(identity)
    state["rule"] = copy.deepcopy(objects.get(_rules_key(identity)) or [])
    return _rules_filled(state)


RULES = ResourceRules(
    type_name="proxmox_virtual_environment_firewall_rules",
    source="proxmoxtf/resource/firewall/rules.go",
    defaults={
        "rule.comment": "",
        "rule.dest": "",
        "rule.dport": "",
        "rule.enabled": True,
        "rule.iface": "",
        "rule.log": "",
        "rule.macro": "",
        "rule.proto": "",
        "rule.security_group": "",
        "rule.source": "",
        "rule.sport": "",
    },
    validators={
        "vm_id": (VM_ID,),
        "container_id": (VM_ID,),
        "rule.action": (POLICY,),
        "rule.type": (one_of("in", "out", "forward", ignore_case=True),),
    },
    check_config=_target_needs_node,
    fill_computed=_rules_filled,
    world_key=_guest,
    owns_world_key=False,
    parse_import_id=lambda import_id: parse_guest_import_id(import_id, allow_node=True),
    import_state=_rules_import_state,
    on_create=_rules_on_create,
    after_apply=_rules_after_apply,
)


CLUSTER = ResourceRules(
    type_name="proxmox_virtual_environment_cluster_firewall",
    source="proxmoxtf/resource/cluster/firewall/firewall.go",
    defaults={
        "input_policy": "DROP",
        "output_policy": "ACCEPT",
        "forward_policy": "ACCEPT",
        "log_ratelimit.enabled": True,
        "log_ratelimit.burst": 5,
        "log_ratelimit.rate": "1/second",
    },
    validators={
        "input_policy": (POLICY,),
        "output_policy": (POLICY,),
        "forward_policy": (one_of("ACCEPT", "DROP"),),
        "log_ratelimit.rate": (
            matches(
                r"[1-9][0-9]*/(second|minute|hour|day)",
                "Must be a valid rate expression, e.g. '1/second'",
            ),
        ),
    },
    fill_computed=lambda planned: {**planned, "id": "cluster-firewall"},
    parse_import_id=lambda import_id: {"id": import_id},
    import_state=lambda identity, objects: {**(objects.get("cluster-firewall") or {}), **identity},
    after_apply=lambda prior, new, objects: (
        objects.update({"cluster-firewall": new}) if new is not None else None
    ),
)
