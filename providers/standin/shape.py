"""A resource schema as a tree of fields, with what the planner needs to know of each."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .cty import CtyType
from .schema import attribute_type


@dataclass(frozen=True)
class Field:
    """One attribute or nested block.

    Attributes of object or object-collection type (an SDK `ConfigModeAttr` such as the VM's
    `network_device`) have `children` too, but Terraform treats them as one value.
    """

    name: str
    path: str
    """Dotted path without indexes, e.g. `agent.wait_for_ip.ipv4`."""
    cty_type: CtyType
    is_block: bool
    collection: str | None
    """`list`, `set` or `map` when the value holds several objects; None for one object or a
    primitive."""
    required: bool = False
    optional: bool = False
    computed: bool = False
    children: Mapping[str, Field] = field(default_factory=dict)

    @property
    def holds_objects(self) -> bool:
        return bool(self.children)


def fields_of(
    block: Mapping[str, Any], nested_computed: frozenset[str] = frozenset(), prefix: str = ""
) -> dict[str, Field]:
    """The fields of a schema block. `nested_computed` names the sub-attributes of object
    attributes that the provider computes (the schema's object types cannot say so)."""
    fields: dict[str, Field] = {}
    for name, attribute in block.get("attributes", {}).items():
        path = prefix + name
        cty_type = attribute_type(attribute)
        collection, element = _object_collection(cty_type)
        children = {}
        if element is not None:
            children = {
                child: Field(
                    name=child,
                    path=f"{path}.{child}",
                    cty_type=child_type,
                    is_block=False,
                    collection=None,
                    optional=True,
                    computed=f"{path}.{child}" in nested_computed,
                )
                for child, child_type in element[1].items()
            }
        fields[name] = Field(
            name=name,
            path=path,
            cty_type=cty_type,
            is_block=False,
            collection=collection,
            required=bool(attribute.get("required")),
            optional=bool(attribute.get("optional")),
            computed=bool(attribute.get("computed")),
            children=children,
        )
    for name, nested in block.get("block_types", {}).items():
        path = prefix + name
        mode = nested["nesting_mode"]
        fields[name] = Field(
            name=name,
            path=path,
            cty_type=None,
            is_block=True,
            collection=mode if mode in ("list", "set", "map") else None,
            optional=True,
            children=fields_of(nested["block"], nested_computed, f"{path}."),
        )
    return fields


def _object_collection(cty_type: CtyType) -> tuple[str | None, CtyType | None]:
    """(collection kind or None, object type) when `cty_type` holds objects, else (None, None)."""
    if isinstance(cty_type, list) and cty_type[0] == "object":
        return None, cty_type
    if (
        isinstance(cty_type, list)
        and cty_type[0] in ("list", "set", "map")
        and isinstance(cty_type[1], list)
        and cty_type[1][0] == "object"
    ):
        return cty_type[0], cty_type[1]
    return None, None


def elements(value: Any, collection: str | None) -> list[tuple[Any, Any]]:
    """(key, element) pairs of an object-holding value: indexes for lists and sets, keys for
    maps, a single `(None, value)` for one object."""
    if value is None or not isinstance(value, (list, dict)):
        return []
    if collection in ("list", "set") and isinstance(value, list):
        return list(enumerate(value))
    if collection == "map" and isinstance(value, dict):
        return sorted(value.items())
    return [(None, value)]
