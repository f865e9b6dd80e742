"""Install the stand-in where Terraform finds bpg/proxmox: a filesystem mirror and a CLI config.

    python -m providers.standin.install DIR   # prints the CLI config path to export

Terraform then runs `terraform init` from the mirror without any registry
(`TF_CLI_CONFIG_FILE=<DIR>/terraformrc`).
"""

from __future__ import annotations

import json
import platform
import shlex
import sys
from pathlib import Path

from .schema import PROVIDER, VERSION

ROOT = Path(__file__).resolve().parents[2]
"""The Phoenix checkout (the stand-in runs as `providers.standin` from it)."""

_ARCHITECTURES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def terraform_platform() -> str:
    """This machine as Terraform names platforms, e.g. `linux_amd64`."""
    machine = platform.machine().lower()
    return f"{platform.system().lower()}_{_ARCHITECTURES.get(machine, machine)}"


def install(directory: Path, python: str = sys.executable) -> Path:
    """Write the mirror and CLI config under `directory`; return the CLI config's path."""
    directory = directory.resolve()
    host, namespace, name = PROVIDER.split("/")
    plugin_dir = directory / "mirror" / host / namespace / name / VERSION / terraform_platform()
    plugin_dir.mkdir(parents=True, exist_ok=True)
    executable = plugin_dir / f"terraform-provider-{name}_v{VERSION}"
    executable.write_text(
        "#!/bin/sh\n"
        "# The bpg/proxmox stand-in (Phoenix providers/standin): Terraform starts this.\n"
        f"PYTHONPATH={shlex.quote(str(ROOT))} exec {shlex.quote(python)} "
        '-m providers.standin "$@"\n',
        encoding="utf-8",
    )
    executable.chmod(0o755)
    config = directory / "terraformrc"
    mirror = json.dumps(str(directory / "mirror"))  # an HCL string literal
    config.write_text(
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f"    path    = {mirror}\n"
        f'    include = ["{PROVIDER}"]\n'
        "  }\n"
        "}\n"
        "disable_checkpoint = true\n",
        encoding="utf-8",
    )
    return config


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        sys.exit(2)
    print(install(Path(sys.argv[1])))
