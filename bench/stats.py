"""Small statistics for the benchmark: medians and a least-squares line with its R²."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class LinearFit:
    """`y ≈ intercept + slope * x`, fitted by ordinary least squares."""

    slope: float
    intercept: float
    r_squared: float
    """Share of the variance of y the line explains (1.0: the points lie on the line)."""
    max_residual_ratio: float
    """Largest |residual| relative to the fitted value: how far the worst point is off the line."""


def linear_fit(xs: Sequence[float], ys: Sequence[float]) -> LinearFit:
    """Least-squares line through (xs, ys); needs two or more distinct xs."""
    if len(xs) != len(ys) or len(set(xs)) < 2:
        raise ValueError("a line needs at least two distinct x values")
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx
    intercept = mean_y - slope * mean_x
    fitted = [intercept + slope * x for x in xs]
    ss_res = sum((y - f) ** 2 for y, f in zip(ys, fitted, strict=True))
    ss_tot = sum((y - mean_y) ** 2 for y in ys)
    r_squared = 1.0 - ss_res / ss_tot if ss_tot > 0 else 1.0
    worst = max(abs(y - f) / abs(f) if f else 0.0 for y, f in zip(ys, fitted, strict=True))
    return LinearFit(slope, intercept, r_squared, worst)


def median(values: Sequence[float]) -> float:
    """The median (the middle of an odd count, the mean of the two middles otherwise)."""
    return float(statistics.median(values))
