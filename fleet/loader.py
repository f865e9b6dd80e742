"""Load a config directory into a validated Fleet, or report every problem with file and field."""

from __future__ import annotations

import difflib
import os
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .checks import ConfigFiles, check_fleet
from .compose import ComposeError, ComposeFile, read_compose
from .documents import DocumentError, parse_document
from .errors import ConfigProblem, FleetConfigError
from .fleet import Fleet
from .gateway import GatewayConfig
from .guests import GuestsConfig
from .portainer import PortainerConfig
from .proxmox import ProxmoxConfig
from .stacks import StacksConfig

# One file per concern; proxmox and guests are required, the rest optional.
SECTIONS: dict[str, type[BaseModel]] = {
    "proxmox": ProxmoxConfig,
    "guests": GuestsConfig,
    "stacks": StacksConfig,
    "portainer": PortainerConfig,
    "gateway": GatewayConfig,
}
REQUIRED = ("proxmox", "guests")
EXTENSIONS = (".yaml", ".yml", ".json")

DEFAULT_CONFIG_DIR = Path("configs")
CONFIG_DIR_ENV = "PHOENIX_CONFIG_DIR"


def config_dir_from_env() -> Path:
    """`$PHOENIX_CONFIG_DIR`, else `configs/`."""
    return Path(os.environ.get(CONFIG_DIR_ENV) or DEFAULT_CONFIG_DIR)


def load_fleet(config_dir: Path) -> Fleet:
    """Read and validate every config file in `config_dir`.

    Raises FleetConfigError listing every problem found; nothing is half-loaded.
    """
    if not config_dir.is_dir():
        raise FleetConfigError(
            [ConfigProblem(_display(config_dir), "", "config directory does not exist")]
        )
    problems: list[ConfigProblem] = []
    paths = _find_files(config_dir, problems)
    files = ConfigFiles(**{name: _display(path) for name, path in paths.items()})
    models: dict[str, BaseModel] = {}
    for name, model in SECTIONS.items():
        path = paths[name]
        if not path.exists():
            if name in REQUIRED:
                problems.append(ConfigProblem(_display(path), "", "missing: this file is required"))
            continue
        document = _parse(path, problems)
        if document is None:
            continue
        try:
            models[name] = model.model_validate(document)
        except ValidationError as error:
            problems.extend(_problems_from(error, _display(path), model))
    if problems:
        raise FleetConfigError(problems)

    stacks = typing.cast(StacksConfig, models.get("stacks", StacksConfig()))
    compose: dict[str, ComposeFile] = {}
    for name, stack in stacks.stacks.items():
        try:
            compose[name] = read_compose(config_dir, stack.compose_file)
        except ComposeError as error:
            problems.append(ConfigProblem(files.stacks, f"stacks.{name}.compose_file", str(error)))
    fleet = Fleet(
        proxmox=typing.cast(ProxmoxConfig, models["proxmox"]),
        guests=typing.cast(GuestsConfig, models["guests"]),
        stacks=stacks,
        portainer=typing.cast("PortainerConfig | None", models.get("portainer")),
        gateway=typing.cast("GatewayConfig | None", models.get("gateway")),
        compose=compose,
    )
    problems.extend(check_fleet(fleet, files))
    if problems:
        raise FleetConfigError(problems)
    return fleet


def _display(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _find_files(config_dir: Path, problems: list[ConfigProblem]) -> dict[str, Path]:
    """The file for each section (default name when absent); flags duplicates and strays."""
    found: dict[str, list[Path]] = {name: [] for name in SECTIONS}
    for path in sorted(config_dir.iterdir()):
        if not path.is_file() or path.suffix not in EXTENSIONS:
            continue
        if path.stem in found:
            found[path.stem].append(path)
        else:
            hint = _did_you_mean(path.stem, SECTIONS)
            problems.append(
                ConfigProblem(
                    _display(path),
                    "",
                    f"unknown config file{hint}; Phoenix reads {', '.join(f'{n}.yaml' for n in SECTIONS)}",
                )
            )
    for name, candidates in found.items():
        if len(candidates) > 1:
            problems.append(
                ConfigProblem(
                    _display(candidates[1]), "", f"{name} is also in {candidates[0].name}; keep one file"
                )
            )
    return {
        name: candidates[0] if candidates else config_dir / f"{name}.yaml"
        for name, candidates in found.items()
    }


def _parse(path: Path, problems: list[ConfigProblem]) -> dict[str, Any] | None:
    """The file's document, or None after recording why it cannot be read."""
    try:
        return parse_document(path)
    except DocumentError as error:
        problems.append(ConfigProblem(_display(path), "", str(error)))
        return None


def _problems_from(error: ValidationError, file: str, model: type[BaseModel]) -> list[ConfigProblem]:
    problems = []
    for detail in error.errors(include_url=False):
        loc = [part for part in detail["loc"] if part != "[key]"]
        message = detail["msg"].removeprefix("Value error, ")
        if detail["type"] == "extra_forbidden":
            allowed = _allowed_keys(model, loc[:-1])
            message = f"unknown key{_did_you_mean(str(loc[-1]), allowed)}"
            if allowed:
                message += f" (allowed: {', '.join(sorted(allowed))})"
        elif detail["type"] == "missing":
            message = "required"
        elif _is_scalar(detail.get("input")) and repr(detail["input"]) not in message:
            message = f"{message} (got {detail['input']!r})"
        problems.append(ConfigProblem(file, ".".join(str(part) for part in loc), message))
    return problems


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) and not isinstance(value, dict)


def _did_you_mean(word: str, choices: typing.Iterable[str]) -> str:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" {word!r}; did you mean {match[0]!r}?" if match else f" {word!r}"


def _allowed_keys(model: type[BaseModel], path: list[Any]) -> list[str]:
    """Field names of the model found by walking `path` down from `model`."""
    annotation: Any = model
    for part in path:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(part))
            if field is None:
                return []
            annotation = field.annotation
        elif typing.get_origin(annotation) is dict:
            annotation = typing.get_args(annotation)[1]
        elif typing.get_origin(annotation) is list:
            annotation = typing.get_args(annotation)[0]
        else:
            return []
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated[...] and Optional/Union down to the container or model inside."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            structured = [
                arg
                for arg in members
                if typing.get_origin(arg) in (dict, list)
                or (isinstance(arg, type) and issubclass(arg, BaseModel))
            ]
            annotation = (structured or members)[0]
        else:
            return annotation
