"""The config files Phoenix reads, and validating one of them entry by entry.

A mistake inside `vms.1002` makes only VM 1002 unusable: the other guests are still validated and
still reach the fleet-wide checks, so one run reports every problem it can.
"""

from __future__ import annotations

import functools
import typing
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError, create_model

from .gateway import GatewayConfig
from .guests import GuestsConfig
from .hints import shown
from .messages import Location, clean_location, describe
from .portainer import PortainerConfig
from .proxmox import ProxmoxConfig
from .stacks import StacksConfig
from .state import STATE_SECRETS_HINT, StateConfig


@dataclass(frozen=True)
class Section:
    """One config file: its name (file stem), model, and where its secrets go instead."""

    name: str
    model: type[BaseModel]
    required: bool
    secrets_hint: str


SECTIONS: tuple[Section, ...] = (
    Section(
        "proxmox",
        ProxmoxConfig,
        required=True,
        secrets_hint="Terraform reads PROXMOX_VE_API_TOKEN (or PROXMOX_VE_USERNAME and "
        "PROXMOX_VE_PASSWORD) and PROXMOX_VE_SSH_PRIVATE_KEY from the environment",
    ),
    Section(
        "guests",
        GuestsConfig,
        required=True,
        secrets_hint="guests log in with public keys (user.ssh_keys or ssh_keys)",
    ),
    Section(
        "stacks",
        StacksConfig,
        required=False,
        secrets_hint="reference them as env: {NAME: {from_env: VARIABLE}}",
    ),
    Section(
        "portainer",
        PortainerConfig,
        required=False,
        secrets_hint="the reconcile reads PORTAINER_PASSWORD or PORTAINER_API_KEY from the "
        "environment",
    ),
    Section(
        "gateway",
        GatewayConfig,
        required=False,
        secrets_hint="pass them through the environment of the machine that deploys",
    ),
    Section("state", StateConfig, required=False, secrets_hint=STATE_SECRETS_HINT),
)
SECTION_NAMES = tuple(section.name for section in SECTIONS)
EXTENSIONS = (".yaml", ".yml", ".json")

_KEYS_CONFIG = ConfigDict(str_strip_whitespace=True)


@dataclass
class SectionOutcome:
    """What validating one file produced: a config (complete, or partial when some parts were
    invalid), the problems, and which parts were dropped."""

    config: BaseModel
    problems: list[tuple[Location, str]] = field(default_factory=list)
    invalid_fields: set[str] = field(default_factory=set)
    """Top-level fields whose value was invalid as a whole."""
    invalid_entries: dict[str, dict[Any, Any]] = field(default_factory=dict)
    """Per entries field: the (validated) keys of invalid entries and their raw values."""
    invalid_keys: dict[str, dict[Any, Any]] = field(default_factory=dict)
    """Per entries field: keys that are themselves invalid (as written) and their raw values."""
    positions: dict[str, tuple[int, ...]] = field(default_factory=dict)
    """Per list field: the original index of each item kept."""


@dataclass(frozen=True)
class _Entries:
    """A top-level field holding independent entries: `dict[key, Model]` or `list[Model]`."""

    item: type[BaseModel]
    key: TypeAdapter[Any] | None  # None for a list


@functools.cache
def _entries_fields(model: type[BaseModel]) -> dict[str, _Entries]:
    found: dict[str, _Entries] = {}
    for name, info in model.model_fields.items():
        annotation = info.annotation
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin is dict and _is_model(args[1]):
            found[name] = _Entries(args[1], TypeAdapter(args[0], config=_KEYS_CONFIG))
        elif origin is list and _is_model(args[0]):
            found[name] = _Entries(args[0], None)
    return found


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


@functools.cache
def partial_model(model: type[BaseModel]) -> type[BaseModel]:
    """A subclass of `model` whose required fields may be absent: what a file still provides
    when some of its fields were invalid. Only ever used while collecting problems."""
    overrides: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if info.is_required():
            annotation: Any = info.annotation
            origin = typing.get_origin(annotation)
            default: Any = {} if origin is dict else [] if origin is list else None
            overrides[name] = (annotation | None, default)
    partial: type[BaseModel] = create_model(f"Partial{model.__name__}", __base__=model, **overrides)
    return partial


def empty_section(model: type[BaseModel]) -> BaseModel:
    """A stand-in for a file that is missing or cannot be read at all."""
    return partial_model(model).model_validate({})


