"""Real Terraform, offline, against the bpg/proxmox stand-in: one runner for tests and tools.

Terraform installs the stand-in from a filesystem mirror (providers/standin/install.py) and
never sees the deployer's own CLI config, plugin cache or Proxmox credentials: the stand-in
gets a placeholder API token of the right shape, as the real provider would need one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from providers.standin.install import install
from providers.standin.world import WORLD_ENV

TERRAFORM_ENV = "PHOENIX_TERRAFORM"
"""Path of the `terraform` binary to use; default: the one on PATH."""

ROOT_HINT = "Install Terraform >= 1.5, or name its binary in $PHOENIX_TERRAFORM."

PLACEHOLDER_TOKEN = "phoenix@pve!rehearsal=00000000-0000-0000-0000-000000000000"
"""What the stand-in is configured with: shaped like a token, grants nothing anywhere."""

# Never handed to an offline run: the deployer's real credentials and Terraform settings.
_DROPPED_PREFIXES = ("PROXMOX_VE_", "TF_CLI_", "TF_PLUGIN_", "TF_LOG", "TF_DATA_DIR")


class TerraformError(RuntimeError):
    """A Terraform command that failed; carries its combined output."""

    def __init__(self, args: Sequence[str], returncode: int, output: str) -> None:
        super().__init__(f"terraform {' '.join(args)} failed ({returncode}):\n{output}")
        self.returncode = returncode
        self.output = output


def find_terraform() -> str | None:
    """The Terraform binary: `$PHOENIX_TERRAFORM`, else `terraform` on PATH, else None."""
    configured = os.environ.get(TERRAFORM_ENV, "")
    return configured or shutil.which("terraform")


@dataclass
class Terraform:
    """Runs one Terraform binary with the stand-in installed under `home`."""

    binary: str
    home: Path
    """Holds the provider mirror and the CLI config."""
    world: Path | None = None
    """The stand-in's Proxmox (see providers/standin/world.py). Default: none kept."""
    extra_env: Mapping[str, str] = field(default_factory=dict)
    cli_config: Path = field(init=False)

    def __post_init__(self) -> None:
        self.cli_config = install(self.home)

    def env(self) -> dict[str, str]:
        """The environment of every command: offline, quiet, the placeholder token. Settings
        that would point Terraform elsewhere are dropped, from `extra_env` too."""
        env = {
            key: value
            for key, value in {**os.environ, **self.extra_env}.items()
            if not key.startswith(_DROPPED_PREFIXES) and key != WORLD_ENV
        }
        env.update(
            {
                "TF_CLI_CONFIG_FILE": str(self.cli_config),
                "CHECKPOINT_DISABLE": "1",
                "TF_IN_AUTOMATION": "1",
                "TF_INPUT": "0",
                "PROXMOX_VE_API_TOKEN": PLACEHOLDER_TOKEN,
            }
        )
        if self.world is not None:
            env[WORLD_ENV] = str(self.world)
        return env

    def run(
        self, workdir: Path, *args: str, check: bool = True, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        """`terraform <args>` in `workdir`; raises TerraformError on failure when `check`."""
        result = subprocess.run(
            [self.binary, *args],
            cwd=workdir,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise TerraformError(args, result.returncode, result.stdout + result.stderr)
        return result

    def init(self, workdir: Path, *, backend: bool = True) -> None:
        """`terraform init`; `backend=False` leaves the state backend alone (`validate` needs
        none, and a pg or s3 backend would be contacted)."""
        self.run(
            workdir, "init", "-input=false", "-no-color", *([] if backend else ["-backend=false"])
        )

    def validate(self, workdir: Path) -> dict[str, Any]:
        """`terraform validate -json`: {"valid": bool, "diagnostics": [...]}."""
        result = self.run(workdir, "validate", "-json", "-no-color", check=False)
        parsed: dict[str, Any] = json.loads(result.stdout)
        return parsed

    def plan(self, workdir: Path, *args: str, out: str = "phoenix.tfplan") -> dict[str, Any]:
        """Plan into `out` and return Terraform's own JSON rendering of it."""
        self.run(workdir, "plan", "-input=false", "-no-color", f"-out={out}", *args)
        return self.show(workdir, out)

    def show(self, workdir: Path, plan_file: str) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(
            self.run(workdir, "show", "-json", "-no-color", plan_file).stdout
        )
        return parsed

    def apply(self, workdir: Path, *args: str) -> str:
        """`terraform apply -auto-approve`; the combined output."""
        result = self.run(workdir, "apply", "-auto-approve", "-input=false", "-no-color", *args)
        return result.stdout + result.stderr

    def plan_is_empty(self, workdir: Path, *args: str) -> bool:
        """`plan -detailed-exitcode`: True for "No changes", False when it would change things."""
        result = self.run(
            workdir, "plan", "-input=false", "-no-color", "-detailed-exitcode", *args, check=False
        )
        if result.returncode == 1:
            raise TerraformError(["plan"], 1, result.stdout + result.stderr)
        return result.returncode == 0


def actions(plan: Mapping[str, Any]) -> dict[str, list[str]]:
    """Planned actions per resource address, from `terraform show -json` (no-ops left out)."""
    return {
        change["address"]: change["change"]["actions"]
        for change in plan.get("resource_changes", [])
        if change["change"]["actions"] != ["no-op"]
    }


def replace_paths(plan: Mapping[str, Any], address: str) -> list[list[Any]]:
    """The attribute paths Terraform says force the replacement of `address`."""
    for change in plan.get("resource_changes", []):
        if change["address"] == address:
            paths: list[list[Any]] = change["change"].get("replace_paths", [])
            return paths
    raise KeyError(address)


def importing(plan: Mapping[str, Any]) -> dict[str, str]:
    """Addresses the plan imports, with the import id."""
    return {
        change["address"]: change["change"]["importing"]["id"]
        for change in plan.get("resource_changes", [])
        if change["change"].get("importing")
    }
