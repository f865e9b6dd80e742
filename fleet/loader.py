"""Load a config directory into a validated Fleet, or report every problem with file and field."""

from __future__ import annotations

import os
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .compose import ComposeError, ComposeFile, read_compose
from .documents import DocumentError, parse_document
from .errors import ConfigProblem, FleetConfigError
from .fleet import Fleet
from .gateway import GatewayConfig
from .guests import GuestsConfig
from .hints import closest
from .invalid import InvalidParts
from .portainer import PortainerConfig
from .proxmox import ProxmoxConfig
from .rules import CheckContext, ConfigFiles, check_fleet
from .sections import EXTENSIONS, SECTION_NAMES, SECTIONS, empty_section, validate_section
from .stacks import StacksConfig
from .state import StateConfig

REQUIRED = tuple(section.name for section in SECTIONS if section.required)

DEFAULT_CONFIG_DIR = Path("configs")
CONFIG_DIR_ENV = "PHOENIX_CONFIG_DIR"
SCHEMA_KEY = "$schema"
"""A JSON config may name its schema for editors; Phoenix ignores the key."""


def config_dir_from_env() -> Path:
    """`$PHOENIX_CONFIG_DIR`, else `configs/`."""
    return Path(os.environ.get(CONFIG_DIR_ENV) or DEFAULT_CONFIG_DIR)


def load_fleet(config_dir: Path) -> Fleet:
    """Read and validate every config file in `config_dir`.

    Raises FleetConfigError listing every problem found; nothing is half-loaded. Each file is
    validated entry by entry, and the fleet-wide checks run on every entry that is valid, so one
    run reports as much as it can without repeating a mistake as its consequences.
    """
    if not config_dir.is_dir():
        problem = (
            "a file, not a config directory (give the directory that holds it)"
            if config_dir.exists()
            else "config directory does not exist"
        )
        raise FleetConfigError([ConfigProblem(_display(config_dir), "", problem)])
    problems: list[ConfigProblem] = []
    invalid = InvalidParts()
    paths = _find_files(config_dir, problems, invalid)
    files = ConfigFiles(
        **{name: _display(paths.get(name, config_dir / f"{name}.yaml")) for name in SECTION_NAMES}
    )
    configs: dict[str, BaseModel] = {}
    positions: dict[tuple[str, str], tuple[int, ...]] = {}
    for section in SECTIONS:
        path = paths.get(section.name)
        if section.name in invalid.sections:
            continue
        if path is None:
            if section.required:
                problems.append(
                    ConfigProblem(
                        getattr(files, section.name), "", "missing: this file is required"
                    )
                )
                invalid.sections.add(section.name)
            continue
        document = _parse(path, problems)
        if document is None:
            invalid.sections.add(section.name)
            continue
        outcome = validate_section(section, document)
        display = _display(path)
        problems.extend(
            ConfigProblem(display, ".".join(str(part) for part in location), message)
            for location, message in outcome.problems
        )
        invalid.record(section.name, outcome)
        positions.update(((section.name, name), kept) for name, kept in outcome.positions.items())
        configs[section.name] = outcome.config

    stacks = typing.cast(StacksConfig, configs.get("stacks", StacksConfig()))
    compose: dict[str, ComposeFile] = {}
    for name, stack in stacks.stacks.items():
        try:
            compose[name] = read_compose(config_dir, stack.compose_file)
        except ComposeError as error:
            invalid.compose.add(name)
            problems.append(ConfigProblem(files.stacks, f"stacks.{name}.compose_file", str(error)))
    fleet = Fleet(
        proxmox=typing.cast(ProxmoxConfig, configs.get("proxmox") or empty_section(ProxmoxConfig)),
        guests=typing.cast(GuestsConfig, configs.get("guests") or empty_section(GuestsConfig)),
        stacks=stacks,
        portainer=typing.cast("PortainerConfig | None", configs.get("portainer")),
        gateway=typing.cast("GatewayConfig | None", configs.get("gateway")),
        compose=compose,
        state=typing.cast(StateConfig, configs.get("state") or StateConfig()),
    )
    problems.extend(check_fleet(fleet, CheckContext(files, invalid, positions)))
    if problems:
        raise FleetConfigError(problems)
    return fleet


def _display(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    # Not resolved: a symlinked config file is reported under the name the user gave it.
    try:
        named = path.parent.resolve() / path.name
        return str(named.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _find_files(
    config_dir: Path, problems: list[ConfigProblem], invalid: InvalidParts
) -> dict[str, Path]:
    """The file of each section found. Anything that looks meant as a config file but would
    not be read (another case or extension, a directory, a broken symlink) is reported rather
    than skipped, so a section never vanishes silently."""
    found: dict[str, list[Path]] = {name: [] for name in SECTION_NAMES}
    for path in sorted(config_dir.iterdir()):
        problem = _unreadable_config(path)
        if problem is not None:
            problems.append(ConfigProblem(_display(path), "", problem))
            stem = path.name.split(".", 1)[0].lower()
            if stem in found and path.suffix.lower() in EXTENSIONS:
                invalid.sections.add(stem)  # meant as that section: don't also say "missing"
            continue
        if not path.is_file() or path.suffix not in EXTENSIONS:
            continue
        if path.stem in found:
            found[path.stem].append(path)
            continue
        match = closest(path.stem, SECTION_NAMES)
        hint = f"; did you mean {match}{path.suffix}?" if match else ""
        problems.append(
            ConfigProblem(
                _display(path),
                "",
                f"unknown config file{hint} (Phoenix reads {', '.join(SECTION_NAMES)}, "
                f"each as {', '.join(EXTENSIONS)})",
            )
        )
    chosen: dict[str, Path] = {}
    for name, candidates in found.items():
        if len(candidates) > 1:
            # Reading either would silently ignore the other: make the person choose.
            for extra in candidates[1:]:
                problems.append(
                    ConfigProblem(
                        _display(extra),
                        "",
                        f"{candidates[0].name} holds the same section; keep one of the two files",
                    )
                )
            invalid.sections.add(name)
        elif candidates:
            chosen[name] = candidates[0]
    return chosen


def _unreadable_config(path: Path) -> str | None:
    """Why `path`, named like a config file, would not be read as one; None otherwise."""
    name = path.name
    stem, _, rest = name.partition(".")
    suffix = f".{rest.lower()}" if rest else ""
    looks_like_config = suffix in EXTENSIONS or stem.lower() in SECTION_NAMES
    if not looks_like_config or name.startswith("."):
        return None
    if path.is_symlink() and not path.exists():
        return f"a symlink to {path.readlink()}, which does not exist"
    if path.is_dir():
        return "a directory, not a config file" if suffix in EXTENSIONS else None
    if not path.is_file():
        return "not a regular file"
    proper = f"{stem.lower()}{suffix}"
    if suffix in EXTENSIONS and name != proper and stem.lower() in SECTION_NAMES:
        return f"file names are case-sensitive; did you mean {proper}?"
    if suffix not in EXTENSIONS and stem.lower() in SECTION_NAMES:
        return (
            f"not read: Phoenix reads {stem.lower()}.yaml (or .yml, .json); rename it, or move "
            "it out of the config directory"
        )
    return None


def _parse(path: Path, problems: list[ConfigProblem]) -> dict[str, Any] | None:
    """The file's document without its `$schema` key, or None after recording why not."""
    try:
        document = parse_document(path)
    except DocumentError as error:
        problems.append(ConfigProblem(_display(path), "", str(error)))
        return None
    document.pop(SCHEMA_KEY, None)
    return document
