"""Hover in an editor shows each field's own documentation and default (README, "Editing
configs"), asked of the real yaml-language-server that VS Code, Neovim, Helix, Zed and Emacs run.

Every key of every config in `configs/` and `examples/` is hovered, and every key of a
document per config file that names every field of its models. The text expected comes from
the models: a field's docstring, or for a dict entry (a node, a network, a stack) the model's.
"""

from __future__ import annotations

import enum
import inspect
import json
import re
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import PydanticUndefined

from fleet.messages import unwrap
from fleet.schema import SCHEMA_DIR, file_name
from fleet.sections import SECTIONS, Section
from tests.conftest import ROOT
from tests.fleet.language_server import YamlLanguageServer

CONFIG_FILES = sorted(
    [*ROOT.glob("configs/*.yaml"), *ROOT.glob("examples/*/*.yaml")],
    key=lambda path: path.relative_to(ROOT),
)
_SECTIONS = {section.name: section for section in SECTIONS}
_INT_TAG = "tag:yaml.org,2002:int"


@dataclass(frozen=True)
class Key:
    """A key in a config file and the text hovering it must show."""

    where: str
    """Dotted path, e.g. `vms.1002.firewall`."""
    line: int
    character: int
    """0-based position, as LSP counts (UTF-16 code units)."""
    text: str
    field: tuple[str, str] | None
    """(model, field) for a model's field; None for a dict entry."""
    has_default: bool


@pytest.fixture(scope="module")
def server() -> Iterator[YamlLanguageServer]:
    try:
        language_server = YamlLanguageServer()
    except FileNotFoundError as error:
        pytest.fail(str(error))
    with language_server:
        yield language_server


@pytest.mark.parametrize(
    "config", CONFIG_FILES, ids=lambda path: str(path.relative_to(ROOT).with_suffix(""))
)
def test_hover_shows_each_fields_own_text_and_default(
    server: YamlLanguageServer, config: Path
) -> None:
    # GIVEN a config file as it is committed
    keys = config_keys(config.read_text(encoding="utf-8"), _SECTIONS[config.stem])
    assert keys
    # WHEN an editor hovers each key THEN it shows that key's own text, with its default
    wrong = _wrong_hovers(server, config, keys)
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("section", SECTIONS, ids=lambda section: section.name)
def test_hover_shows_the_own_text_of_every_field(
    server: YamlLanguageServer, section: Section, tmp_path: Path
) -> None:
    # GIVEN a document naming every field of every model of the file (values need not be
    # valid: hover works on what is being typed)
    document = tmp_path / f"{section.name}.yaml"
    schema = (SCHEMA_DIR / file_name(section)).resolve().as_uri()
    body = yaml.safe_dump(_every_field(section.model), sort_keys=False)
    document.write_text(f"# yaml-language-server: $schema={schema}\n{body}", encoding="utf-8")
    keys = config_keys(document.read_text(encoding="utf-8"), section)
    assert {key.field for key in keys if key.field} == _all_fields(section.model)
    # WHEN an editor hovers each key THEN it shows that key's own text, with its default
    wrong = _wrong_hovers(server, document, keys)
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    "config", CONFIG_FILES, ids=lambda path: str(path.relative_to(ROOT).with_suffix(""))
)
def test_committed_configs_show_no_problem_in_the_editor(
    server: YamlLanguageServer, config: Path
) -> None:
    assert server.diagnostics(config) == []


def test_fails_when_an_editor_sees_a_wrong_port_or_policy(
    server: YamlLanguageServer, tmp_path: Path
) -> None:
    # GIVEN the reference guests with a word for a port (a union of three) and a misspelt
    # policy (an enum whose text moved to its fields)
    text = (ROOT / "configs" / "guests.yaml").read_text(encoding="utf-8")
    schema = (SCHEMA_DIR / "guests.schema.json").resolve().as_uri()
    lines = [f"# yaml-language-server: $schema={schema}", *text.splitlines()[1:]]
    planted = set()
    for old, new in (
        ('dport: "6333"', "dport: https"),
        ("input_policy: DROP", "input_policy: DORP"),
    ):
        index = next(index for index, line in enumerate(lines) if old in line)
        lines[index] = lines[index].replace(old, new)
        planted.add(index)
    config = tmp_path / "guests.yaml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # WHEN opened in the editor THEN exactly those two lines are flagged
    flagged = {problem["range"]["start"]["line"] for problem in server.diagnostics(config)}
    assert flagged == planted


def test_fails_when_a_definition_keeps_its_models_text(
    server: YamlLanguageServer, tmp_path: Path
) -> None:
    # GIVEN the guests schema as it was before issue 21, where GuestFirewall kept its docstring
    schema = json.loads((SCHEMA_DIR / "guests.schema.json").read_text(encoding="utf-8"))
    schema["definitions"]["GuestFirewall"]["description"] = "The Proxmox firewall of one guest."
    (tmp_path / "guests.schema.json").write_text(json.dumps(schema), encoding="utf-8")
    config = tmp_path / "guests.yaml"
    config.write_text(
        "# yaml-language-server: $schema=guests.schema.json\n"
        "containers:\n  101:\n    name: web\n    firewall: {input_policy: DROP}\n",
        encoding="utf-8",
    )
    keys = config_keys(config.read_text(encoding="utf-8"), _SECTIONS["guests"])
    # WHEN hovered THEN `firewall` shows the model's text, not its own: the check says so
    assert _wrong_hovers(server, config, keys) == [
        "guests.yaml:5: containers.101.firewall: 'The Proxmox firewall of one guest.', "
        "not 'Guest firewall. Default: not managed (Proxmox leaves it off).'"
    ]


