"""JSON Schema of each config file, generated from the models, for editors.

    python -m fleet schema            # (re)write schema/<file>.schema.json
    python -m fleet schema --check    # exit 1 when a committed schema is stale

The schema helps while typing (completion, hover docs, unknown keys); `python -m fleet validate`
remains the authority, since fleet-wide rules (references, addresses, roles) are beyond a schema.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from .loader import SCHEMA_KEY
from .sections import SECTIONS, Section

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "schema"
# Draft-07: the newest draft yaml-language-server (VS Code's YAML extension) validates with.
DRAFT = "http://json-schema.org/draft-07/schema#"


class _EditorSchema(GenerateJsonSchema):
    """Pydantic's schema, made as strict as the loader where it is looser by default."""

    def dict_schema(self, schema: core_schema.DictSchema) -> JsonSchemaValue:
        json_schema = super().dict_schema(schema)
        # Keys with a pattern (VMIDs, node names) become patternProperties; anything else is
        # a mistake, as the loader says.
        if "patternProperties" in json_schema:
            json_schema["additionalProperties"] = False
        return json_schema


def file_name(section: Section) -> str:
    """`guests.schema.json` for `guests`."""
    return f"{section.name}.schema.json"


def section_schema(section: Section) -> dict[str, Any]:
    """The JSON Schema of one config file."""
    schema = section.model.model_json_schema(
        schema_generator=_EditorSchema, mode="validation", ref_template="#/definitions/{model}"
    )
    definitions = schema.pop("$defs", None)
    if definitions is not None:
        schema["definitions"] = definitions
    _drop_property_titles(schema)
    _draft7_refs(schema)
    _own_texts_first(schema)
    _unwrap_lines(schema)
    _unions_in_pairs(schema)
    schema["$schema"] = DRAFT
    schema["title"] = f"Phoenix {section.name} config ({section.name}.yaml or {section.name}.json)"
    schema["properties"][SCHEMA_KEY] = {
        "type": "string",
        "description": "Where editors find this schema (JSON files); Phoenix ignores it.",
    }
    return schema


