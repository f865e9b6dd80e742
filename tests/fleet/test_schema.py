"""The committed JSON Schema matches the models, documents every default, and fits the configs."""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from fleet.documents import load_yaml
from fleet.loader import SCHEMA_KEY
from fleet.messages import unwrap
from fleet.schema import (
    SCHEMA_DIR,
    _EditorSchema,
    file_name,
    render,
    section_schema,
    stale_files,
    write_all,
)
from fleet.sections import SECTIONS
from tests.conftest import ROOT


def test_committed_schemas_are_current() -> None:
    for section in SECTIONS:
        committed = (SCHEMA_DIR / file_name(section)).read_text(encoding="utf-8")
        assert committed == render(section), (
            f"schema/{file_name(section)} is stale: run `python -m fleet schema` and commit it"
        )


def test_fails_when_a_schema_file_is_stale_or_missing(tmp_path: Path) -> None:
    # GIVEN freshly written schemas, one edited by hand and one deleted
    write_all(tmp_path)
    edited = tmp_path / "guests.schema.json"
    edited.write_text(edited.read_text(encoding="utf-8").replace("VMs by VMID", "VMs"))
    (tmp_path / "gateway.schema.json").unlink()
    # WHEN checked THEN exactly those two are stale
    assert stale_files(tmp_path) == [edited, tmp_path / "gateway.schema.json"]


def test_schema_is_draft_07_for_yaml_language_server() -> None:
    for section in SECTIONS:
        text = render(section)
        assert json.loads(text)["$schema"] == "http://json-schema.org/draft-07/schema#"
        assert "$defs" not in text
        for match in re.finditer(r'\{"\$ref": "[^"]*"(, )?', json.dumps(json.loads(text))):
            assert match.group(1) is None, "a $ref with siblings is ignored by draft-07"


@pytest.mark.parametrize("section", SECTIONS, ids=lambda section: section.name)
def test_texts_for_editors_change_no_constraint(section: Any) -> None:
    # GIVEN pydantic's own schema of a file, and the one editors get (texts moved, lines
    # unwrapped, unions nested in pairs, `$schema` key added)
    raw = section.model.model_json_schema(
        schema_generator=_EditorSchema, mode="validation", ref_template="#/definitions/{model}"
    )
    edited = section_schema(section)
    del edited["properties"][SCHEMA_KEY]
    # THEN both accept and refuse exactly the same documents
    assert _constraints(edited) == _constraints(raw)


_TEXTS = ("description", "title", "default", "examples", "$schema")


def _constraints(node: Any) -> Any:
    """A schema without its texts, with `allOf: [X]` as X and nested `anyOf`s flattened."""
    if isinstance(node, list):
        return [_constraints(item) for item in node]
    if not isinstance(node, dict):
        return node
    kept = {key: value for key, value in node.items() if key not in _TEXTS}
    if list(kept) == ["allOf"] and len(kept["allOf"]) == 1:
        return _constraints(kept["allOf"][0])
    found: dict[str, Any] = {}
    for key, value in kept.items():
        if key in ("properties", "patternProperties", "definitions", "$defs"):
            named = {name: _constraints(item) for name, item in value.items()}
            found["definitions" if key == "$defs" else key] = named
        elif key == "anyOf":
            branches = [_constraints(item) for item in value]
            found[key] = [
                inner
                for branch in branches
                for inner in (branch["anyOf"] if list(branch) == ["anyOf"] else [branch])
            ]
        elif key in ("enum", "const"):
            found[key] = value
        else:
            found[key] = _constraints(value)
    return found


def test_rendering_is_deterministic() -> None:
    for section in SECTIONS:
        text = render(section)
        assert text == render(section)
        assert json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n" == text


def _models(model: type[BaseModel], seen: set[type[BaseModel]]) -> Iterator[type[BaseModel]]:
    if model in seen:
        return
    seen.add(model)
    yield model
    for info in model.model_fields.values():
        for inner in _inner_types(info.annotation):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                yield from _models(inner, seen)


def _inner_types(annotation: Any) -> Iterator[Any]:
    yield unwrap(annotation)
    for argument in typing.get_args(annotation):
        yield from _inner_types(argument)


ALL_MODELS = [model for section in SECTIONS for model in _models(section.model, set())]


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda model: model.__name__)
def test_every_field_is_documented_and_optional_ones_say_their_default(
    model: type[BaseModel],
) -> None:
    for name, info in model.model_fields.items():
        description = info.description or ""
        assert description, f"{model.__name__}.{name} has no docstring"
        if info.is_required():
            continue
        assert "Default:" in description, f"{model.__name__}.{name} does not document its default"
        # The default is described as behaviour, never as a bare "none".
        assert not re.search(r"Default: [Nn]one\.?$", description), f"{model.__name__}.{name}"


@pytest.mark.parametrize("section", SECTIONS, ids=lambda section: section.name)
def test_reference_config_names_its_schema_for_editors(section: Any) -> None:
    config = ROOT / "configs" / f"{section.name}.yaml"
    first_line = config.read_text(encoding="utf-8").splitlines()[0]
    assert first_line == f"# yaml-language-server: $schema=../schema/{file_name(section)}"
    assert (config.parent / "../schema" / file_name(section)).resolve().is_file()


