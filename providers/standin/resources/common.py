"""Validators, ids and world keys that several resource types share."""

from __future__ import annotations

import hashlib
import ipaddress
import re
import zlib
from typing import Any

from ..rules import Path, ProviderError, State
from ..validators import Validator, any_of, custom, matches

SDK_SOURCE = "bpg/terraform-provider-proxmox v0.111.1"

# proxmoxtf/resource/vm/validators.go VMIDValidator (containers use the same one).
VM_ID: Validator = custom(
    lambda v: v == -1 or 100 <= v <= 2147483647,
    "expected {key} to be in the range (100 - 2147483647), got {value}",
)

# proxmoxtf/resource/validators/file.go FileID: "" or <datastore>:[<content>/]<file>.
FILE_ID: Validator = custom(
    lambda v: v == "" or re.match(r"(?i)^[a-z\d\-_.]+:([a-z\d\-_]+/)?.+$", v) is not None,
    "expected {key} to be a valid file identifier (datastore-name:iso/some-file.img), got {value}",
)

# proxmoxtf/resource/validators/network.go MACAddress: "" or six hex pairs.
MAC_ADDRESS: Validator = custom(
    lambda v: v == "" or re.match(r"^[A-Fa-f0-9]{2}(:[A-Fa-f0-9]{2}){5}$", v) is not None,
    'expected "{key}" to be a valid MAC address (A0:B1:C2:D3:E4:F5), got "{value}"',
)

# proxmoxtf/resource/vm/validators.go HostnameValidator: empty, or a DNS name.
HOSTNAME: Validator = any_of(
    custom(lambda v: v == "", 'expected "{key}" to be an empty string, got {value}'),
    matches(
        r"^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*$",
        "must be a valid DNS name",
    ),
)

# validation.StringIsNotEmpty
NOT_EMPTY: Validator = custom(
    lambda v: v != "", 'expected "{key}" to not be an empty string, got {value}'
)

# validation.IsIPAddress (initialization.dns.servers elements)
IP_ADDRESS: Validator = custom(
    lambda v: _is_ip(v), 'expected {key} to contain a valid IP, got: "{value}"'
)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def guest_key(vm_id: Any) -> str | None:
    """World key of a VM or container (VMIDs are unique across a cluster)."""
    if vm_id is None or vm_id == -1:
        return None
    return f"guest/{int(vm_id)}"


def parse_node_slash_id(import_id: str) -> State:
    """VM and container importer: `<node>/<vmid>` (proxmoxtf/resource/vm/vm.go
    parseImportIDWithNodeName; the provider's message loses the id, as here)."""
    node, slash, vm_id = import_id.partition("/")
    if not slash:
        raise ProviderError("unexpected format of ID (), expected node/id")
    if not vm_id.isdigit():
        raise ProviderError(f'strconv.Atoi: parsing "{vm_id}": invalid syntax')
    return {"id": vm_id, "node_name": node, "vm_id": int(vm_id)}


def crc32_id(prefix: str, path: str) -> str:
    """The firewall resources' ids: `<prefix>-<crc32 of the API path>` (schema.HashString)."""
    return f"{prefix}-{zlib.crc32(path.encode())}"


def stable_mac(*parts: object) -> str:
    """A MAC address Proxmox could have generated (its BC:24:11 prefix), stable per guest."""
    digest = hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()
    return "BC:24:11:" + ":".join(digest[i : i + 2] for i in range(0, 6, 2)).upper()


def at(*steps: tuple[str, Any]) -> Path:
    """An attribute path from (kind, value) steps."""
    return tuple(steps)
