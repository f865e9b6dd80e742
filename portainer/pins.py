"""Pinned Portainer server certificates, kept on the deployer's machine like ``known_hosts``.

One JSON file maps a server URL to the SHA-256 fingerprint of the certificate trusted for it:
``$PORTAINER_PINS_FILE``, else ``$XDG_CONFIG_HOME/phoenix/portainer-pins.json`` (default
``~/.config/phoenix/portainer-pins.json``). It is a trust decision of the person deploying, so
it lives with them: never in the repository, the plan or the Terraform state, and it survives
a fresh clone. A fingerprint is public; the file is still private (0600), as it lists the
servers one manages.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PINS_FILE_ENV = "PORTAINER_PINS_FILE"
_FORMAT_VERSION = 1
_HEX_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class PinsFileError(Exception):
    """The pins file cannot be read or written."""


@dataclass(frozen=True)
class Pin:
    """The certificate trusted for one server."""

    sha256: str
    """SHA-256 of the DER certificate (lower-case hex)."""
    pinned_at: str
    """When it was pinned (ISO 8601, UTC)."""
    source: str
    """Where the fingerprint came from, in words (e.g. the SSH route it was read over)."""
    subject: str = ""
    """The certificate's subject, when the certificate itself was read."""
    not_after: str = ""
    """End of the certificate's validity (ISO 8601), when known."""


def default_pins_path(environ: Mapping[str, str]) -> Path:
    """Where pins live for this environment (see the module docstring)."""
    explicit = environ.get(PINS_FILE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    config_home = environ.get("XDG_CONFIG_HOME")
    if not config_home:
        home = environ.get("HOME") or str(Path.home())
        config_home = str(Path(home) / ".config")
    return Path(config_home) / "phoenix" / "portainer-pins.json"


def server_key(url: str) -> str:
    """The key a server is pinned under: ``scheme://host:port`` with the port always written."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}"


class PinStore:
    """Read and change the pins file. Every change rewrites it atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def get(self, url: str) -> Pin | None:
        """The pin for ``url``, or None."""
        return self._load().get(server_key(url))

    def put(self, url: str, pin: Pin) -> None:
        """Pin ``pin`` for ``url`` (replacing any earlier pin)."""
        pins = self._load()
        pins[server_key(url)] = pin
        self._save(pins)

    def remove(self, url: str) -> Pin | None:
        """Forget the pin for ``url``; returns it (None when there was none)."""
        pins = self._load()
        removed = pins.pop(server_key(url), None)
        if removed is not None:
            self._save(pins)
        return removed

    def _load(self) -> dict[str, Pin]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise PinsFileError(f"cannot read the pins file {self.path}: {exc.strerror}") from None
        try:
            document = json.loads(text)
            servers = document["servers"]
            return {key: _pin(entry) for key, entry in servers.items()}
        except (ValueError, KeyError, TypeError, AttributeError):
            raise PinsFileError(
                f"the pins file {self.path} is damaged; move it away and pin again "
                "(python -m portainer trust)"
            ) from None

    def _save(self, pins: dict[str, Pin]) -> None:
        document = {
            "version": _FORMAT_VERSION,
            "servers": {key: asdict(pin) for key, pin in sorted(pins.items())},
        }
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".pins-", dir=self.path.parent)
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as stream:  # mkstemp: mode 0600
                    json.dump(document, stream, indent=2)
                    stream.write("\n")
                Path(temporary).replace(self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    Path(temporary).unlink()
                raise
        except OSError as exc:
            raise PinsFileError(f"cannot write the pins file {self.path}: {exc.strerror}") from None


def _pin(entry: Any) -> Pin:
    pin = Pin(**entry)
    if not _HEX_SHA256.match(pin.sha256):
        raise ValueError("bad fingerprint")
    return pin
