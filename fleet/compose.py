"""Reading a stack's compose file: its exact bytes for Portainer, and the facts Phoenix checks."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


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


def read_compose(config_dir: Path, relative: str) -> ComposeFile:
    """Read and sanity-check a compose file. Raises ComposeError with a one-line reason."""
    path = config_dir / relative
    if Path(relative).is_absolute() or ".." in Path(relative).parts:
        raise ComposeError(f"{relative!r} must be a path inside the config directory")
    try:
        content = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ComposeError(f"compose file {relative} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ComposeError(f"compose file {relative} cannot be read: {error}") from None
    try:
        document = yaml.safe_load(content)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ComposeError(f"compose file {relative} is not valid YAML{where}") from None
    services = document.get("services") if isinstance(document, dict) else None
    if not isinstance(services, dict) or not services:
        raise ComposeError(f"compose file {relative} declares no services")
    return ComposeFile(
        path=relative,
        content=content,
        sha256=hashlib.sha256(content.encode("utf-8")).hexdigest(),
        services=tuple(sorted(str(name) for name in services)),
        published_ports=frozenset(_published_ports(services)),
    )


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
    return int(text) if text.isdigit() and 0 < int(text) < 65536 else None