def render(section: Section) -> str:
    """The schema file's exact text: sorted keys, two-space indent, final newline."""
    return json.dumps(section_schema(section), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def stale_files(directory: Path = SCHEMA_DIR) -> list[Path]:
    """Schema files in `directory` that differ from what the models generate (or are missing)."""
    stale = []
    for section in SECTIONS:
        path = directory / file_name(section)
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current != render(section):
            stale.append(path)
    return stale


def write_all(directory: Path = SCHEMA_DIR) -> list[Path]:
    """Write every schema file; return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for section in SECTIONS:
        path = directory / file_name(section)
        path.write_text(render(section), encoding="utf-8")
        written.append(path)
    return written


def _drop_property_titles(node: Any) -> None:
    """Pydantic titles every property from its name ("Memory Mib"); descriptions say more."""
    if isinstance(node, dict):
        for value in (node.get("properties") or {}).values():
            if isinstance(value, dict):
                value.pop("title", None)
        for value in node.values():
            _drop_property_titles(value)
    elif isinstance(node, list):
        for value in node:
            _drop_property_titles(value)


def _draft7_refs(node: Any) -> None:
    """Draft-07 ignores keywords beside `$ref`; wrap the reference so descriptions and
    defaults next to it still count."""
    if isinstance(node, dict):
        if "$ref" in node and len(node) > 1:
            node["allOf"] = [{"$ref": node.pop("$ref")}]
        for value in node.values():
            _draft7_refs(value)
    elif isinstance(node, list):
        for value in node:
            _draft7_refs(value)


# Keywords whose subschemas describe the same value as the schema holding them.
_BRANCHES = ("allOf", "anyOf", "oneOf")


def _own_texts_first(schema: dict[str, Any]) -> None:
    """Make every value's own description the only one an editor can find for it.

    yaml-language-server (the YAML support of VS Code, Neovim, Helix, Zed and Emacs) hovers
    with the first description among the schemas that match a value, and it meets a
    referenced definition or a union branch before the field that holds it: `firewall` showed
    the GuestFirewall model's docstring and lost its "Default: ..." text. So a definition
    keeps no text of its own: each place that holds a value (a field, a dict entry, a list
    item) says what it is, the model's docstring where it has nothing better. Only
    annotations move; validation stays the same.
    """
    definitions: dict[str, Any] = schema.get("definitions", {})
    texts = {
        f"#/definitions/{name}": _take_texts(definition) for name, definition in definitions.items()
    }
    _describe_value(schema, texts)
    for definition in definitions.values():
        _describe_parts(definition, texts)


def _take_texts(node: dict[str, Any]) -> str | None:
    """Remove the descriptions of `node` and of its branches; the first one found."""
    found: str | None = node.pop("description", None)
    for branch in _branches(node):
        text = _take_texts(branch)
        if found is None:
            found = text
    return found


def _describe_value(node: dict[str, Any], texts: dict[str, str | None]) -> None:
    """`node` describes one value: it alone says what the value is, then its parts likewise."""
    own = node.get("description")
    from_branches = _take_texts(node)
    text = next(
        (item for item in (own, from_branches, _referenced_text(node, texts)) if item), None
    )
    if text is not None:
        if "$ref" in node:  # draft-07 ignores keywords beside $ref
            node["allOf"] = [{"$ref": node.pop("$ref")}]
        node["description"] = text
    _describe_parts(node, texts)


def _referenced_text(node: dict[str, Any], texts: dict[str, str | None]) -> str | None:
    """The text of the first definition `node` or its branches refer to."""
    if "$ref" in node:
        return texts.get(node["$ref"])
    return next(
        (text for branch in _branches(node) if (text := _referenced_text(branch, texts))), None
    )


def _describe_parts(node: dict[str, Any], texts: dict[str, str | None]) -> None:
    """Describe the values inside `node` (and inside its branches): fields, entries, items."""
    for branch in _branches(node):
        _describe_parts(branch, texts)
    parts: list[Any] = [
        *node.get("properties", {}).values(),
        *node.get("patternProperties", {}).values(),
        node.get("additionalProperties"),
        node.get("items"),
        *node.get("prefixItems", []),
    ]
    for part in parts:
        for value in part if isinstance(part, list) else [part]:
            if isinstance(value, dict):
                _describe_value(value, texts)


def _branches(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [branch for key in _BRANCHES for branch in node.get(key, []) if isinstance(branch, dict)]


def _unwrap_lines(schema: dict[str, Any]) -> None:
    """Docstrings wrap at 100 columns, and editors show each of those line breaks as a new
    paragraph (an indented line even as code): one line per paragraph instead."""
    for node in _subschemas(schema):
        text = node.get("description")
        if isinstance(text, str):
            paragraphs = re.split(r"\n\s*\n", text.strip())
            node["description"] = "\n\n".join(" ".join(part.split()) for part in paragraphs)


def _unions_in_pairs(schema: dict[str, Any]) -> None:
    """`anyOf: [a, b, c]` becomes `anyOf: [{anyOf: [a, b]}, c]`, which accepts the same values.

    Hovering a value that matches one branch of a union of three or more, yaml-language-server
    appends a stray `||` to the field's text (it joins the branches' empty descriptions). The
    last branch stays outside (`null` for an optional field), so its messages stay the same.
    """
    for node in _subschemas(schema):
        branches = node.get("anyOf")
        while isinstance(branches, list) and len(branches) > 2:
            first: dict[str, Any] = {"anyOf": branches[:-1]}
            node["anyOf"] = [first, branches[-1]]
            node, branches = first, first["anyOf"]


def _subschemas(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """`node` and every schema inside it (not the values in `default`, `enum` and the like)."""
    yield node
    for key, value in node.items():
        if key in ("properties", "patternProperties", "definitions"):
            children = list(value.values())
        elif key in ("items", "additionalProperties", "not", "if", "then", "else"):
            children = value if isinstance(value, list) else [value]
        elif key in (*_BRANCHES, "prefixItems"):
            children = value
        else:
            continue
        for child in children:
            if isinstance(child, dict):
                yield from _subschemas(child)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the `schema` command."""
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 when a schema file is missing or stale",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=SCHEMA_DIR,
        help="directory of the schema files (default: schema/ of the project)",
    )


def run(args: argparse.Namespace) -> int:
    """Write or check the schema files."""
    directory: Path = args.output
    if args.check:
        stale = stale_files(directory)
        for path in stale:
            print(f"{path}: stale; run `python -m fleet schema`", file=sys.stderr)
        return 1 if stale else 0
    for path in write_all(directory):
        print(f"wrote {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m fleet.schema`: the same as `python -m fleet schema`."""
    parser = argparse.ArgumentParser(prog="python -m fleet.schema", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
