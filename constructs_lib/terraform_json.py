"""What every synthesized Terraform element gets, whatever construct or stack made it.

Two rules of Terraform's JSON syntax that cdktf leaves to its users, applied at one place:

- **Text is literal.** Terraform evaluates `${...}` and `%{...}` in every string of a JSON
  configuration, keys included. Text from a fleet config (a description, a rule comment, a
  compose file, a shell command) must reach the provider as written, never as an expression:
  every `${` and `%{` is escaped (`$${`, `%%{`), except cdktf's own tokens, which become the
  references and functions Phoenix's code built. Escaping is by construction: no construct or
  stack escapes anything itself, so no field can be forgotten.
- **Object attributes are complete.** Some bpg/proxmox arguments look like blocks but are
  attributes of type `list(object)` (the SDK's `ConfigModeAttr`, e.g. the VM's
  `network_device`); in JSON each object must name every key of its type, unset ones as `null`.
  The attributes are found in the pinned provider schema, so a new one needs no code here.

`terraform_json_rules(scope)` registers the aspect once on the scope's stack; every Phoenix
construct and stack calls it.
"""

from __future__ import annotations

import functools
import json
import re
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsii
from constructs import Construct, IConstruct

from cdk import (
    Aspects,
    IAspect,
    TerraformDataSource,
    TerraformElement,
    TerraformOutput,
    TerraformProvider,
    TerraformResource,
    TerraformStack,
    TerraformVariable,
    Token,
)

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "providers" / "bpg-proxmox-0.111.1.schema.json"
PROVIDER = "registry.terraform.io/bpg/proxmox"
_MARKER_ID = "phoenix-terraform-json-rules"
# cdktf's placeholder for a value only known at synthesis: a reference or function call.
_TOKEN = re.compile(r"\$\{TfToken\[TOKEN\.\d+\]\}")
# Keys cdktf or Terraform read as structure, never as text from a config.
_STRUCTURAL = {"//", "depends_on", "lifecycle", "provider", "count", "for_each"}


def literal(text: str) -> str:
    """`text` as a Terraform template that evaluates to exactly `text`."""
    return text.replace("${", "$${").replace("%{", "%%{")


def literal_text(text: str) -> str:
    """`literal` for everything but cdktf tokens, which stay interpolations."""
    parts: list[str] = []
    position = 0
    for match in _TOKEN.finditer(text):
        parts.append(literal(text[position : match.start()]))
        parts.append(match.group(0))
        position = match.end()
    parts.append(literal(text[position:]))
    return "".join(parts)


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


# Scopes whose stack is known to apply the rules. Asking the stack costs three jsii round
# trips, and every construct asks: most pass their parent, often the stack itself.
_RULED: weakref.WeakSet[IConstruct] = weakref.WeakSet()


def terraform_json_rules(scope: IConstruct) -> None:
    """Make sure the stack holding `scope` applies `TerraformJsonRules` (once per stack)."""
    if scope in _RULED:
        return
    stack = TerraformStack.of(scope)
    if stack.node.try_find_child(_MARKER_ID) is None:
        Construct(stack, _MARKER_ID)
        Aspects.of(stack).add(TerraformJsonRules())
    _RULED.add(scope)


@jsii.implements(IAspect)
class TerraformJsonRules:
    """Literal text and complete object attributes for every element of a stack."""

    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, TerraformElement):
            return
        kind, body = _body(node)
        if body is None:
            return
        for key, value in body.items():
            if key not in _STRUCTURAL:
                _escape(node, key, value)
        if isinstance(node, TerraformResource):
            _complete_objects(node, kind, body)


def _escape(node: TerraformElement, path: str, value: Any) -> None:
    """Override every string under `path` that is not literal yet, leaf by leaf (cdktf
    appends to lists when a whole list is overridden)."""
    if isinstance(value, str):
        escaped = literal_text(value)
        if escaped != value:
            node.add_override(path, escaped)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _escape(node, f"{path}.{index}", item)
    elif isinstance(value, dict):
        for key, item in value.items():
            escaped_key = literal_text(key)
            if escaped_key == key and not _needs_escaping(item):
                continue
            if "." in key:  # an override path cannot name it; no Phoenix key has a dot
                raise ValueError(f"{path}: key {key!r} cannot be written as literal text")
            if escaped_key != key:
                node.add_override(f"{path}.{key}", None)  # None removes the key
            _escape(node, f"{path}.{escaped_key}", item)


def _needs_escaping(value: Any) -> bool:
    if isinstance(value, str):
        return literal_text(value) != value
    if isinstance(value, list):
        return any(_needs_escaping(item) for item in value)
    if isinstance(value, dict):
        return any(_needs_escaping(k) or _needs_escaping(v) for k, v in value.items())
    return False


def _body(node: TerraformElement) -> tuple[str, dict[str, Any] | None]:
    """The element's type (resources and data sources; else "") and own configuration, as it
    will be written (tokens unresolved)."""
    rendered = node.to_terraform()
    kind = ""
    if isinstance(node, (TerraformResource, TerraformDataSource)):
        (kinds,) = [rendered[key] for key in ("resource", "data") if key in rendered]
        ((kind, by_name),) = kinds.items()
        (body,) = by_name.values()
    elif isinstance(node, (TerraformOutput, TerraformVariable)):
        (section,) = [rendered[key] for key in ("output", "variable") if key in rendered]
        (body,) = section.values()
    elif isinstance(node, TerraformProvider):
        (configs,) = rendered["provider"].values()
        body = configs[0] if isinstance(configs, list) else configs
    else:
        return kind, None
    return kind, body if isinstance(body, dict) else None


def _complete_objects(node: TerraformResource, kind: str, body: dict[str, Any]) -> None:
    for path, keys in object_attributes(kind).items():
        for override_path, present in _objects_at(body, path.split(".")):
            missing = {key: _null() for key in keys if key not in present}
            if missing:  # one override per object: cdktf merges it key by key
                node.add_override(override_path, missing)


@functools.cache
def _null() -> Any:
    """Terraform's `null` as a cdktf value (one token serves every override: a jsii call each)."""
    return Token.null_value()


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
