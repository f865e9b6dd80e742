"""`python -m fleet`: check a config directory, or regenerate the editors' JSON Schema.

    python -m fleet validate [DIR]     # DIR: $PHOENIX_CONFIG_DIR, else configs/
    python -m fleet schema [--check]

`validate` runs exactly the checks `cdktf synth` runs first, without cdktf or Node.js: exit 0
and a one-line summary when the fleet is valid, else every problem on stderr and exit 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from . import schema
from .errors import FleetConfigError
from .fleet import Fleet
from .loader import config_dir_from_env, load_fleet


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary(config_dir: Path, fleet: Fleet) -> str:
    """One line saying what a valid config directory declares."""
    guests = fleet.guests
    parts = [
        _plural(len(guests.templates), "template"),
        _plural(len(guests.vms), "VM"),
        _plural(len(guests.containers), "container"),
        _plural(len(fleet.stacks.stacks), "stack"),
    ]
    return f"{config_dir}: valid ({', '.join(parts)})"


def validate(args: argparse.Namespace) -> int:
    """Load the fleet; report problems on stderr."""
    config_dir: Path = args.config_dir or config_dir_from_env()
    try:
        fleet = load_fleet(config_dir)
    except FleetConfigError as error:
        print(error.report(), file=sys.stderr)
        print(f"phoenix: {error}", file=sys.stderr)
        return 1
    print(summary(config_dir, fleet))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run one command."""
    parser = argparse.ArgumentParser(prog="python -m fleet", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("validate", help="check a config directory; write nothing")
    check.add_argument(
        "config_dir",
        nargs="?",
        type=Path,
        help="config directory (default: $PHOENIX_CONFIG_DIR, else configs/)",
    )
    check.set_defaults(run=validate)
    generate = commands.add_parser("schema", help="write or check schema/<file>.schema.json")
    schema.add_arguments(generate)
    generate.set_defaults(run=schema.run)
    args = parser.parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
