#!/usr/bin/env python3
"""Reduce a `terraform providers schema -json` document to what Phoenix pins.

Keeps the provider block and the resource types Phoenix builds on, and drops
prose (descriptions) and any non-Terraform keys (those starting with `_`), so
the committed file holds only facts the binding generator reads.

Usage: prune_schema.py FULL_SCHEMA.json OUT.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

PROVIDER = "registry.terraform.io/bpg/proxmox"

# The resource types the constructs use; add one here, re-run, then regenerate bindings.
RESOURCES = (
    "proxmox_download_file",
    "proxmox_hagroup",
    "proxmox_hardware_mapping_pci",
    "proxmox_haresource",
    "proxmox_harule",
    "proxmox_virtual_environment_cluster_firewall",
    "proxmox_virtual_environment_container",
    "proxmox_virtual_environment_file",
    "proxmox_virtual_environment_firewall_options",
    "proxmox_virtual_environment_firewall_rules",
    "proxmox_virtual_environment_vm",
)

_PROSE = {"description", "description_kind", "deprecation_message"}


def _meta(node: dict[str, Any]) -> dict[str, Any]:
    """Drop prose and `_` keys from one schema object (never from a map of names)."""
    return {k: v for k, v in node.items() if not k.startswith("_") and k not in _PROSE}


def _attribute(attribute: dict[str, Any]) -> dict[str, Any]:
    cleaned = _meta(attribute)
    if "nested_type" in cleaned:  # plugin-framework nested attributes
        cleaned["nested_type"] = _block(cleaned["nested_type"])
    return cleaned


def _block(block: dict[str, Any]) -> dict[str, Any]:
    cleaned = _meta(block)
    if "attributes" in cleaned:
        cleaned["attributes"] = {name: _attribute(a) for name, a in cleaned["attributes"].items()}
    if "block_types" in cleaned:
        cleaned["block_types"] = {
            name: {**_meta(nested), "block": _block(nested["block"])}
            for name, nested in cleaned["block_types"].items()
        }
    return cleaned


def _schema(schema: dict[str, Any]) -> dict[str, Any]:
    return {**_meta(schema), "block": _block(schema["block"])}


def prune(document: dict[str, Any]) -> dict[str, Any]:
    provider = document["provider_schemas"][PROVIDER]
    resources = provider.get("resource_schemas", {})
    missing = [name for name in RESOURCES if name not in resources]
    if missing:
        raise SystemExit(f"schema lacks resource types: {', '.join(missing)}")
    return {
        "format_version": document.get("format_version", "1.0"),
        "provider_schemas": {
            PROVIDER: {
                "provider": _schema(provider["provider"]),
                "resource_schemas": {name: _schema(resources[name]) for name in RESOURCES},
            }
        },
    }


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with Path(argv[1]).open(encoding="utf-8") as source:
        pruned = prune(json.load(source))
    with Path(argv[2]).open("w", encoding="utf-8") as target:
        json.dump(pruned, target, indent=1, sort_keys=True)
        target.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
