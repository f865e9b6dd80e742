"""Provider attribute paths in the fleet's own words: `memory[0].dedicated` is "memory"."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

# (type prefix, attribute path regex, what a reviewer calls it). Paths are dotted, with list
# indexes as numbers: `initialization.0.ip_config.0.ipv4.0.address`.
_SETTINGS: tuple[tuple[str, str, str], ...] = (
    ("", r"name", "name"),
    ("", r"vm_id", "VMID"),
    ("", r"node_name", "node"),
    ("", r"description", "description"),
    ("", r"tags(\.\d+)?", "tags"),
    ("", r"on_boot|start_on_boot", "start on boot"),
    ("", r"startup\.0\.\w+", "boot order"),
    ("", r"memory\.0\.dedicated", "memory (MiB)"),
    ("", r"memory\.0\.swap", "swap (MiB)"),
    ("", r"cpu\.0\.cores", "cores"),
    ("", r"cpu\.0\.type", "CPU type"),
    ("vm", r"disk\.\d+\.size", "disk (GiB)"),
    ("vm", r"disk\.\d+\.datastore_id", "disk storage"),
    ("container", r"disk\.0\.size", "root disk (GiB)"),
    ("container", r"disk\.0\.datastore_id", "root disk storage"),
    ("", r"initialization\.0\.ip_config\.0\.ipv4\.0\.address", "address"),
    ("", r"initialization\.0\.ip_config\.0\.ipv4\.0\.gateway", "gateway"),
    ("", r"initialization\.0\.dns\.0\.\w+(\.\d+)?", "DNS"),
    ("", r"initialization\.0\.hostname", "host name"),
    ("", r"initialization\.0\.user_data_file_id", "bootstrap snippet"),
    ("", r"initialization\.0\.user_account.*", "root keys"),
    ("", r"network_device\.0\.bridge|network_interface\.0\.bridge", "bridge"),
    ("", r"network_device\.0\.vlan_id|network_interface\.0\.vlan_id", "VLAN"),
    ("", r"network_device\.0\.mac_address|network_interface\.0\.mac_address", "MAC"),
    ("", r"network_device\.0\.firewall|network_interface\.0\.firewall", "NIC firewall"),
    ("", r"agent\.0\.timeout", "guest agent wait"),
    ("", r"clone\.0\.\w+", "template"),
    ("", r"migrate", "migrate on a node change"),
    ("", r"features\.0\.\w+(\.\d+)?", "LXC features"),
    ("", r"unprivileged", "unprivileged"),
    ("", r"mount_point.*", "bind mounts"),
    ("vm", r"hostpci.*", "GPUs"),
    ("vm", r"machine", "machine type"),
    ("container", r"device_passthrough.*", "GPU devices"),
    ("", r"operating_system.*", "OS template"),
    ("firewall", r"rule\..*", "firewall rules"),
    ("firewall", r"enabled", "firewall on"),
    ("firewall", r"input_policy", "inbound policy"),
    ("firewall", r"output_policy", "outbound policy"),
)
# Computed values that change because something else did: not worth a line.
_NOISE = re.compile(
    r"^(id|ipv4_addresses|ipv6_addresses|mac_addresses|network_interface_names|ipv4|ipv6)"
    r"(\..*)?$|\.path_in_datastore$|\.pos$|^file_format$"
)

# What forces a replacement, from Terraform's replace_paths.
_REASONS: tuple[tuple[str, str], ...] = (
    (r"vm_id", "its VMID changes (Proxmox cannot renumber a guest)"),
    (r"node_name", "it moves to another node and is not migrated"),
    (r"clone\..*", "its template changes"),
    (r"initialization\.0\.user_data_file_id", "its bootstrap snippet changes"),
    (r"initialization\.0\.user_account.*", "its root keys change"),
    (r"disk(\..*)?", "its root disk would shrink"),
    (r"operating_system.*", "its OS template changes"),
    (r"unprivileged", "its privilege changes"),
    (r"mount_point.*", "its bind mounts change"),
)


def kind_of(resource_type: str) -> str:
    if resource_type.endswith("_vm"):
        return "vm"
    if resource_type.endswith("_container"):
        return "container"
    if "firewall" in resource_type:
        return "firewall"
    return "other"


def setting(resource_type: str, path: str) -> str | None:
    """The reviewer's word for a changed attribute; None for computed noise."""
    if _NOISE.search(path):
        return None
    kind = kind_of(resource_type)
    for prefix, pattern, word in _SETTINGS:
        if prefix in ("", kind) and re.fullmatch(pattern, path):
            return word
    return path.split(".", 1)[0].replace("_", " ")


def reason(path: list[Any]) -> str:
    text = ".".join(str(part) for part in path)
    for pattern, words in _REASONS:
        if re.fullmatch(pattern, text):
            return words
    return f"{text} cannot change in place"


def flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted path, leaf value) of a planned resource's attributes."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from flatten(item, f"{prefix}{key}.")
    elif isinstance(value, list) and value and all(isinstance(i, (dict, list)) for i in value):
        for index, item in enumerate(value):
            yield from flatten(item, f"{prefix}{index}.")
    else:
        yield prefix.rstrip("."), value


def changed_settings(resource_type: str, before: Any, after: Any) -> dict[str, tuple[Any, Any]]:
    """Changed settings in the fleet's words, first before -> after value each."""
    old, new = dict(flatten(before or {})), dict(flatten(after or {}))
    changes: dict[str, tuple[Any, Any]] = {}
    for path in sorted(set(old) | set(new)):
        if old.get(path) == new.get(path) or (new.get(path) is None and path not in old):
            continue
        word = setting(resource_type, path)
        if word is not None and word not in changes:
            changes[word] = (old.get(path), new.get(path))
    return changes
