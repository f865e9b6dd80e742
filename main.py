#!/usr/bin/env python3
"""The Phoenix CDK app: load the fleet config, build the stacks, synthesize Terraform JSON.

Run through `cdktf synth` / `cdktf deploy`, or directly (`make synth`); on CDK Terrain through
`cdktn` or `make synth CDK=cdktn` (the CDK is chosen in `cdk.py`). The config directory is
`$PHOENIX_CONFIG_DIR`, default `configs/`. A config with problems prints every problem, one per
line, and exits 1 before anything is written, so an existing `cdktf.out/` stays as it was.

The app runs itself under `python -O` (see `run_optimized`): the generated bindings then skip
their runtime argument checks, which cost about 4 ms per guest. `PHOENIX_TYPECHECK=1` keeps them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from collections import Counter
from pathlib import Path

TYPECHECK_ENV = "PHOENIX_TYPECHECK"


def run_optimized() -> None:
    """Replace this process by `python -O` running the same command, when that is faster.

    Every generated binding constructor (`imports/`, the CDK) checks each argument with
    `typeguard` under `if __debug__:`; `-O` compiles those checks away. Phoenix's calls are
    checked statically instead (mypy, strict) and its config by pydantic; the construct tests
    run without `-O` and keep the runtime checks. `-O` only pays when optimized bytecode of the
    big dependencies can be cached (`make setup` compiles it, or Python writes it on the first
    run); otherwise every run would compile cdktf's 1.4 MB module again.
    """
    if sys.flags.optimize or os.environ.get(TYPECHECK_ENV, "") not in ("", "0"):
        return
    # The CDK's bytecode: cdktf's, or cdktn's in the CDK Terrain route (`cdk.py`).
    if sys.dont_write_bytecode and not any(map(_optimized_bytecode_cached, ("cdktf", "cdktn"))):
        return
    # Same interpreter, same arguments (and interpreter options), same PID: cdktf's CLI waits
    # on this process and never notices.
    try:
        os.execv(sys.executable, [sys.executable, "-O", *sys.orig_argv[1:]])
    except OSError:
        return  # cannot restart: run as we are


def _optimized_bytecode_cached(module: str) -> bool:
    """Whether `module` has `-O` bytecode next to its source (found without importing it)."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return False
    return Path(importlib.util.cache_from_source(spec.origin, optimization=1)).exists()


def main() -> int:
    """Load and validate the fleet, build the stacks, synthesize; 1 on a config problem."""
    from cdk import App  # imported here: `run_optimized` may restart the process first
    from fleet import FleetConfigError, config_dir_from_env, load_fleet
    from stacks import build_stacks

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


CROSS_STACK = "cross-stack-output-"


def summary(config_dir: Path, outdir: Path) -> str:
    """A few lines saying what was written where, read back from the synthesized files."""
    manifest = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
    lines = [f"phoenix: synthesized {config_dir}/ into {outdir}/"]
    for name, stack in sorted(manifest["stacks"].items()):
        path = outdir / stack["synthesizedStackPath"]
        plan = json.loads(path.read_text(encoding="utf-8"))
        counts = Counter({kind: len(items) for kind, items in plan.get("resource", {}).items()})
        resources = ", ".join(f"{count} {kind}" for kind, count in sorted(counts.items()))
        # cdktf's cross-stack plumbing is not something the user declared or reads.
        outputs = [o for o in sorted(plan.get("output", {})) if not o.startswith(CROSS_STACK)]
        total = sum(counts.values())
        lines.append(
            f"  {name}: {total} resource{'' if total == 1 else 's'} ({resources}); "
            f"outputs: {', '.join(outputs) or 'none'}"
        )
        lines.append(f"    {path}")
    return "\n".join(lines)


if __name__ == "__main__":
    run_optimized()
    sys.exit(main())
