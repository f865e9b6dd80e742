"""Describe the machine and toolchain a benchmark ran on (for the header of RESULTS.md)."""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import os
import platform
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Machine:
    """What the numbers were measured on."""

    cpu: str
    cores: int
    memory_gib: float
    kernel: str
    python: str
    node: str
    packages: dict[str, str]
    """Python distributions and npm packages that shape synth cost, with versions."""
    commit: str
    date: str
    load_before: str
    """`/proc/loadavg` (1, 5, 15 min) when the run started: other work on the machine."""

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) pairs for a Markdown table."""
        versions = ", ".join(f"{name} {version}" for name, version in self.packages.items())
        return [
            ("CPU", f"{self.cpu}, {self.cores} cores"),
            ("Memory", f"{self.memory_gib:.1f} GiB"),
            ("Kernel", self.kernel),
            ("Python", self.python),
            ("Node.js", self.node),
            ("Packages", versions),
            ("Commit", self.commit),
            ("Date", self.date),
            ("Load average at start", self.load_before),
        ]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / (1024 * 1024)
    except OSError:
        pass
    return 0.0


def _run(command: list[str], cwd: Path, env: Mapping[str, str]) -> str:
    try:
        done = subprocess.run(
            command, cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 else "unknown"


def _npm_version(root: Path, package: str) -> str:
    try:
        data = json.loads((root / "node_modules" / package / "package.json").read_text())
    except (OSError, ValueError):
        return "not installed"
    return str(data.get("version", "unknown"))


def cpu_check(iterations: int = 3_000_000, tries: int = 3) -> float:
    """Seconds for a fixed pure-Python loop, best of `tries`: how fast this (shared, possibly
    throttled) machine is right now. Repeated during a run, it shows the machine's speed
    drifting; every other figure moves with it."""
    best = float("inf")
    for _ in range(tries):
        start = time.perf_counter()
        total = 0
        for number in range(iterations):
            total += number & 7
        best = min(best, time.perf_counter() - start)
    return best


def load_average() -> str:
    """The 1/5/15-minute load averages, e.g. `0.64 0.78 0.63`."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def describe(root: Path, env: Mapping[str, str]) -> Machine:
    """Collect the machine description; `env` is the environment the benchmark runs with."""
    packages: dict[str, str] = {}
    for name in ("cdktf", "constructs", "jsii", "typeguard", "pydantic", "PyYAML", "requests"):
        try:
            packages[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            packages[name] = "not installed"
    packages["cdktf-cli (npm)"] = _npm_version(root, "cdktf-cli")
    commit = _run(["git", "rev-parse", "--short", "HEAD"], root, env)
    dirty = _run(["git", "status", "--porcelain", "--untracked-files=no"], root, env)
    if dirty and dirty != "unknown":
        commit += " (with uncommitted changes in the checkout)"
    return Machine(
        cpu=_cpu_model(),
        cores=os.cpu_count() or 0,
        memory_gib=_memory_gib(),
        kernel=f"{platform.system()} {platform.release()}",
        python=platform.python_version(),
        node=_run(["node", "--version"], root, env),
        packages=packages,
        commit=commit,
        date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        load_before=load_average(),
    )
