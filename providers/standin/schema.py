"""The pinned provider schema: served to Terraform as it is, and read as cty types here."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tf.gen import tfplugin_pb2 as pb

from .cty import CtyType

PROVIDER = "registry.terraform.io/bpg/proxmox"
VERSION = "0.111.1"
SCHEMA_FILE = Path(__file__).resolve().parents[1] / f"bpg-proxmox-{VERSION}.schema.json"

_NESTING = {
    "single": pb.Schema.NestedBlock.SINGLE,
    "list": pb.Schema.NestedBlock.LIST,
    "set": pb.Schema.NestedBlock.SET,
    "map": pb.Schema.NestedBlock.MAP,
    "group": pb.Schema.NestedBlock.GROUP,
}
_OBJECT_NESTING = {
    "single": pb.Schema.Object.SINGLE,
    "list": pb.Schema.Object.LIST,
    "set": pb.Schema.Object.SET,
    "map": pb.Schema.Object.MAP,
}


@dataclass(frozen=True)
class ResourceSchema:
    """One resource type's schema document (`{"version": n, "block": {...}}`)."""

    type_name: str
    document: Mapping[str, Any]

    @property
    def version(self) -> int:
        return int(self.document.get("version", 0))

    @property
    def block(self) -> Mapping[str, Any]:
        block: Mapping[str, Any] = self.document["block"]
        return block

    @functools.cached_property
    def cty_type(self) -> CtyType:
        return block_type(self.block)

    def proto(self) -> pb.Schema:
        return pb.Schema(version=self.version, block=_proto_block(self.block))


@dataclass(frozen=True)
class ProviderSchema:
    """The provider block and every resource type of the pinned schema."""

    provider: ResourceSchema
    resources: Mapping[str, ResourceSchema]


@functools.cache
def load(path: Path = SCHEMA_FILE) -> ProviderSchema:
    """The pinned schema (read once per process)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    provider = document["provider_schemas"][PROVIDER]
    return ProviderSchema(
        provider=ResourceSchema("provider", provider["provider"]),
        resources={
            name: ResourceSchema(name, schema)
            for name, schema in sorted(provider.get("resource_schemas", {}).items())
        },
    )


def block_type(block: Mapping[str, Any]) -> CtyType:
    """The object type a block's values have."""
    attributes: dict[str, CtyType] = {
        name: attribute_type(attribute) for name, attribute in block.get("attributes", {}).items()
    }
    for name, nested in block.get("block_types", {}).items():
        inner = block_type(nested["block"])
        mode = nested["nesting_mode"]
        attributes[name] = inner if mode in ("single", "group") else [mode, inner]
    return ["object", attributes]


def attribute_type(attribute: Mapping[str, Any]) -> CtyType:
    """An attribute's type, including framework nested attributes."""
    if "type" in attribute:
        return attribute["type"]
    nested = attribute["nested_type"]
    inner = ["object", {n: attribute_type(a) for n, a in nested["attributes"].items()}]
    mode = nested["nesting_mode"]
    return inner if mode == "single" else [mode, inner]


def walk_attributes(
    block: Mapping[str, Any], prefix: str = ""
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every attribute of a block and its nested blocks as (dotted path, attribute schema)."""
    for name, attribute in block.get("attributes", {}).items():
        yield prefix + name, attribute
    for name, nested in block.get("block_types", {}).items():
        yield from walk_attributes(nested["block"], f"{prefix}{name}.")


def nested_blocks(block: Mapping[str, Any]) -> Mapping[str, Mapping[str, Any]]:
    """A block's nested block types by name."""
    nested: Mapping[str, Mapping[str, Any]] = block.get("block_types", {})
    return nested


def _proto_block(block: Mapping[str, Any]) -> pb.Schema.Block:
    return pb.Schema.Block(
        version=0,
        deprecated=bool(block.get("deprecated", False)),
        attributes=[
            _proto_attribute(name, attribute)
            for name, attribute in sorted(block.get("attributes", {}).items())
        ],
        block_types=[
            pb.Schema.NestedBlock(
                type_name=name,
                block=_proto_block(nested["block"]),
                nesting=_NESTING[nested["nesting_mode"]],
                min_items=int(nested.get("min_items", 0)),
                max_items=int(nested.get("max_items", 0)),
            )
            for name, nested in sorted(block.get("block_types", {}).items())
        ],
    )


def _proto_attribute(name: str, attribute: Mapping[str, Any]) -> pb.Schema.Attribute:
    proto = pb.Schema.Attribute(
        name=name,
        required=bool(attribute.get("required", False)),
        optional=bool(attribute.get("optional", False)),
        computed=bool(attribute.get("computed", False)),
        sensitive=bool(attribute.get("sensitive", False)),
        deprecated=bool(attribute.get("deprecated", False)),
    )
    if "type" in attribute:
        proto.type = json.dumps(attribute["type"], separators=(",", ":")).encode()
    else:
        nested = attribute["nested_type"]
        proto.nested_type.CopyFrom(
            pb.Schema.Object(
                attributes=[
                    _proto_attribute(n, a) for n, a in sorted(nested["attributes"].items())
                ],
                nesting=_OBJECT_NESTING[nested["nesting_mode"]],
            )
        )
    return proto
