"""The benchmark's targets: what each one asks, what the run measured, whether it was met.
RESULTS.md's targets table lists them; `bench/optimisations.json` explains the unmet ones."""

from __future__ import annotations

from dataclasses import dataclass

from bench.reconcile import ReconcileResults
from bench.synth import SynthResults
from bench.units import minutes, seconds

REFERENCE_RATIO_MAX = 1.3
MARGINAL_MS_MAX = 10.0
VALIDATE_S_MAX = 0.5
LINEAR_R2_MIN = 0.99
RERUN_S_MAX = 1.0
BENCH_S_MAX = 600.0


@dataclass(frozen=True)
class Target:
    """One row of the targets table."""

    key: str
    text: str
    measured: str
    met: bool | None  # None: not measured in this run


def synth_targets(synth: SynthResults | None) -> list[Target]:
    """Reference ratio and marginal cost per guest."""
    if synth is None:
        return [
            Target(
                "reference_ratio", "Reference fleet cold synth ≤ 1.3x bare cdktf", "not run", None
            ),
            Target("marginal", "Marginal synth cost ≤ 10 ms per guest, linear", "not run", None),
        ]
    targets = []
    ref = synth.reference
    if ref is not None:
        targets.append(
            Target(
                "reference_ratio",
                f"Reference fleet ({ref.guests} guests) cold synth "
                f"≤ {REFERENCE_RATIO_MAX}x bare cdktf",
                f"{ref.ratio:.2f}x ({seconds(ref.phoenix_s())} vs {seconds(ref.bare_s())})",
                ref.ratio <= REFERENCE_RATIO_MAX,
            )
        )
    if synth.validate_s:
        best = min(synth.validate_s)
        targets.append(
            Target(
                "validate",
                f"`fleet validate` on the reference fleet ≤ {VALIDATE_S_MAX} s (cold process)",
                f"best {seconds(best)} of {len(synth.validate_s)} "
                f"(median {seconds(sorted(synth.validate_s)[len(synth.validate_s) // 2])})",
                best <= VALIDATE_S_MAX,
            )
        )
    fit = synth.fit("phoenix")
    largest = max((case.guests for case in synth.sized), default=0)
    if fit is not None:
        per_guest_ms = fit.slope * 1000
        targets.append(
            Target(
                "marginal",
                f"Marginal synth cost ≤ {MARGINAL_MS_MAX:g} ms per guest up to 1,000 guests, "
                f"linear (R² ≥ {LINEAR_R2_MIN})",
                f"{per_guest_ms:.1f} ms/guest up to {largest:,} guests, R² {fit.r_squared:.4f}",
                per_guest_ms <= MARGINAL_MS_MAX
                and fit.r_squared >= LINEAR_R2_MIN
                and largest >= 1000,
            )
        )
    return targets


def reconcile_targets(rec: ReconcileResults | None) -> list[Target]:
    """Zero writes and ≤ 1 s for a converged re-run."""
    if rec is None:
        return [Target("rerun", "Converged re-run: zero writes, ≤ 1 s", "not run", None)]
    reruns = rec.find("phoenix", "re-run")
    if not reruns:
        return [Target("rerun", "Converged re-run: zero writes, ≤ 1 s", "no re-run", None)]
    walls = sorted(run.wall_s for run in reruns)
    middle = walls[len(walls) // 2]
    writes = sum(run.writes for run in reruns)
    scale = (
        f"{rec.agents} agents x {rec.stacks_per_agent} stacks, "
        f"{rec.latency_s * 1000:.0f} ms latency"
    )
    return [
        Target(
            "rerun_writes",
            f"Converged re-run ({scale}) makes zero writes",
            f"{writes} writes in {len(reruns)} re-runs",
            writes == 0 and all(run.ok for run in reruns),
        ),
        Target(
            "rerun_time",
            f"Converged re-run finishes within {RERUN_S_MAX:g} s (cold process, median)",
            f"median {seconds(middle)} (min {seconds(walls[0])}, max {seconds(walls[-1])}), "
            f"{reruns[0].requests} requests",
            middle <= RERUN_S_MAX,
        ),
    ]


def bench_time_target(total_s: float) -> Target:
    """The whole run stays short enough to run before a merge."""
    return Target(
        "bench_time",
        "`make bench` finishes in under 10 minutes",
        f"{minutes(total_s)} for `python -m bench` (setup excluded)",
        total_s < BENCH_S_MAX,
    )
