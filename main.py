#!/usr/bin/env python3
"""The Phoenix cdktf app: load the fleet config, build the stacks, synthesize Terraform JSON.

Run through `cdktf synth` / `cdktf deploy`, or directly (`make synth`). The config directory is
`$PHOENIX_CONFIG_DIR`, default `configs/`. A config with problems prints every problem, one per
line, and exits 1 before anything is written, so an existing `cdktf.out/` stays as it was.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path

from cdktf import App

from fleet import FleetConfigError, config_dir_from_env, load_fleet
from stacks import build_stacks


def main() -> int:
    config_dir = config_dir_from_env()
    try:
        fleet = load_fleet(config_dir)
    except FleetConfigError as error:
        print(error.report(), file=sys.stderr)
        print(f"phoenix: {error}; nothing was synthesized", file=sys.stderr)
        return 1
    app = App()
    build_stacks(app, fleet)
    app.synth()
    print(summary(config_dir, Path(os.environ.get("CDKTF_OUTDIR", "cdktf.out"))))
    return 0


def summary(config_dir: Path, outdir: Path) -> str:
    """A few lines saying what was written where, read back from the synthesized files."""
    manifest = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
    lines = [f"phoenix: synthesized {config_dir}/ into {outdir}/"]
    for name, stack in sorted(manifest["stacks"].items()):
        path = outdir / stack["synthesizedStackPath"]
        plan = json.loads(path.read_text(encoding="utf-8"))
        counts = Counter({kind: len(items) for kind, items in plan.get("resource", {}).items()})
        resources = ", ".join(f"{count} {kind}" for kind, count in sorted(counts.items()))
        outputs = ", ".join(sorted(plan.get("output", {}))) or "none"
        lines.append(
            f"  {name}: {sum(counts.values())} resources ({resources}); outputs: {outputs}"
        )
        lines.append(f"    {path}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