class _SchemaWalker:
    """Just enough JSON Schema to check what an editor would flag in a config: types, required
    and unknown keys, key patterns, enums, patterns and bounds."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.root = schema

    def problems(self, value: Any, schema: dict[str, Any], where: str = "") -> list[str]:
        """What is wrong with `value` under `schema`, as `path: reason` lines."""
        if "$ref" in schema:
            name = schema["$ref"].removeprefix("#/definitions/")
            return self.problems(value, self.root["definitions"][name], where)
        if "allOf" in schema:
            rest = {key: item for key, item in schema.items() if key != "allOf"}
            parts = [*schema["allOf"], rest]
            return [problem for part in parts for problem in self.problems(value, part, where)]
        if "anyOf" in schema:
            tries = [self.problems(value, option, where) for option in schema["anyOf"]]
            return [] if any(not found for found in tries) else min(tries, key=len)
        found = self._type_problems(value, schema, where)
        if found:
            return found
        if "enum" in schema and value not in schema["enum"]:
            return [f"{where}: {value!r} not in enum"]
        if isinstance(value, str) and not re.search(schema.get("pattern", ""), value):
            return [f"{where}: {value!r} does not match {schema['pattern']}"]
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if number and not schema.get("minimum", value) <= value <= schema.get("maximum", value):
            return [f"{where}: {value} out of bounds"]
        if isinstance(value, dict):
            return self._object_problems(value, schema, where)
        if isinstance(value, list) and "items" in schema:
            return [
                problem
                for index, item in enumerate(value)
                for problem in self.problems(item, schema["items"], f"{where}.{index}")
            ]
        return []

    @staticmethod
    def _type_problems(value: Any, schema: dict[str, Any], where: str) -> list[str]:
        expected = schema.get("type")
        if expected is None:
            return []
        kinds: dict[str, type | tuple[type, ...]] = {
            "object": dict,
            "array": list,
            "string": str,
            "boolean": bool,
            "null": type(None),
            "integer": int,
            "number": (int, float),
        }
        names = expected if isinstance(expected, list) else [expected]
        numeric = ("integer", "number")
        fits = any(
            isinstance(value, kinds[name]) and not (name in numeric and isinstance(value, bool))
            for name in names
        )
        return [] if fits else [f"{where}: {value!r} is not {expected}"]

    def _object_problems(
        self, value: dict[Any, Any], schema: dict[str, Any], where: str
    ) -> list[str]:
        found = [
            f"{where}: missing {key}" for key in schema.get("required", []) if key not in value
        ]
        properties = schema.get("properties", {})
        patterns = schema.get("patternProperties", {})
        for raw_key, item in value.items():
            key = str(raw_key)  # editors see every key as text
            if key in properties:
                found += self.problems(item, properties[key], f"{where}.{key}")
                continue
            matching = [sub for pattern, sub in patterns.items() if re.search(pattern, key)]
            if matching:
                found += self.problems(item, matching[0], f"{where}.{key}")
            elif isinstance(schema.get("additionalProperties"), dict):
                found += self.problems(item, schema["additionalProperties"], f"{where}.{key}")
            elif schema.get("additionalProperties") is False:
                found.append(f"{where}: unknown key {key}")
        return found


def _reference(section_name: str) -> Any:
    return load_yaml((ROOT / "configs" / f"{section_name}.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("section", SECTIONS, ids=lambda section: section.name)
def test_reference_config_satisfies_its_schema(section: Any) -> None:
    schema = json.loads((SCHEMA_DIR / file_name(section)).read_text(encoding="utf-8"))
    assert _SchemaWalker(schema).problems(_reference(section.name), schema) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda doc: doc["vms"][1002].update(cors=2), ".vms.1002: unknown key cors"),
        (lambda doc: doc["vms"].update({99: doc["vms"][1002]}), ".vms: unknown key 99"),
        (lambda doc: doc["vms"][1002]["network"].update(ip="10.0.0.5"), ".vms.1002.network.ip"),
        (lambda doc: doc["vms"][1002].update(features=["dockr"]), ".vms.1002.features.0"),
        (lambda doc: doc["containers"][101].update(unprivileged="yes"), ".containers.101.unpriv"),
        (lambda doc: doc["templates"][9000].update(cores=0), ".templates.9000.cores"),
    ],
    ids=["unknown_key", "vmid_key", "ip_without_prefix", "feature", "yes_for_true", "zero_cores"],
)
def test_fails_when_an_editor_would_flag_the_mistake(change: Any, problem: str) -> None:
    # GIVEN the reference guests with one mistake the schema can see
    schema = json.loads((SCHEMA_DIR / "guests.schema.json").read_text(encoding="utf-8"))
    document = _reference("guests")
    change(document)
    # THEN the schema reports it
    found = _SchemaWalker(schema).problems(document, schema)
    assert any(line.startswith(problem) for line in found), found