def validate_section(section: Section, document: dict[str, Any]) -> SectionOutcome:
    """Validate a parsed file; entries of `dict`/`list` fields one by one, then the rest."""
    model = section.model
    outcome = SectionOutcome(config=empty_section(model))
    pruned = dict(document)
    for name, entries in _entries_fields(model).items():
        raw = document.get(name)
        if entries.key is not None and isinstance(raw, dict):
            pruned[name] = _validate_mapping(section, name, entries, raw, outcome)
        elif entries.key is None and isinstance(raw, list):
            pruned[name] = _validate_list(section, name, entries, raw, outcome)
    try:
        outcome.config = model.model_validate(pruned)
        return outcome
    except ValidationError as error:
        errors = error.errors(include_url=False)
    for detail in errors:
        top = detail["loc"][0] if detail["loc"] else None
        if (
            detail["type"] == "too_short"
            and len(detail["loc"]) == 1
            and (outcome.invalid_entries.get(str(top)) or outcome.invalid_keys.get(str(top)))
        ):
            continue  # emptied by dropping invalid entries, which are reported already
        _add(outcome, describe(detail, document, model, section.secrets_hint))
        if isinstance(top, str):
            outcome.invalid_fields.add(top)
    kept = {
        key: value
        for key, value in pruned.items()
        if key in model.model_fields and key not in outcome.invalid_fields
    }
    try:
        outcome.config = partial_model(model).model_validate(kept)
    except ValidationError:  # not expected: every kept field validated above
        outcome.invalid_fields.update(model.model_fields)
    outcome.invalid_fields &= set(model.model_fields)
    return outcome


def _validate_mapping(
    section: Section, name: str, entries: _Entries, raw: dict[Any, Any], outcome: SectionOutcome
) -> dict[Any, Any]:
    assert entries.key is not None
    kept: dict[Any, Any] = {}
    first_written: dict[Any, Any] = {}
    for raw_key, raw_value in raw.items():
        try:
            key = entries.key.validate_python(raw_key)
        except ValidationError as error:
            for detail in error.errors(include_url=False):
                _, message = describe(detail, raw_key, entries.item, section.secrets_hint)
                _add(outcome, ((name, raw_key), message))
            outcome.invalid_keys.setdefault(name, {})[raw_key] = raw_value
            # The entry is unusable, but its mistakes are still worth reporting now.
            _entry_problems(section, (name, raw_key), entries.item, raw_value, outcome)
            continue
        if key in first_written:
            first = shown(first_written[key])
            _add(outcome, ((name, raw_key), f"{shown(raw_key)} is the same key as {first}"))
            outcome.invalid_keys.setdefault(name, {})[raw_key] = raw_value
            continue
        first_written[key] = raw_key
        value = _entry_problems(section, (name, raw_key), entries.item, raw_value, outcome)
        if value is None:
            outcome.invalid_entries.setdefault(name, {})[key] = raw_value
        else:
            kept[key] = value
    return kept


def _validate_list(
    section: Section, name: str, entries: _Entries, raw: list[Any], outcome: SectionOutcome
) -> list[Any]:
    kept: list[Any] = []
    positions: list[int] = []
    for index, raw_value in enumerate(raw):
        value = _entry_problems(section, (name, index), entries.item, raw_value, outcome)
        if value is None:
            outcome.invalid_entries.setdefault(name, {})[index] = raw_value
        else:
            kept.append(value)
            positions.append(index)
    outcome.positions[name] = tuple(positions)
    return kept


def _entry_problems(
    section: Section,
    prefix: Location,
    item: type[BaseModel],
    raw_value: Any,
    outcome: SectionOutcome,
) -> BaseModel | None:
    """The validated entry, or None after recording its problems."""
    try:
        return item.model_validate(raw_value)
    except ValidationError as error:
        for detail in error.errors(include_url=False):
            location, message = describe(detail, raw_value, item, section.secrets_hint)
            _add(outcome, (prefix + location, message))
        return None


def _add(outcome: SectionOutcome, problem: tuple[Location, str]) -> None:
    # A value failing every member of a union yields one error per member at one place.
    if not any(location == problem[0] for location, _ in outcome.problems):
        outcome.problems.append(problem)


__all__ = [
    "EXTENSIONS",
    "SECTIONS",
    "SECTION_NAMES",
    "Section",
    "SectionOutcome",
    "clean_location",
    "empty_section",
    "partial_model",
    "validate_section",
]
