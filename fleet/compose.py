"""Reading a stack's compose file: its exact bytes for Portainer, and the facts Phoenix checks."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .documents import DocumentError, kind_of, load_yaml
from .hints import shown
from .secrets import looks_secret, secret_name


class ComposeError(ValueError):
    """The compose file cannot be used; the message says why."""


@dataclass(frozen=True)
class ComposeFile:
    """A compose file as Portainer will receive it."""

    path: str
    """As declared in `stacks.yaml`, relative to the config directory."""
    content: str
    """Exact text, sent to Portainer unchanged."""
    sha256: str
    """Hex SHA-256 of the UTF-8 content; how changes are detected without refetching."""
    services: tuple[str, ...]
    """Service names, sorted."""
    published_ports: frozenset[int]
    """Host TCP ports the services publish (`ports:`); gateway routes may target them."""
    started_services: tuple[str, ...] = ()
    """The services `docker compose up` starts, sorted: those without `profiles` and not
    scaled to zero. Each must have a running container once the stack is up."""
    variables: frozenset[str] = frozenset()
    """Variables the file interpolates without a default (`${NAME}`, `$NAME`, `${NAME:?}`):
    each must be a stack variable, or Compose substitutes an empty string."""
    inline_secrets: tuple[str, ...] = ()
    """Where the file holds what looks like a literal secret (`services.db.environment.
    POSTGRES_PASSWORD`), rather than a `${VARIABLE}` the stack fills in."""
    gpu_services: tuple[str, ...] = ()
    """Services that reserve GPUs (`deploy.resources.reservations.devices` with driver nvidia
    or capability gpu), sorted: the stack needs a guest with a GPU."""


def read_compose(config_dir: Path, relative: str) -> ComposeFile:
    """Read and sanity-check a compose file. Raises ComposeError with a one-line reason."""
    if Path(relative).is_absolute() or ".." in Path(relative).parts:
        raise ComposeError(f"{shown(relative)} must be a path inside the config directory")
    path = config_dir / relative
    try:
        content = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ComposeError(f"compose file {relative} does not exist") from None
    except IsADirectoryError:
        raise ComposeError(f"compose file {relative} is a directory, not a file") from None
    except UnicodeDecodeError as error:
        raise ComposeError(
            f"compose file {relative} cannot be read: not UTF-8 text (byte {error.start})"
        ) from None
    except OSError as error:
        raise ComposeError(
            f"compose file {relative} cannot be read: {error.strerror or error}"
        ) from None
    try:
        document = load_yaml(content)
    except DocumentError as error:
        raise ComposeError(f"compose file {relative} is not valid YAML: {error}") from None
    services = document.get("services") if isinstance(document, dict) else None
    if not isinstance(services, dict) or not services:
        raise ComposeError(f"compose file {relative} declares no services")
    for name, service in services.items():
        if not isinstance(service, dict):
            raise ComposeError(
                f"compose file {relative}: service {shown(name)} must be a mapping "
                f"(got {kind_of(service)})"
            )
        _check_shapes(relative, name, service)
    gpu_services = tuple(sorted(_gpu_services(relative, services)))
    return ComposeFile(
        path=relative,
        content=content,
        sha256=hashlib.sha256(content.encode("utf-8")).hexdigest(),
        services=tuple(sorted(str(name) for name in services)),
        started_services=tuple(
            sorted(str(name) for name, service in services.items() if _started(service))
        ),
        published_ports=frozenset(_published_ports(services)),
        variables=frozenset(_required_variables(document)),
        inline_secrets=tuple(_inline_secrets(services)),
        gpu_services=gpu_services,
    )


# The shape Compose requires of each service key Phoenix reads: a wrong one would otherwise
# read as "nothing there" (a `ports: "80:80"` string iterates as characters).
_SHAPES: dict[str, tuple[tuple[type, ...], str]] = {
    "ports": ((list,), "a list"),
    "environment": ((dict, list), "a mapping or a list"),
    "deploy": ((dict,), "a mapping"),
    "profiles": ((list,), "a list"),
}
_PORT_ENTRY = (str, int, dict)


def _check_shapes(relative: str, name: Any, service: dict[Any, Any]) -> None:
    where = f"compose file {relative}: services.{name}"
    for key, (types, wanted) in _SHAPES.items():
        value = service.get(key)
        if value is not None and not isinstance(value, types):
            raise ComposeError(f"{where}.{key} must be {wanted} (got {kind_of(value)})")
    for index, entry in enumerate(service.get("ports") or []):
        if isinstance(entry, bool) or not isinstance(entry, _PORT_ENTRY):
            raise ComposeError(
                f'{where}.ports.{index} must be text like "6333:6333", a port number or a '
                f"mapping (got {kind_of(entry)})"
            )


_DEVICES = ("deploy", "resources", "reservations", "devices")


def _gpu_services(relative: str, services: dict[Any, Any]) -> Iterator[str]:
    """Services whose device reservations ask for a GPU; a reservation Docker would refuse
    (no capabilities, both count and device_ids) is a ComposeError."""
    for name, service in services.items():
        devices: Any = service
        for key in _DEVICES:
            devices = devices.get(key) if isinstance(devices, dict) else None
        if devices is None:
            continue
        where = f"compose file {relative}: services.{name}.{'.'.join(_DEVICES)}"
        if not isinstance(devices, list):
            raise ComposeError(
                f"{where} must be a list of device requests (got {kind_of(devices)})"
            )
        wants_gpu = False
        for index, device in enumerate(devices):
            capabilities = device.get("capabilities") if isinstance(device, dict) else None
            if not isinstance(capabilities, list) or not capabilities:
                raise ComposeError(
                    f"{where}.{index} needs capabilities, like [gpu]: Docker refuses a device "
                    "request without them"
                )
            if "count" in device and "device_ids" in device:
                raise ComposeError(
                    f"{where}.{index} gives both count and device_ids; Compose takes one or "
                    "the other"
                )
            wants_gpu = wants_gpu or device.get("driver") == "nvidia" or "gpu" in capabilities
        if wants_gpu:
            yield str(name)


# `$$` is a literal dollar; `${NAME}`, `${NAME:?msg}`, `${NAME-default}` and `$NAME` refer to
# variables. Only those without a default need a value.
_VARIABLE = re.compile(
    r"\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])[^}]*)?\}|([A-Za-z_][A-Za-z0-9_]*))",
    re.ASCII,
)


def _required_variables(document: Any) -> set[str]:
    found: set[str] = set()
    for text in _strings(document):
        for match in _VARIABLE.finditer(text):
            escaped, braced, modifier, bare = match.groups()
            if escaped:
                continue
            if bare or (braced and (modifier is None or modifier.endswith("?"))):
                found.add(bare or braced)
    return found


def _strings(value: Any) -> Iterator[str]:
    """Every string value in a parsed document (keys are not interpolated)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _inline_secrets(services: dict[Any, Any]) -> Iterator[str]:
    for name, service in services.items():
        environment = service.get("environment")
        pairs: list[tuple[str, Any]] = []
        if isinstance(environment, dict):
            pairs = [(str(key), value) for key, value in environment.items()]
        elif isinstance(environment, list):
            for item in environment:
                key, equals, value = str(item).partition("=")
                if equals:
                    pairs.append((key, value))
        for key, value in pairs:
            literal = value is not None and not isinstance(value, (dict, list))
            text = str(value) if literal else ""
            if literal and text and "$" not in text and (secret_name(key) or looks_secret(text)):
                yield f"services.{name}.environment.{key}"
        for key, value in service.items():
            if key in ("environment", "image"):
                continue
            if any(looks_secret(text) for text in _strings(value)):
                yield f"services.{name}.{key}"


def _started(service: dict[Any, Any]) -> bool:
    """Whether a plain `docker compose up` (Portainer passes no profile) starts the service."""
    if service.get("profiles"):
        return False
    deploy = service.get("deploy")
    replicas = deploy.get("replicas") if isinstance(deploy, dict) else None
    return replicas != 0 and service.get("scale") != 0


def _published_ports(services: dict[str, Any]) -> set[int]:
    ports: set[int] = set()
    for service in services.values():
        if not isinstance(service, dict):
            continue
        for entry in service.get("ports") or []:
            port = _host_port(entry)
            if port is not None:
                ports.add(port)
    return ports


def _host_port(entry: Any) -> int | None:
    """The fixed host port of a `ports:` entry, or None when Docker picks one."""
    if isinstance(entry, dict):
        published = entry.get("published")
        return _single_port(str(published)) if published is not None else None
    text = str(entry).split("/", 1)[0]  # drop "/tcp"
    parts = text.rsplit(":", 2)
    if len(parts) == 1:
        return None  # "6333" only exposes the container port on a random host port
    return _single_port(parts[-2])


def _single_port(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) < 65536 else None
