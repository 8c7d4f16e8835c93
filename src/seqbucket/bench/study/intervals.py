"""Intervals over seeds: a Student-t interval for a mean, and for a paired difference.

A study repeats each measurement over a few seeds (each seed draws new data and a new
initialisation). The interval is on the *mean over seeds*: ``mean ± t(0.975, n-1) · s/√n``.
Two models run on the same seeds are compared by the interval of their per-seed differences
(paired), which is narrower than comparing two separate intervals, because the data of a seed
is shared. A comparison is *separated* when that difference interval excludes 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from seqbucket.errors import ConfigError

# Two-sided 95% Student-t critical values t(0.975, df) for df = 1..30 (standard tables). Past 30
# the normal value 1.96 is used: at df=30 the two differ by 4%, and a study never has that
# many seeds.
_T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip
_Z975 = 1.96


def t_critical(df: int) -> float:
    """``t(0.975, df)``: the half-width multiplier of a two-sided 95% interval."""
    if df < 1:
        raise ValueError(f"t_critical: expected df >= 1, got {df}")
    return _T975[df - 1] if df <= len(_T975) else _Z975


@dataclass(frozen=True)
class Interval:
    """A mean over ``n`` seeds with its 95% t-interval ``[low, high]`` (needs ``n >= 2``)."""

    mean: float
    low: float
    high: float
    n: int

    def excludes(self, value: float) -> bool:
        """Whether ``value`` lies outside ``[low, high]``."""
        return value < self.low or value > self.high

    def to_dict(self) -> dict[str, float | int]:
        return {"mean": self.mean, "low": self.low, "high": self.high, "n": self.n}

    def percent(self) -> str:
        """``91.2% [89.0, 93.4]`` for fractions such as accuracies; the printed bounds are
        clipped to [0, 100] (an accuracy cannot leave it; with few seeds t-intervals do)."""
        low, high = max(self.low, 0.0), min(self.high, 1.0)
        return f"{100 * self.mean:.1f}% [{100 * low:.1f}, {100 * high:.1f}]"

    def points(self) -> str:
        """``+12.3 [8.1, 16.5] pts``: a difference of fractions, in percentage points."""
        return f"{100 * self.mean:+.1f} [{100 * self.low:+.1f}, {100 * self.high:+.1f}] pts"


def mean_interval(values: Sequence[float]) -> Interval:
    """The mean of ``values`` (one per seed) and its two-sided 95% Student-t interval."""
    n = len(values)
    if n < 2:
        raise ValueError(f"mean_interval: expected at least 2 values (seeds), got {n}")
    mean = math.fsum(values) / n
    var = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    half = t_critical(n - 1) * math.sqrt(var / n)
    return Interval(mean=mean, low=mean - half, high=mean + half, n=n)


def paired_difference(a: Sequence[float], b: Sequence[float]) -> Interval:
    """Interval of the mean of ``a[i] - b[i]`` (same seed ``i`` for both models)."""
    if len(a) != len(b):
        raise ValueError(f"paired_difference: expected equal lengths, got {len(a)} and {len(b)}")
    return mean_interval([x - y for x, y in zip(a, b, strict=True)])


def separation(diff: Interval) -> str:
    """How a study words a paired difference: ``separated`` when its interval excludes 0."""
    return "separated" if diff.excludes(0.0) else "NOT separated (interval contains 0)"


def resolve_seeds(seeds: int | None, *, quick: bool, full: int, fast: int = 2) -> list[int]:
    """Seeds ``0..n-1``: ``seeds`` if given, else ``fast`` for ``--quick`` or ``full``.
    At least 2, since an interval needs two values."""
    n = seeds if seeds is not None else (fast if quick else full)
    if n < 2:
        raise ConfigError(f"--seeds: expected at least 2 (an interval needs two values), got {n}")
    return list(range(n))
