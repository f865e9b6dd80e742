"""`python -m review` (`make review`): what a fleet change does, from Terraform's own plan.

    make review                                   # the working tree against HEAD
    .venv/bin/python -m review --base origin/main # a pull request against its base branch
    .venv/bin/python -m review --plan-json plan.json   # a plan made against a real Proxmox:
        # terraform -chdir=cdktf.out/stacks/infra plan -out=plan.tfplan
        # terraform -chdir=cdktf.out/stacks/infra show -json plan.tfplan > plan.json

Prints a Markdown summary for a pull request comment: one line per guest and per Portainer
stack, destroyed or rebuilt guests first with what forces it and what is lost. Exit codes: 0
when no guest is destroyed or rebuilt, 2 when one is (unless --allow-replace), 1 on an error.
Nothing real is contacted: the plan runs against the bpg/proxmox stand-in in a scratch state.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from rehearsal.terraform import ROOT_HINT, TerraformError, find_terraform

from .run import ROOT, ReviewError, plan_change, progress, remove, scratch_dir, synthesize, worktree
from .summary import Review, gateway_text, review, sides

EXIT_DESTRUCTIVE = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m review",
        description=(__doc__ or "").split("\n")[0],
        epilog="Exit codes: 0 no guest destroyed or rebuilt; 2 one is (see --allow-replace); "
        "1 error.",
    )
    parser.add_argument(
        "--base", default="HEAD", help="git revision to compare with (default: HEAD)"
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=Path(os.environ.get("PHOENIX_CONFIG_DIR", "configs")),
        help="fleet config directory, relative to the repository (default: configs)",
    )
    parser.add_argument(
        "--plan-json", type=Path, help="summarise this `terraform show -json` plan instead"
    )
    parser.add_argument(
        "--allow-replace", action="store_true", help="exit 0 even when guests are rebuilt"
    )
    parser.add_argument("--output", type=Path, help="also write the summary to this file")
    args = parser.parse_args(argv)
    try:
        summary, title = _review(args)
    except (ReviewError, TerraformError) as error:
        print(f"review: {error}", file=sys.stderr)
        return 1
    text = summary.markdown(title)
    print(text, end="")
    if args.output is not None:
        args.output.write_text(text, encoding="utf-8")
    if summary.destructive and not args.allow_replace:
        print(
            "review: guests are destroyed or rebuilt; pass --allow-replace once that is intended",
            file=sys.stderr,
        )
        return EXIT_DESTRUCTIVE
    return 0


def _review(args: argparse.Namespace) -> tuple[Review, str]:
    if args.plan_json is not None:
        plan = json.loads(args.plan_json.read_text(encoding="utf-8"))
        before, after = sides(plan)
        volumes = _volumes(ROOT / args.config) if (ROOT / args.config).is_dir() else {}
        return review(plan, before, after, volumes), f"Phoenix review of {args.plan_json.name}"
    binary = find_terraform()
    if binary is None:
        raise ReviewError(f"no terraform found. {ROOT_HINT}")
    try:  # the same path in the base checkout and in the working tree
        config = (ROOT / args.config).resolve().relative_to(ROOT)
    except ValueError:
        raise ReviewError(f"{args.config} is not inside the repository") from None
    scratch = scratch_dir()
    try:
        with worktree(args.base, scratch) as base_checkout:
            progress(f"synthesizing {args.base}")
            base = synthesize(base_checkout, base_checkout / config, scratch / "base.out")
        progress("synthesizing the working tree")
        head = synthesize(ROOT, ROOT / config, scratch / "head.out")
        if head is None:
            raise ReviewError(f"{config} is not a config directory")
        plan = plan_change(binary, base, head, scratch)
    finally:
        remove(scratch)
    before, after = sides(plan)
    before.gateway_site, after.gateway_site = gateway_text(base), gateway_text(head)
    volumes = _volumes(ROOT / config)
    return review(plan, before, after, volumes), f"Phoenix review: {args.base} → working tree"


def _volumes(config_dir: Path) -> dict[int, list[str]]:
    """Each VM's NFS volumes (`export → mount point`), for what survives a rebuild."""
    from fleet import FleetConfigError, load_fleet

    try:
        fleet = load_fleet(config_dir)
    except FleetConfigError as error:
        raise ReviewError(f"{config_dir} does not load:\n{error.report()}") from None
    return {
        vmid: [f"{v.export} → {v.mount_point}" for v in vm.volumes]
        for vmid, vm in fleet.guests.vms.items()
    }


if __name__ == "__main__":
    sys.exit(main())
