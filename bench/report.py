"""Render the benchmark results as Markdown (bench/RESULTS.md).

The before/after history of optimisations and the explanations of limits are data kept in
`bench/optimisations.json` (measured by earlier runs, one entry per commit); everything else
comes from the current run.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.machine import Machine
from bench.post_apply import ENV_STRING_LIMIT, PostApplyResults
from bench.reconcile import ClientRun, ReconcileResults
from bench.synth import SynthResults
from bench.targets import bench_time_target, reconcile_targets, synth_targets
from bench.units import mib, seconds

HISTORY = Path(__file__).with_name("optimisations.json")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    # A cell must stay on one line and must not end the cell early.
    lines += [
        "| " + " | ".join(cell.replace("\n", " ").replace("|", "\\|") for cell in row) + " |"
        for row in rows
    ]
    return lines


def _history() -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(HISTORY.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"optimisations": [], "limits": {}}
    return data


def _synth_section(synth: SynthResults) -> list[str]:
    lines = [
        "## Synth",
        "",
        f"Each figure is the **best** of {synth.repeats} cold processes "
        f"({synth.small_repeats} for the reference fleet and fleets of up to 100 guests), the "
        "median in parentheses: other work on this shared machine only ever adds time, so the "
        "best run is the closest to the code's own cost (see the CPU speed check above for how "
        "much the machine's speed moved). Every run is a new `python main.py` process, as "
        "`cdktf synth` starts one; the OS file cache and the jsii package cache are warm after "
        "one discarded run. Phoenix synthesizes the fleet from its config directory; the "
        "**bare-cdktf baseline** (`python -m bench.bare_synth`) synthesizes the same number of "
        "raw resources of each Terraform type in one stack, built directly from the generated "
        "bindings in `imports/` with the attributes Phoenix sets (see the attribute table "
        "below), with no Phoenix code: no config loading or validation, construct wrappers, "
        "cloud-init rendering or outputs, and run as plain `python` (so with the bindings' "
        "runtime type checks, which Phoenix's `main.py` skips by running under `-O`). Both runs "
        "of a case follow each other, so they share the machine's load.",
        "",
        "Peak memory: *tree* is the sampled peak of the summed RSS of Python and the jsii Node.js "
        "kernel; *largest* is the kernel's peak RSS of the largest single process (`wait4`).",
        "",
    ]
    rows = []
    for case in synth.cases:
        ph_tree = max(run.tree_peak_kib for run in case.phoenix)
        ph_big = max(run.max_rss_kib for run in case.phoenix)
        bare_tree = max(run.tree_peak_kib for run in case.bare)
        bare_big = max(run.max_rss_kib for run in case.bare)
        rows.append(
            [
                "`configs/`" if case.name == "reference" else case.name,
                f"{case.guests:,}",
                f"{case.resource_total:,}",
                f"{seconds(case.phoenix_s())} ({seconds(case.phoenix_median_s())})",
                f"{mib(ph_tree)} / {mib(ph_big)}",
                f"{seconds(case.bare_s())} ({seconds(case.bare_median_s())})",
                f"{mib(bare_tree)} / {mib(bare_big)}",
                f"{case.ratio:.2f}x",
            ]
        )
    lines += _table(
        [
            "Fleet",
            "Guests",
            "Resources",
            "Phoenix cold",
            "Phoenix peak (tree / largest)",
            "Bare cold",
            "Bare peak (tree / largest)",
            "Phoenix / bare",
        ],
        rows,
    )
    fit, bare_fit = synth.fit("phoenix"), synth.fit("bare")
    sized = synth.sized
    if fit is not None and bare_fit is not None:
        lines += [
            "",
            "**Marginal cost per guest** (least-squares slope of the best cold wall time over the "
            f"generated fleets of {', '.join(f'{c.guests:,}' for c in sized)} guests):",
            "",
        ]
        rows = []
        for label, line in (("Phoenix", fit), ("Bare cdktf", bare_fit)):
            rows.append(
                [
                    label,
                    f"{line.slope * 1000:.2f} ms",
                    seconds(line.intercept),
                    f"{line.r_squared:.4f}",
                    f"{line.max_residual_ratio * 100:.1f} %",
                ]
            )
        lines += _table(["", "Per guest", "Fixed cost", "R²", "Worst point off the line"], rows)
        segments = [
            f"{a.guests:,}→{b.guests:,}: "
            f"{(b.phoenix_s() - a.phoenix_s()) / (b.guests - a.guests) * 1000:.1f} ms"
            for a, b in itertools.pairwise(sized)
        ]
        lines += ["", "Phoenix per guest between consecutive sizes: " + "; ".join(segments) + "."]
    largest = sized[-1] if sized else synth.reference
    if largest is not None:
        lines += [
            "",
            f"**Same resources, same attributes** ({largest.name}): resources per type and the "
            "mean number of leaf attributes per resource in each synthesized JSON.",
            "",
        ]
        rows = [
            [
                f"`{kind}`",
                f"{count:,}",
                f"{largest.phoenix_attributes.get(kind, 0):.1f}",
                f"{largest.bare_attributes.get(kind, 0):.1f}",
            ]
            for kind, count in largest.resources.items()
        ]
        lines += _table(["Type", "Count", "Phoenix attributes", "Bare attributes"], rows)
        lines += [
            "",
            "Phoenix's `terraform_data` are the desired Portainer state (its JSON text grows with "
            "the fleet) and the post-apply step; the baseline's are small. Phoenix also writes "
            "two outputs (inventory, desired state) and a second stack, which the baseline "
            "does not.",
        ]
    return lines


def _run_row(run: ClientRun, agents: int) -> list[str]:
    covered = round(run.share * agents)
    projected = (
        "" if run.share >= 1 else f"{seconds(run.projected_s)}, {run.projected_requests:,} requests"
    )
    return [
        run.client,
        run.phase,
        f"{covered} of {agents}",
        seconds(run.wall_s),
        f"{run.requests:,}",
        f"{run.writes:,}",
        projected,
        ("ok" if run.ok else "**failed**") + (f": {run.detail}" if run.detail else ""),
    ]


def _reconcile_section(rec: ReconcileResults) -> list[str]:
    lines = [
        "## Reconcile",
        "",
        f"{rec.agents} fake agents x {rec.stacks_per_agent} stacks "
        f"({rec.agents * rec.stacks_per_agent:,} stacks), {rec.latency_s * 1000:.0f} ms injected "
        "latency on every Portainer request. The fake Portainer and its agents run in a process "
        "of their own (`bench.fake_server`): in the client's process the fake's threads would "
        "compete for the client's GIL and distort both. Each client run is a cold process; "
        "requests and writes are counted by the fake (agent pings are not Portainer requests). "
        "**phoenix** is `python -m portainer reconcile --poll-interval 0.1` (the fake "
        "deploys in 50 ms; the 2 s default poll would mostly measure sleep). **naive** "
        "(`python -m bench.naive_client`) behaves like the original `portainer_api_setup.sh`: "
        "sequential, lists the environment's stacks again for every stack and always writes "
        "(PUT or create), over one kept-alive connection. To keep `make bench` under 10 "
        "minutes it starts no new agent after a deadline; as its cost per agent is constant "
        f"(one pass over the same {rec.stacks_per_agent} stacks), its time and requests are "
        "projected to all "
        "agents from the agents it did. Its second run covers the same agents, on its own "
        "converged state; *after naive* is Phoenix on the naive client's result for those "
        "agents: zero writes there shows both clients leave the same state. The fake's server "
        "closes the connection after every response, so every request also pays a TLS "
        "handshake; real Portainer keeps connections alive.",
        "",
    ]
    lines += _table(
        [
            "Client",
            "Run",
            "Agents",
            "Wall",
            "Requests",
            "Writes",
            "All agents (projected)",
            "Result",
        ],
        [_run_row(r, rec.agents) for r in rec.runs],
    )
    lines += ["", "Requests by route:", ""]
    routes = sorted({route for run in rec.runs for route in run.by_route})
    columns = list(rec.runs)
    header = ["Route", *[f"{run.client} {run.phase}" for run in columns]]
    rows = [
        [f"`{route}`", *[f"{run.by_route.get(route, 0):,}" for run in columns]] for route in routes
    ]
    lines += _table(header, rows)
    cold = rec.find("phoenix", "cold")
    naive_cold = rec.find("naive", "cold")
    reruns = rec.find("phoenix", "re-run")
    naive_rerun = rec.find("naive", "re-run")
    if cold and naive_cold and reruns and naive_rerun and naive_rerun[0].share > 0:
        best = min(reruns, key=lambda run: run.wall_s)
        nc, nr = naive_cold[0], naive_rerun[0]
        lines += [
            "",
            f"Cold converge: Phoenix {seconds(cold[0].wall_s)} with {cold[0].requests:,} requests; "
            f"naive {seconds(nc.projected_s)} with {nc.projected_requests:,} requests for all "
            "agents "
            f"({nc.projected_s / cold[0].wall_s:.1f}x slower). Converged re-run: Phoenix "
            f"{seconds(best.wall_s)} (best of {len(reruns)}) with {best.requests} requests and "
            f"{best.writes} writes; naive {seconds(nr.projected_s)} with {nr.projected_requests:,} "
            f"requests and {round(nr.writes / nr.share):,} writes for all agents (every stack "
            f"redeployed, {nr.projected_s / best.wall_s:.0f}x slower).",
        ]
    return lines


def _kib(size: int) -> str:
    return f"{size / 1024:,.0f} KiB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.2f} MiB"


def post_apply_section(handoff: PostApplyResults) -> list[str]:
    """How long Terraform takes to hand the largest desired states to the reconcile."""
    lines = [
        "## Post-apply handoff",
        "",
        "How the desired state reaches `python -m portainer reconcile` (docs/portainer.md, "
        "*How the post-apply step gets the desired state*): the `infra` stack's "
        "`json_parts` through `terraform_remote_state`, one `local-exec` per part of at most "
        "64 KiB, then the reconcile on standard input. `bench.post_apply` synthesizes just "
        "that wiring and times cold `terraform apply -replace=terraform_data.portainer_reconcile`"
        " runs of the `portainer` stack, with a sink that checks the SHA-256 of what it reads "
        f"in place of the reconcile ({handoff.terraform}). *One variable* is the "
        "`base64gzip` text the step used to pass in a single environment variable, which "
        f"Linux refuses past {ENV_STRING_LIMIT // 1024} KiB.",
        "",
    ]
    rows = [
        [
            f"`{case.name}`",
            f"{case.agents:,} / {case.stacks:,}",
            _kib(case.json_bytes),
            _kib(case.base64gzip_bytes)
            + (" (over the limit)" if case.base64gzip_bytes > ENV_STRING_LIMIT else ""),
            str(case.parts),
            f"{seconds(case.best_s)} ({seconds(case.median_s)})",
        ]
        for case in handoff.cases
    ]
    lines += _table(
        [
            "Desired state",
            "Agents / stacks",
            "JSON",
            "One variable",
            "Parts",
            "Apply best (median)",
        ],
        rows,
    )
    return lines


def _history_section(history: dict[str, Any]) -> list[str]:
    entries = history.get("optimisations", [])
    lines = ["## Optimisations: before and after", ""]
    if not entries:
        return [*lines, "None yet."]
    lines += [
        "Measured on this machine right before and right after each change, as each entry "
        "says (interleaved cold-run A/B, or in-process timers); the commit message repeats the "
        "numbers. This machine's speed drifts (see the CPU speed check), so compare within an "
        "entry, not across entries or with the tables above.",
        "",
    ]
    for entry in entries:
        lines += [f"### {entry['title']}", "", entry["what"], ""]
        lines += _table(
            ["Measure", "Before", "After"],
            [[row["measure"], row["before"], row["after"]] for row in entry["rows"]],
        )
        lines.append("")
    return lines


def render(
    machine: Machine,
    synth: SynthResults | None,
    rec: ReconcileResults | None,
    total_s: float,
    load_after: str,
    command: str,
    speed: Sequence[tuple[str, float]] = (),
    *,
    handoff: PostApplyResults | None = None,
) -> str:
    """The whole RESULTS.md."""
    history = _history()
    targets = [*synth_targets(synth), *reconcile_targets(rec), bench_time_target(total_s)]
    limits: dict[str, str] = history.get("limits", {})
    lines = [
        "# Phoenix benchmark results",
        "",
        f"Written by `{command}`; do not edit by hand, run it again. How it works: "
        "`bench/__init__.py` and `python -m bench --help`.",
        "",
        "## Machine",
        "",
    ]
    rows = [[k, v] for k, v in machine.rows()] + [["Load average at end", load_after]]
    if speed:
        checks = ", ".join(f"{label} {taken:.2f} s" for label, taken in speed)
        rows.append(["CPU speed check (3M-step Python loop, lower is faster)", checks])
    lines += _table(["", ""], rows)
    lines += ["", "## Targets", ""]
    rows = []
    for target in targets:
        verdict = "not measured" if target.met is None else ("met" if target.met else "**not met**")
        if target.met is False and target.key in limits:
            verdict += f": {limits[target.key]}"
        rows.append([target.text, target.measured, verdict])
    lines += _table(["Target", "Measured", "Verdict"], rows)
    lines.append("")
    if synth is not None:
        lines += [*_synth_section(synth), ""]
    if rec is not None:
        lines += [*_reconcile_section(rec), ""]
    if handoff is not None:
        lines += [*post_apply_section(handoff), ""]
    lines += _history_section(history)
    return "\n".join(lines).rstrip() + "\n"
