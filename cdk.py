"""The CDK Phoenix builds on, chosen here and nowhere else: CDK for Terraform (`cdktf`, the
default) or its community fork CDK Terrain (`cdktn`, `make synth CDK=cdktn`).

Phoenix's code takes every CDK name from this module (`from cdk import App, TerraformStack`),
so the same constructs, stacks and `main.py` run on either. Which one:

- `PHOENIX_CDK=cdktf` or `PHOENIX_CDK=cdktn` says it outright (`make ... CDK=cdktn` sets it);
- unset, the one installed in this Python: `cdktf` in `.venv/`, `cdktn` in `terrain/.venv/`
  (a virtualenv holds one of them, never both), cdktf first if both are there.

Each CDK comes with the bpg/proxmox bindings its own `get` generated, as the bindings import
the CDK they were made for: `imports/` for cdktf, `terrain/imports/` for cdktn. On cdktn this
module makes the package `imports` that directory, so `from imports.proxmox... import ...`
means the fork's bindings; it must therefore be imported before any binding (`constructs_lib`
and `stacks` import it first).
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent
ENV = "PHOENIX_CDK"
BINDINGS = {"cdktf": ROOT / "imports", "cdktn": ROOT / "terrain" / "imports"}
"""Where each CDK's `get` writes the bpg/proxmox bindings (`make bindings [CDK=cdktn]`)."""


def chosen() -> str:
    """`cdktf` or `cdktn`: `$PHOENIX_CDK`, else the one this Python has installed."""
    named = os.environ.get(ENV, "")
    if named:
        if named not in BINDINGS:
            raise ImportError(f"{ENV}={named!r}: Phoenix runs on {' or '.join(BINDINGS)}")
        if importlib.util.find_spec(named) is None:
            python = {"cdktf": ".venv/bin/python", "cdktn": "terrain/.venv/bin/python"}[named]
            raise ImportError(
                f"{ENV}={named} but {sys.prefix} has no {named}: "
                f"`make setup CDK={named}`, then run {python}"
            )
        return named
    installed = [name for name in BINDINGS if importlib.util.find_spec(name) is not None]
    if not installed:
        raise ImportError(f"neither cdktf nor cdktn is installed in {sys.prefix}: run `make setup`")
    return installed[0]


NAME = chosen()
"""The CDK this process runs on: `cdktf` or `cdktn`."""


def _use_bindings(directory: Path) -> None:
    """Make `imports` the package in `directory`, whatever `imports/` sits next to main.py."""
    if not (directory / "proxmox").is_dir():
        raise ImportError(
            f"no bpg/proxmox bindings for {NAME} in {directory}: run `make setup CDK={NAME}`"
        )
    loaded = sys.modules.get("imports")
    if loaded is not None:
        found = list(getattr(loaded, "__path__", []))
        if found != [str(directory)]:
            raise ImportError(f"`imports` was imported from {found} before `cdk` chose {NAME}")
        return
    spec = importlib.machinery.ModuleSpec("imports", None, is_package=True)
    spec.submodule_search_locations = [str(directory)]
    sys.modules["imports"] = importlib.util.module_from_spec(spec)


# Type checkers read cdktf's names: cdktn ships the same API under another package name (a
# superset of cdktf 0.21's); tests/plans/test_cdk_terrain.py holds both to the same plans.
if TYPE_CHECKING or NAME == "cdktf":
    from cdktf import (
        App,
        Aspects,
        DataResource,
        FileProvisioner,
        Fn,
        IAspect,
        LocalBackend,
        LocalExecProvisioner,
        Op,
        PgBackend,
        Precondition,
        RemoteExecProvisioner,
        S3Backend,
        S3BackendEndpointConfig,
        SSHProvisionerConnection,
        TerraformBackend,
        TerraformDataSource,
        TerraformElement,
        TerraformOutput,
        TerraformProvider,
        TerraformResource,
        TerraformResourceLifecycle,
        TerraformSelf,
        TerraformStack,
        TerraformVariable,
        Token,
    )
else:
    _use_bindings(BINDINGS["cdktn"])
    from cdktn import (
        App,
        Aspects,
        DataResource,
        FileProvisioner,
        Fn,
        IAspect,
        LocalBackend,
        LocalExecProvisioner,
        Op,
        PgBackend,
        Precondition,
        RemoteExecProvisioner,
        S3Backend,
        S3BackendEndpointConfig,
        SSHProvisionerConnection,
        TerraformBackend,
        TerraformDataSource,
        TerraformElement,
        TerraformOutput,
        TerraformProvider,
        TerraformResource,
        TerraformResourceLifecycle,
        TerraformSelf,
        TerraformStack,
        TerraformVariable,
        Token,
    )

__all__ = [
    "BINDINGS",
    "NAME",
    "App",
    "Aspects",
    "DataResource",
    "FileProvisioner",
    "Fn",
    "IAspect",
    "LocalBackend",
    "LocalExecProvisioner",
    "Op",
    "PgBackend",
    "Precondition",
    "RemoteExecProvisioner",
    "S3Backend",
    "S3BackendEndpointConfig",
    "SSHProvisionerConnection",
    "TerraformBackend",
    "TerraformDataSource",
    "TerraformElement",
    "TerraformOutput",
    "TerraformProvider",
    "TerraformResource",
    "TerraformResourceLifecycle",
    "TerraformSelf",
    "TerraformStack",
    "TerraformVariable",
    "Token",
    "chosen",
]