def shown_text(markdown: str) -> str:
    """The description part of a hover, as plain text on one line: without the title line,
    the list of allowed values, the schema's source line and the server's markdown escapes."""
    text = re.sub(r"\n*Source: \[[^\]]*\]\([^)]*\)\s*$", "", markdown)
    if text.startswith("#### "):
        text = text.partition("\n")[2]
    text = text.split("Allowed Values:")[0]
    text = re.sub(r"\\([\\`*_{}\[\]#+!])", r"\1", text)
    return " ".join(text.split())


def config_keys(text: str, section: Section) -> list[Key]:
    """Every key of a config file's text, with the text its hover must show."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    assert isinstance(root, yaml.MappingNode), "a config file is a mapping"
    lines = text.splitlines()
    return list(_model_keys(root, section.model, "", lines))


def _model_keys(
    node: yaml.MappingNode, model: type[BaseModel], where: str, lines: list[str]
) -> Iterator[Key]:
    for key, value in node.value:
        info = model.model_fields.get(key.value)
        assert info is not None, f"{where}{key.value} is not a field of {model.__name__}"
        text = info.description or ""
        field = (model.__name__, key.value)
        yield _key(key, f"{where}{key.value}", text, field, not info.is_required(), lines)
        yield from _value_keys(value, info.annotation, f"{where}{key.value}.", lines)


def _value_keys(node: yaml.Node, annotation: Any, where: str, lines: list[str]) -> Iterator[Key]:
    target = unwrap(annotation)
    origin, arguments = typing.get_origin(target), typing.get_args(target)
    if _is_model(target) and isinstance(node, yaml.MappingNode):
        yield from _model_keys(node, target, where, lines)
    elif origin is dict and isinstance(node, yaml.MappingNode):
        item = unwrap(arguments[1])
        for key, value in node.value:
            # The server hovers a key YAML reads as a number (a VMID) as that number, never
            # as its entry: no schema can give it a text.
            if _is_model(item) and key.tag != _INT_TAG:
                text = inspect.cleandoc(item.__doc__ or "")
                yield _key(key, f"{where}{key.value}", text, None, False, lines)
            yield from _value_keys(value, arguments[1], f"{where}{key.value}.", lines)
    elif origin in (list, set, frozenset, tuple) and isinstance(node, yaml.SequenceNode):
        for index, value in enumerate(node.value):
            yield from _value_keys(value, arguments[0], f"{where}{index}.", lines)


def _key(
    node: yaml.Node,
    where: str,
    text: str,
    field: tuple[str, str] | None,
    has_default: bool,
    lines: list[str],
) -> Key:
    # The pointer rests in the middle of the key: on its first character, right after a
    # nested mapping, the server still sees that mapping (its ranges include their end).
    mark, end = node.start_mark, node.end_mark
    middle = mark.column + (end.column - mark.column) // 2 if end.line == mark.line else mark.column
    before = lines[mark.line][:middle]
    character = len(before.encode("utf-16-le")) // 2
    return Key(where, mark.line, character, " ".join(text.split()), field, has_default)


def _wrong_hovers(server: YamlLanguageServer, path: Path, keys: list[Key]) -> list[str]:
    wrong = []
    for key in keys:
        shown = shown_text(server.hover(path, key.line, key.character))
        if shown != key.text or (key.has_default and "Default:" not in shown):
            wrong.append(f"{path.name}:{key.line + 1}: {key.where}: {shown!r}, not {key.text!r}")
    return wrong


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _all_fields(model: type[BaseModel]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    pending = [model]
    while pending:
        current = pending.pop()
        for name, info in current.model_fields.items():
            if (current.__name__, name) in found:
                continue
            found.add((current.__name__, name))
            pending += [inner for inner in _inner_types(info.annotation) if _is_model(inner)]
    return found


def _inner_types(annotation: Any) -> Iterator[Any]:
    yield unwrap(annotation)
    for argument in typing.get_args(annotation):
        yield from _inner_types(argument)


def _every_field(model: type[BaseModel]) -> dict[str, Any]:
    """A mapping that sets every field of `model`, and of the models inside it."""
    return {
        name: _sample(info.annotation, info.default) for name, info in model.model_fields.items()
    }


# Scalars tried in turn until one fits the field's type.
_SCALARS: tuple[Any, ...] = ("web", 1000, True, "10.0.0.5/24", "10.0.0.1", "https://example.com/a")


def _sample(annotation: Any, default: Any) -> Any:
    target = unwrap(annotation)
    origin, arguments = typing.get_origin(target), typing.get_args(target)
    if _is_model(target):
        return _every_field(target)
    if origin is dict:
        return {_fitting(arguments[0], None): _sample(arguments[1], None)}
    if origin in (list, set, frozenset, tuple):
        return [_sample(arguments[0], None)]
    return _fitting(annotation, default)


def _fitting(annotation: Any, default: Any) -> Any:
    """The field's default when it is a plain value, else the first of `_SCALARS` it takes."""
    if isinstance(default, enum.Enum):
        return default.value
    if default is not None and default is not PydanticUndefined:
        return default
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    for candidate in _SCALARS:
        try:
            adapter.validate_python(candidate)
        except ValidationError:
            continue
        return candidate
    return _SCALARS[0]
