"""Object-typed attributes written complete, as Terraform's JSON syntax requires.

Some bpg/proxmox arguments look like blocks but are attributes of type `list(object)` (the
SDK's `ConfigMode: SchemaConfigModeAttr`, e.g. the VM's `network_device`). HCL accepts block
syntax for them; JSON does not: each object must name every key of its type, unset ones as
`null`. cdktf drops Python `None`, so this aspect adds the missing keys as explicit nulls. It
finds such attributes in the pinned provider schema, so a new one needs no code here.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsii
from cdktf import Aspects, IAspect, TerraformResource, Token
from constructs import IConstruct

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "providers" / "bpg-proxmox-0.111.1.schema.json"
PROVIDER = "registry.terraform.io/bpg/proxmox"


@functools.cache
def object_attributes(resource_type: str) -> dict[str, tuple[str, ...]]:
    """Dotted paths (through nested blocks) of a resource's object-typed attributes, with the
    keys each object must carry. Empty for resource types the pinned schema lacks."""
    document = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    resources = document["provider_schemas"][PROVIDER]["resource_schemas"]
    schema = resources.get(resource_type)
    return _object_attributes(schema["block"]) if schema else {}


def _object_attributes(block: Mapping[str, Any], prefix: str = "") -> dict[str, tuple[str, ...]]:
    found: dict[str, tuple[str, ...]] = {}
    for name, attribute in block.get("attributes", {}).items():
        if attribute.get("computed") and not attribute.get("optional"):
            continue  # computed-only: never written
        object_type = _object_type(attribute.get("type"))
        if object_type is not None:
            found[prefix + name] = tuple(sorted(object_type))
    for name, nested in block.get("block_types", {}).items():
        found.update(_object_attributes(nested["block"], f"{prefix}{name}."))
    return found


def _object_type(cty_type: Any) -> dict[str, Any] | None:
    """The attribute types of an `object`, or of the objects in a list, set or map."""
    if not isinstance(cty_type, list):
        return None
    if cty_type[0] == "object":
        attributes: dict[str, Any] = cty_type[1]
        return attributes
    if cty_type[0] in ("list", "set", "map"):
        return _object_type(cty_type[1])
    return None


def complete_object_attributes(scope: IConstruct) -> None:
    """Complete the object-typed attributes of every resource in `scope` at synthesis."""
    Aspects.of(scope).add(CompleteObjectAttributes())


@jsii.implements(IAspect)
class CompleteObjectAttributes:
    """Adds `null` for every key an object-typed attribute's objects leave out."""

    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, TerraformResource):
            return
        paths = object_attributes(node.terraform_resource_type)
        if not paths:
            return
        rendered = node.to_terraform()["resource"][node.terraform_resource_type]
        (config,) = rendered.values()
        for path, keys in paths.items():
            for override_path, present in _objects_at(config, path.split(".")):
                for key in keys:
                    if key not in present:
                        node.add_override(f"{override_path}.{key}", Token.null_value())


def _objects_at(config: Any, parts: list[str], prefix: str = "") -> list[tuple[str, set[str]]]:
    """(override path, keys present) of each object a dotted path reaches in rendered config."""
    value = config.get(parts[0]) if isinstance(config, dict) else None
    here = f"{prefix}{parts[0]}"
    if value is None or isinstance(value, str):  # unset, or a token: nothing to complete
        return []
    items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
    found: list[tuple[str, set[str]]] = []
    for index, item in items:
        path = here if index is None else f"{here}.{index}"
        if not isinstance(item, dict):
            continue
        if len(parts) == 1:
            found.append((path, set(item)))
        else:
            found.extend(_objects_at(item, parts[1:], f"{path}."))
    return found
