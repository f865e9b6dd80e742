"""`python -m bench` (`make bench`): measure synth, reconcile and post-apply handoff cost, write
bench/RESULTS.md."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from bench.fake_server import agent_host
from bench.machine import cpu_check, describe, load_average
from bench.measure import CommandFailedError, scratch_dir
from bench.post_apply import PostApplyResults, fleet_desired_state, run_post_apply
from bench.reconcile import ReconcileResults, desired_state, run_reconcile
from bench.report import render
from bench.synth import SynthResults, run_synth

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "bench" / "RESULTS.md"
PARTS = ("synth", "reconcile", "post-apply")


def _sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give sizes like 10,100,500") from None
    if not sizes or sizes[0] < 3:
        raise argparse.ArgumentTypeError("sizes are guest counts of at least 3")
    return sizes


def _parts(text: str) -> list[str]:
    parts = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [part for part in parts if part not in PARTS]
    if unknown or not parts:
        raise argparse.ArgumentTypeError(f"parts are {', '.join(PARTS)}")
    return parts


def build_parser() -> argparse.ArgumentParser:
    """The command line (public for tests)."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Measure Phoenix's synth and reconcile cost as the fleet grows, against "
        "a bare-cdktf baseline and a naive Portainer client, and how long Terraform takes to "
        "hand the largest desired states to the reconcile; write bench/RESULTS.md.",
    )
    parser.add_argument(
        "--parts",
        type=_parts,
        default=list(PARTS),
        help="comma-separated: synth,reconcile,post-apply",
    )
    parser.add_argument(
        "--sizes", type=_sizes, default=None, help="generated fleet sizes (default 10,100,500,1000)"
    )
    parser.add_argument(
        "--repeats", type=int, default=None, help="cold runs per synth case (default 3)"
    )
    parser.add_argument(
        "--small-repeats",
        type=int,
        default=None,
        help="cold runs for the reference fleet and fleets up to 100 guests (default 5)",
    )
    parser.add_argument("--agents", type=int, default=None, help="fake agents (default 20)")
    parser.add_argument("--stacks", type=int, default=None, help="stacks per agent (default 100)")
    parser.add_argument(
        "--latency", type=float, default=0.02, help="seconds per Portainer request (0.02)"
    )
    parser.add_argument(
        "--reruns", type=int, default=3, help="converged re-runs of the Portainer client (3)"
    )
    parser.add_argument("--no-naive", action="store_true", help="skip the naive client")
    parser.add_argument(
        "--naive-deadline",
        type=float,
        default=60.0,
        help="the naive client starts no new agent after S seconds (60); its figures are "
        "then projected to all agents",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a small smoke run: sizes 10,100, one repeat, 4 agents x 10 stacks; prints the "
        "report instead of writing RESULTS.md unless --output is given",
    )
    parser.add_argument(
        "--output", default=None, help="Markdown report file, '-' for stdout (bench/RESULTS.md)"
    )
    parser.add_argument("--json", default=None, help="also write the raw figures as JSON here")
    parser.add_argument("--keep-workdir", action="store_true", help="keep generated fleets")
    return parser


def bench_env(root: Path, base: Mapping[str, str]) -> dict[str, str]:
    """The environment `make bench` gives the measured processes (also when run directly)."""
    env = dict(base)
    node_bin = str(root / "node_modules" / ".bin")
    if not env.get("PATH", "").startswith(node_bin):
        env["PATH"] = os.pathsep.join([node_bin, env.get("PATH", "")])
    env.setdefault("NODE_OPTIONS", "--max-old-space-size=4096 --disable-warning=DEP0044")
    env.setdefault("CHECKPOINT_DISABLE", "1")
    # Measured processes must not inherit a fleet or outputs directory from the caller.
    for name in ("PHOENIX_CONFIG_DIR", "CDKTF_OUTDIR", "PORTAINER_URL", "PORTAINER_API_KEY"):
        env.pop(name, None)
    return env


