"""proxmox_hardware_mapping_pci (plugin framework): fwprovider/cluster/hardwaremapping/
resource_pci.go `pciResource`, served under its short name (the long
`proxmox_virtual_environment_hardware_mapping_pci` is the same schema, deprecated).

Facts from the source: no attribute is RequiresReplace (a renamed mapping is updated in place,
under the new name); `mediated_devices` defaults to false; `id` is the name; the importer takes
the mapping's name and Read fills everything back (models.go `importFromAPI`).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from ..rules import Objects, Path, ProviderError, ResourceRules, State

# proxmox/types/hardwaremapping/device_id.go DeviceIDAttrValueRegEx
_DEVICE_ID = re.compile(r"^[0-9A-Fa-f]{4}:[0-9A-Fa-f]{4}$")
# fwprovider/types/hardwaremapping/path.go PathPCIValueRegEx (lower-case hex only)
_PCI_PATH = re.compile(r"^[a-f0-9]{4,}:[a-f0-9]{2}:[a-f0-9]{2}(\.[a-f0-9])?$")
# fwprovider/validators/hardware_mapping.go HardwareMappingDeviceIDValidatorErrMessage
_DEVICE_ID_MESSAGE = 'value must be a valid hardware mapping device ID, e.g. "8086:5916"'
# hardwaremapping/errors.go ErrResourceMessageInvalidPath(TypePCI)
_PATH_MESSAGE = 'not a valid Linux device path for hardware mapping of type "pci"'
# validators/hardware_mapping.go HardwareMappingMapCommentValidator
_MAP_COMMENT_MESSAGE = (
    'must not contain commas "," or equals signs "=" as these are used as separators in the '
    "Proxmox VE API property string format"
)


def world_key(state: State) -> str | None:
    name = state.get("name") or state.get("id")
    return f"mapping/pci/{name}" if isinstance(name, str) and name else None


def _invalid(path: str, description: str, value: Any) -> ProviderError:
    """validatordiag.InvalidAttributeValueMatchDiagnostic, as the framework words it."""
    return ProviderError(
        "Invalid Attribute Value Match",
        f'Attribute {path} {description}, got: "{value}"',
        _top(path),
    )


def _top(path: str) -> Path:
    """The top-level attribute of a framework path such as `map[Value].id`: elements of a set
    are addressed by value, which the stand-in does not spell."""
    return (("attr", re.split(r"[.\[]", path, maxsplit=1)[0]),)


def _comment_problems(
    path: str, value: Any, extra: tuple[tuple[str, str], ...] = ()
) -> list[ProviderError]:
    """shared.go resourceSchemaBaseAttrComment: not empty, no surrounding whitespace."""
    if not isinstance(value, str):
        return []
    problems: list[ProviderError] = []
    if len(value) < 1:
        problems.append(
            ProviderError(
                "Invalid Attribute Value Length",
                f"Attribute {path} string length must be at least 1, got: 0",
                _top(path),
            )
        )
    checks = (
        (r"^\S|^$", "must not start with whitespace"),
        (r"\S$|^$", "must not end with whitespace"),
        *extra,
    )
    for pattern, message in checks:
        if not re.search(pattern, value):
            problems.append(_invalid(path, message, value))
    return problems


def check_config(config: State) -> list[ProviderError]:
    """The schema's validators: device and subsystem ids, the PCI path, comments, and
    `map` SizeAtLeast(1)."""
    errors: list[ProviderError] = _comment_problems("comment", config.get("comment"))
    entries = config.get("map")
    if isinstance(entries, list) and not entries:
        errors.append(
            ProviderError(
                "Invalid Attribute Value",
                "Attribute map set must contain at least 1 elements, got: 0",
                (("attr", "map"),),
            )
        )
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        at = "map[Value]"
        for name in ("id", "subsystem_id"):
            value = entry.get(name)
            if isinstance(value, str) and not _DEVICE_ID.match(value):
                errors.append(_invalid(f"{at}.{name}", _DEVICE_ID_MESSAGE, value))
        path = entry.get("path")
        if isinstance(path, str) and not _PCI_PATH.match(path):
            errors.append(_invalid(f"{at}.path", _PATH_MESSAGE, path))
        errors += _comment_problems(
            f"{at}.comment", entry.get("comment"), ((r"^[^,=]*$", _MAP_COMMENT_MESSAGE),)
        )
    return errors


def on_create(planned: State, objects: Objects) -> None:
    """Proxmox refuses a mapping id that exists (the provider reports the API's error)."""
    key = world_key(planned)
    if key is not None and key in objects:
        raise ProviderError(
            f'Could not create PCI hardware mapping "{planned.get("name")}"',
            "received an HTTP 500 response - Reason: mapping "
            f"'{planned.get('name')}' already exists",
        )


def fill_computed(planned: State) -> State:
    state = copy.deepcopy(planned)
    state["id"] = state.get("name")  # Create: "keep both in sync since the name represents the ID"
    return state


def parse_import_id(import_id: str) -> State:
    """ImportState: the mapping's name is its id."""
    return {"id": import_id, "name": import_id}


RULES = ResourceRules(
    type_name="proxmox_hardware_mapping_pci",
    source="fwprovider/cluster/hardwaremapping/resource_pci.go",
    legacy_type_system=False,
    defaults={"mediated_devices": False},
    check_config=check_config,
    fill_computed=fill_computed,
    world_key=world_key,
    parse_import_id=parse_import_id,
    on_create=on_create,
)
