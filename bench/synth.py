"""Synth benchmark: cold `python main.py` on generated fleets against the bare-cdktf baseline.

For every case (the reference fleet in `configs/`, then generated fleets of each size) and every
repeat, Phoenix runs first and the baseline right after it with the same resource counts (read
back from Phoenix's synthesized JSON), so both see the same machine load. Every run is a new
process, as `cdktf synth` starts one; the jsii package cache and the OS file cache are warm
(one discarded warm-up run), as they are for anyone who synthesizes twice.

Figures are the best (minimum) of the repeats: on a shared machine other work only ever adds
time, so the minimum is the closest to the code's own cost; medians are kept for the report.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.fleetgen import generate
from bench.measure import RunResult, run_cold
from bench.stats import LinearFit, linear_fit, median

TIMEOUT_S = 300.0
REFERENCE = "reference"
SMALL = 100


@dataclass
class CaseResult:
    """One fleet: its size, what was synthesized, and every measured run."""

    name: str
    guests: int
    resources: dict[str, int]
    phoenix: list[RunResult] = field(default_factory=list)
    bare: list[RunResult] = field(default_factory=list)
    phoenix_attributes: dict[str, float] = field(default_factory=dict)
    bare_attributes: dict[str, float] = field(default_factory=dict)

    @property
    def resource_total(self) -> int:
        """Resources over every stack."""
        return sum(self.resources.values())

    def phoenix_s(self) -> float:
        """Best Phoenix wall time."""
        return min(run.wall_s for run in self.phoenix)

    def bare_s(self) -> float:
        """Best baseline wall time."""
        return min(run.wall_s for run in self.bare)

    def phoenix_median_s(self) -> float:
        """Median Phoenix wall time."""
        return median([run.wall_s for run in self.phoenix])

    def bare_median_s(self) -> float:
        """Median baseline wall time."""
        return median([run.wall_s for run in self.bare])

    @property
    def ratio(self) -> float:
        """Phoenix / baseline, best runs."""
        return self.phoenix_s() / self.bare_s()


@dataclass
class SynthResults:
    """All cases, the reference first."""

    cases: list[CaseResult]
    repeats: int
    small_repeats: int
    validate_s: list[float] = field(default_factory=list)
    """Cold `python -m fleet validate configs` runs (the checks alone, no synthesis)."""

    @property
    def reference(self) -> CaseResult | None:
        """The `configs/` fleet."""
        return next((case for case in self.cases if case.name == REFERENCE), None)

    @property
    def sized(self) -> list[CaseResult]:
        """The generated fleets, smallest first."""
        return sorted((c for c in self.cases if c.name != REFERENCE), key=lambda c: c.guests)

    def fit(self, which: str) -> LinearFit | None:
        """Wall seconds against guests over the generated fleets ("phoenix" or "bare")."""
        sized = self.sized
        if len({case.guests for case in sized}) < 2:
            return None
        ys = [case.phoenix_s() if which == "phoenix" else case.bare_s() for case in sized]
        return linear_fit([case.guests for case in sized], ys)


def synthesized_resources(outdir: Path) -> tuple[dict[str, int], dict[str, float]]:
    """Resource counts per type over every stack in `outdir`, and the mean number of leaf
    attributes per resource of each type (metadata excluded): what "the same resources" means."""
    manifest = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
    counts: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    for stack in manifest["stacks"].values():
        plan = json.loads((outdir / stack["synthesizedStackPath"]).read_text(encoding="utf-8"))
        for kind, items in plan.get("resource", {}).items():
            counts[kind] += len(items)
            leaves[kind] += sum(_leaf_count(item) for item in items.values())
    return dict(sorted(counts.items())), {k: leaves[k] / counts[k] for k in sorted(counts)}


def _leaf_count(value: Any) -> int:
    if isinstance(value, dict):
        return sum(_leaf_count(v) for k, v in value.items() if k != "//")
    if isinstance(value, list):
        return sum(_leaf_count(v) for v in value)
    return 1


def _phoenix(root: Path, env: Mapping[str, str], config: Path, outdir: Path) -> RunResult:
    run_env = {**env, "PHOENIX_CONFIG_DIR": str(config), "CDKTF_OUTDIR": str(outdir)}
    return run_cold([sys.executable, "main.py"], env=run_env, cwd=root, timeout_s=TIMEOUT_S)


def _bare(root: Path, env: Mapping[str, str], counts: dict[str, int], outdir: Path) -> RunResult:
    command = [
        sys.executable,
        "-m",
        "bench.bare_synth",
        "--outdir",
        str(outdir),
        "--counts",
        json.dumps(counts),
    ]
    return run_cold(command, env=env, cwd=root, timeout_s=TIMEOUT_S)


def run_synth(
    root: Path,
    env: Mapping[str, str],
    workdir: Path,
    *,
    sizes: Sequence[int],
    repeats: int,
    small_repeats: int,
    log: Callable[[str], None],
) -> SynthResults:
    """Generate the fleets, then measure every case `repeats` times (`small_repeats` for fleets
    of up to SMALL guests, which are cheap and the noisiest), interleaved."""
    configs: list[tuple[str, int, Path]] = [(REFERENCE, _reference_guests(root), root / "configs")]
    for size in sizes:
        directory = workdir / f"fleet-{size}"
        shape = generate(directory, size)
        log(
            f"  generated fleet-{size}: {shape.vms} VMs ({shape.agents} Portainer agents, "
            f"{shape.stacks} stacks), {shape.containers} containers, {shape.firewalls} firewalls"
        )
    configs += [(f"fleet-{size}", size, workdir / f"fleet-{size}") for size in sizes]

    # Warm-up (discarded): OS file cache, jsii package cache, node's compile cache.
    _phoenix(root, env, root / "configs", workdir / "warmup.out")
    cases: dict[str, CaseResult] = {}
    rounds = max(repeats, small_repeats)
    for repeat in range(rounds):
        for name, guests, config in configs:
            if repeat >= (small_repeats if guests <= SMALL else repeats):
                continue
            outdir = workdir / f"{name}.out"
            bare_out = workdir / f"{name}.bare.out"
            phoenix = _phoenix(root, env, config, outdir)
            counts, attributes = synthesized_resources(outdir)
            case = cases.setdefault(name, CaseResult(name, guests, counts))
            if case.resources != counts:
                raise RuntimeError(f"{name}: the synthesized resources changed between runs")
            bare = _bare(root, env, counts, bare_out)
            if repeat == 0:
                case.phoenix_attributes = attributes
                bare_counts, case.bare_attributes = synthesized_resources(bare_out)
                if bare_counts != counts:
                    raise RuntimeError(f"{name}: the baseline synthesized {bare_counts}")
            case.phoenix.append(phoenix)
            case.bare.append(bare)
            log(
                f"  [{repeat + 1}/{rounds}] {name}: phoenix {phoenix.wall_s:.2f} s, "
                f"bare {bare.wall_s:.2f} s ({case.resource_total} resources)"
            )
            shutil.rmtree(outdir, ignore_errors=True)
            shutil.rmtree(bare_out, ignore_errors=True)
    validate = [
        run_cold(
            [sys.executable, "-m", "fleet", "validate", str(root / "configs")],
            env=env,
            cwd=root,
            timeout_s=60,
        ).wall_s
        for _ in range(small_repeats)
    ]
    log(f"  fleet validate configs/: best {min(validate):.2f} s of {len(validate)}")
    return SynthResults(list(cases.values()), repeats, small_repeats, validate)


def _reference_guests(root: Path) -> int:
    from fleet import load_fleet  # the app's loader: counts exactly what main.py synthesizes

    fleet = load_fleet(root / "configs")
    return len(fleet.guests.vms) + len(fleet.guests.containers)