def _raw(
    synth: SynthResults | None,
    rec: ReconcileResults | None,
    handoff: PostApplyResults | None = None,
) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    if synth is not None:
        raw["synth"] = [
            {
                "case": case.name,
                "guests": case.guests,
                "resources": case.resource_total,
                "phoenix_s": [round(run.wall_s, 3) for run in case.phoenix],
                "bare_s": [round(run.wall_s, 3) for run in case.bare],
                "phoenix_tree_kib": max(run.tree_peak_kib for run in case.phoenix),
                "bare_tree_kib": max(run.tree_peak_kib for run in case.bare),
            }
            for case in synth.cases
        ]
        for which in ("phoenix", "bare"):
            fit = synth.fit(which)
            if fit is not None:
                raw[f"{which}_ms_per_guest"] = round(fit.slope * 1000, 3)
                raw[f"{which}_r2"] = round(fit.r_squared, 5)
    if rec is not None:
        raw["reconcile"] = [
            {
                "client": run.client,
                "phase": run.phase,
                "wall_s": round(run.wall_s, 3),
                "requests": run.requests,
                "writes": run.writes,
                "ok": run.ok,
                "detail": run.detail,
            }
            for run in rec.runs
        ]
    if handoff is not None:
        raw["post_apply"] = [
            {
                "case": case.name,
                "json_bytes": case.json_bytes,
                "base64gzip_bytes": case.base64gzip_bytes,
                "parts": case.parts,
                "apply_s": [round(seconds, 3) for seconds in case.apply_s],
            }
            for case in handoff.cases
        ]
    return raw


def _post_apply(
    env: Mapping[str, str],
    workdir: Path,
    guests: int,
    agents: int,
    stacks: int,
    repeats: int,
    log: Callable[[str], None],
) -> PostApplyResults | None:
    """The handoff of the largest desired states: the reconcile part's and the largest
    generated fleet's. Skipped, saying so, without Terraform."""
    from rehearsal.terraform import find_terraform

    terraform = find_terraform()
    if terraform is None:
        log("post-apply: skipped, no terraform on PATH (or $PHOENIX_TERRAFORM)")
        return None
    fake_agents = [
        {"name": f"agent-{i + 1:02d}", "url": f"tcp://{agent_host(i)}:9001"} for i in range(agents)
    ]
    states = {
        f"{agents} agents x {stacks} stacks": desired_state(fake_agents, stacks),
        f"fleet-{guests}": fleet_desired_state(workdir / f"handoff-fleet-{guests}", guests),
    }
    log(f"post-apply: {', '.join(states)}, {repeats} repeat(s), {terraform}")
    return run_post_apply(
        env, workdir / "handoff", terraform=terraform, states=states, repeats=repeats, log=log
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns the exit code (1 when a measured command failed)."""
    args = build_parser().parse_args(argv)
    sizes = args.sizes or ([10, 100] if args.quick else [10, 100, 500, 1000])
    repeats = args.repeats or (1 if args.quick else 3)
    small_repeats = args.small_repeats or (1 if args.quick else max(5, repeats))
    agents = args.agents or (4 if args.quick else 20)
    stacks = args.stacks or (10 if args.quick else 100)
    output = args.output or ("-" if args.quick else str(DEFAULT_OUTPUT))

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    started = time.monotonic()
    env = bench_env(ROOT, os.environ)
    machine = describe(ROOT, env)
    speed = [("start", cpu_check())]
    workdir = scratch_dir("phoenix-bench-")
    synth: SynthResults | None = None
    rec: ReconcileResults | None = None
    handoff: PostApplyResults | None = None
    try:
        if "synth" in args.parts:
            log(f"synth: fleets of {', '.join(map(str, sizes))} guests, {repeats} repeat(s)")
            synth = run_synth(
                ROOT,
                env,
                workdir,
                sizes=sizes,
                repeats=repeats,
                small_repeats=small_repeats,
                log=log,
            )
            speed.append(("after synth", cpu_check()))
        if "reconcile" in args.parts:
            log(f"reconcile: {agents} agents x {stacks} stacks, {args.latency * 1000:g} ms latency")
            rec = run_reconcile(
                ROOT,
                env,
                workdir,
                agents=agents,
                stacks_per_agent=stacks,
                latency_s=args.latency,
                reruns=args.reruns,
                naive=not args.no_naive,
                naive_deadline_s=args.naive_deadline,
                log=log,
            )
        if "post-apply" in args.parts:
            handoff = _post_apply(env, workdir, sizes[-1], agents, stacks, repeats, log)
    except CommandFailedError as exc:
        log(f"bench: a measured command failed, no report written:\n{exc}")
        return 1
    finally:
        if args.keep_workdir:
            log(f"generated fleets kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    speed.append(("end", cpu_check()))
    total = time.monotonic() - started
    command = "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:])
    report = render(
        machine, synth, rec, total, load_average(), command.strip(), speed, handoff=handoff
    )
    if output == "-":
        print(report)
    else:
        Path(output).write_text(report, encoding="utf-8")
        log(f"wrote {output} ({total:.0f} s)")
    if args.json:
        Path(args.json).write_text(
            json.dumps(_raw(synth, rec, handoff), indent=2), encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
