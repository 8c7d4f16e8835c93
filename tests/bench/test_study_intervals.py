"""Intervals over seeds: numbers against hand computations and a coverage simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from seqbucket.bench.study.intervals import (
    mean_interval,
    paired_difference,
    resolve_seeds,
    separation,
    t_critical,
)
from seqbucket.errors import ConfigError


def test_t_critical_matches_tables() -> None:
    assert t_critical(1) == pytest.approx(12.706)
    assert t_critical(4) == pytest.approx(2.776)
    assert t_critical(30) == pytest.approx(2.042)
    assert t_critical(100) == pytest.approx(1.96)
    with pytest.raises(ValueError):
        t_critical(0)


def test_mean_interval_by_hand() -> None:
    # [1..5]: mean 3, sample sd sqrt(2.5), se sqrt(0.5), half-width 2.776 * 0.7071.
    iv = mean_interval([1.0, 2.0, 3.0, 4.0, 5.0])
    half = 2.776 * math.sqrt(0.5)
    assert (iv.mean, iv.n) == (3.0, 5)
    assert iv.low == pytest.approx(3 - half) and iv.high == pytest.approx(3 + half)
    assert iv.excludes(0.0) and not iv.excludes(3.0)
    with pytest.raises(ValueError):
        mean_interval([1.0])


def test_paired_difference_uses_per_seed_differences() -> None:
    # Large spread across seeds, constant gap within each: paired intervals see only the gap.
    a = [0.9, 0.5, 0.7]
    b = [0.8, 0.4, 0.6]
    d = paired_difference(a, b)
    assert d.mean == pytest.approx(0.1) and d.high - d.low == pytest.approx(0.0, abs=1e-12)
    assert separation(d) == "separated"
    wide = paired_difference([0.9, 0.5], [0.4, 0.8])
    assert separation(wide).startswith("NOT separated")
    with pytest.raises(ValueError):
        paired_difference([1.0, 2.0], [1.0])


def test_coverage_is_about_95_percent() -> None:
    # Invariant: over many normal samples of 5 seeds, ~95% of intervals hold the true mean.
    rng = np.random.default_rng(0)
    trials = 4000
    hits = sum(
        not mean_interval(list(rng.normal(0.7, 0.05, 5))).excludes(0.7) for _ in range(trials)
    )
    assert 0.935 < hits / trials < 0.965


def test_percent_clips_bounds_to_the_unit_interval() -> None:
    iv = mean_interval([0.99, 0.5])
    assert iv.high > 1 and iv.percent().endswith("100.0]") and "[0.0," in iv.percent()


def test_resolve_seeds() -> None:
    assert resolve_seeds(None, quick=True, full=5) == [0, 1]
    assert resolve_seeds(None, quick=False, full=5) == [0, 1, 2, 3, 4]
    assert resolve_seeds(3, quick=True, full=5) == [0, 1, 2]
    with pytest.raises(ConfigError, match="at least 2"):
        resolve_seeds(1, quick=False, full=5)
