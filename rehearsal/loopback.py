"""A fleet's config moved onto loopback, so a rehearsal never reaches the real network.

Every private IPv4 address in the fleet's config files becomes the loopback address with
the same last three octets (10.0.0.102 -> 127.0.0.102, 192.168.1.5 -> 127.168.1.5), networks
included (10.0.0.0/24 -> 127.0.0.0/24). Public addresses (a DNS resolver, say) stay: nothing
in a rehearsal contacts them. Compose files are copied as they are.

The copy keeps its Terraform state locally, whatever `state.yaml` says: a rehearsal must never
write into (or lock) the team's real state in PostgreSQL or an object store.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
from pathlib import Path

_IPV4 = re.compile(r"(?<![\d.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_CONFIG_SUFFIXES = {".yaml", ".yml", ".json"}


def loopback_address(address: str) -> str:
    """127.b.c.d for a private a.b.c.d; anything else unchanged."""
    try:
        parsed = ipaddress.IPv4Address(address)
    except ValueError:
        return address
    if not parsed.is_private or parsed.is_loopback or parsed.is_link_local:
        return address
    return "127." + address.split(".", 1)[1]


def to_loopback(text: str) -> str:
    """`text` with every private IPv4 literal moved onto loopback."""
    return _IPV4.sub(lambda match: loopback_address(match.group(0)), text)


def copy_to_loopback(source: Path, target: Path) -> dict[str, str]:
    """Copy the config dir `source` to `target` with its addresses on loopback and its state
    local; returns the mapping used (real address -> loopback address) for what it changed."""
    shutil.copytree(source, target)
    for state in target.glob("state.*"):
        state.unlink()  # local state, next to the copy (see the module docstring)
    mapping: dict[str, str] = {}
    for path in sorted(target.iterdir()):
        if path.suffix.lower() not in _CONFIG_SUFFIXES or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        for match in _IPV4.finditer(text):
            moved = loopback_address(match.group(0))
            if moved != match.group(0):
                mapping[match.group(0)] = moved
        path.write_text(to_loopback(text), encoding="utf-8")
    return mapping
