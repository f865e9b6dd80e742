#!/usr/bin/env python3
"""The Phoenix cdktf app: load the fleet config, build the stacks, synthesize Terraform JSON.

Run through `cdktf synth` / `cdktf deploy`, or directly (`make synth`). The config directory is
`$PHOENIX_CONFIG_DIR`, default `configs/`. A config with problems prints every problem, one per
line, and exits 1 before anything is written, so an existing `cdktf.out/` stays as it was.
"""

from __future__ import annotations

import os
import sys

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
    infra = build_stacks(app, fleet)
    app.synth()
    outdir = os.environ.get("CDKTF_OUTDIR", "cdktf.out")
    print(
        f"phoenix: synthesized {config_dir} into {outdir}/: "
        f"{len(infra.templates)} template(s), {len(infra.vms)} VM(s), "
        f"{len(infra.containers)} container(s)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
