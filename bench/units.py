"""How the benchmark report writes quantities."""

from __future__ import annotations


def mib(kib: int) -> str:
    """A size in KiB as whole MiB."""
    return f"{kib / 1024:.0f} MiB"


def seconds(value: float) -> str:
    """A duration with two decimals."""
    return f"{value:.2f} s"


def minutes(value: float) -> str:
    """A duration in minutes and seconds (never "60 s")."""
    whole, rest = divmod(round(value), 60)
    return f"{whole} min {rest:02d} s"
