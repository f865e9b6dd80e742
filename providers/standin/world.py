"""The stand-in's Proxmox: what exists on the cluster, shared by every Terraform run.

The real provider reads and writes a Proxmox cluster, which outlives any Terraform state: a
guest created from one state is "already exists" for another and can be imported by it; a
destroyed guest takes its firewall with it. The stand-in keeps that cluster as one JSON file
named by `PROXMOX_STANDIN_WORLD`. Without it the stand-in runs with an empty, forgetful
cluster: plans and applies work, imports have nothing to find.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

WORLD_ENV = "PROXMOX_STANDIN_WORLD"


class World:
    """Objects on the pretend cluster by key (see each resource's `world_key`)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    @classmethod
    def from_env(cls) -> World:
        value = os.environ.get(WORLD_ENV, "")
        return cls(Path(value) if value else None)

    @property
    def persistent(self) -> bool:
        return self.path is not None

    @contextlib.contextmanager
    def objects(self) -> Iterator[dict[str, Any]]:
        """The cluster's objects, locked for this block and saved after it."""
        if self.path is None:
            yield {}
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.with_suffix(".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                objects: dict[str, Any] = (
                    json.loads(self.path.read_text(encoding="utf-8")) if self.path.exists() else {}
                )
                yield objects
                temporary = self.path.with_suffix(".tmp")
                temporary.write_text(json.dumps(objects, indent=1, sort_keys=True), "utf-8")
                temporary.replace(self.path)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def get(self, key: str) -> Any:
        with self.objects() as objects:
            return objects.get(key)
